import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../src/api/boot.ts";
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { CPUHP } from "../../../src/linux/include/linux/cpuhotplug.ts";
import {
  cpuDown,
  cpuhpLocks,
  cpuhpSetupState,
  cpuhpState,
  cpuhpStep,
  cpuOnline,
  cpuUp,
  ENOSPC,
} from "../../../src/linux/kernel/cpu.ts";
import { pidsAllocated, threadStacks } from "../../../src/linux/kernel/kthread.ts";
import { frameAllocator } from "../../../src/linux/mm/page_alloc.ts";

/** Run `fn` as PID 1 on CPU 0 of a booted kernel until the machine is idle again. */
function runOnBootCpu<T>(k: Kernel, fn: (c: Ctx) => KGen<T>): T {
  const box: { v?: T } = {};
  const c: Ctx = { k, cpu: k.machine.cpu(0), current: k.tasks.get(1)! };
  k.machine.spawn(
    0,
    (function* () {
      box.v = yield* fn(c);
    })(),
  );
  const r = k.machine.run(k.choices, { maxSteps: 10_000_000 });
  assert.equal(r.status, "done");
  return box.v as T;
}

/**
 * The kernel core alone: without STRICT_KERNEL_RWX, poking_init registers no
 * hotplug state, so these tests see only their own. (With it, code patching
 * holds one dynamic slot, and its teardown leaks the page tables
 * put_patching_mm gathers but never frees — asserted in
 * test/linux/arch/powerpc/lib/code-patching.test.ts.)
 */
const CORE_ONLY = ["CONFIG_STRICT_KERNEL_RWX=n"];

describe("cpuhp dynamic states", () => {
  it("a startup failing on CPU 2 rolls back: teardown ran on CPUs 0 and 1, the error is returned, the slot is free again", () => {
    const { kernel: k, exitCode } = boot({ cpus: 4, sets: CORE_ONLY });
    assert.equal(exitCode, 0);
    const started: number[] = [];
    const torn: number[] = [];
    const ran: number[] = [];
    // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
    const startup = function* (c: Ctx, cpu: number): KGen<number> {
      ran.push(c.cpu.id);
      if (cpu === 2) return -12;
      started.push(cpu);
      return 0;
    };
    // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
    const teardown = function* (c: Ctx, cpu: number): KGen<number> {
      assert.equal(c.cpu.id, cpu, "teardown runs on the CPU it is for");
      torn.push(cpu);
      return 0;
    };
    const ret = runOnBootCpu(k, (c) =>
      cpuhpSetupState(c, CPUHP.AP_ONLINE_DYN, "test:online", startup, teardown),
    );
    assert.equal(ret, -12);
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(ran, [0, 1, 2], "each startup ran on its own CPU; CPU 3 never reached");
    assert.deepEqual(torn, [0, 1]);
    assert.equal(cpuhpStep(k, CPUHP.AP_ONLINE_DYN)?.name, null);
    const again = runOnBootCpu(k, (c) =>
      cpuhpSetupState(c, CPUHP.AP_ONLINE_DYN, "test2:online", null, null),
    );
    assert.equal(again, CPUHP.AP_ONLINE_DYN, "the first dynamic slot is handed out again");
    for (const l of cpuhpLocks(k)) assert.equal(l.owner, -1);
  });

  it("hands out CPUHP_AP_ONLINE_DYN .. CPUHP_AP_ONLINE_DYN + 30, then -ENOSPC", () => {
    const { kernel: k } = boot({ cpus: 1, sets: CORE_ONLY });
    const got = runOnBootCpu(k, function* (c) {
      const out: number[] = [];
      for (let i = 0; i < 32; i++)
        out.push(yield* cpuhpSetupState(c, CPUHP.AP_ONLINE_DYN, `t${i}`, null, null));
      return out;
    });
    assert.deepEqual(
      got.slice(0, 31),
      Array.from({ length: 31 }, (_, i) => CPUHP.AP_ONLINE_DYN + i),
    );
    assert.equal(got[31], -ENOSPC);
    assert.equal(CPUHP.AP_ONLINE_DYN_END - CPUHP.AP_ONLINE_DYN, 30);
  });

  it("a CPU coming up runs installed startups on itself; going down runs teardowns on itself in reverse state order", () => {
    const { kernel: k } = boot({ cpus: 2, sets: CORE_ONLY });
    const log: string[] = [];
    const mk = (tag: string) => ({
      // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
      up: function* (c: Ctx, cpu: number): KGen<number> {
        log.push(`${tag}+${cpu}@${c.cpu.id}`);
        return 0;
      },
      // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
      down: function* (c: Ctx, cpu: number): KGen<number> {
        log.push(`${tag}-${cpu}@${c.cpu.id}`);
        return 0;
      },
    });
    const a = mk("a");
    const b = mk("b");
    runOnBootCpu(k, function* (c) {
      yield* cpuhpSetupState(c, CPUHP.AP_ONLINE_DYN, "a", a.up, a.down);
      yield* cpuhpSetupState(c, CPUHP.AP_ONLINE_DYN, "b", b.up, b.down);
      log.length = 0;
      assert.equal(yield* cpuDown(c, 1), 0);
      assert.equal(cpuOnline(c.k, 1), false);
      assert.equal(yield* cpuUp(c, 1), 0);
      return 0;
    });
    assert.deepEqual(log, ["b-1@1", "a-1@1", "a+1@1", "b+1@1"]);
    assert.equal(cpuhpState(k, 1).state, CPUHP.ONLINE);
  });

  it("a failing startup during cpu_up rolls the CPU back to CPUHP_AP_ONLINE_IDLE and returns the error", () => {
    const { kernel: k } = boot({ cpus: 2, sets: CORE_ONLY });
    const log: string[] = [];
    let fail = false;
    const ret = runOnBootCpu(k, function* (c) {
      yield* cpuhpSetupState(
        c,
        CPUHP.AP_ONLINE_DYN,
        "ok",
        // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
        function* (_c, cpu) {
          log.push(`ok+${cpu}`);
          return 0;
        },
        // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
        function* (_c, cpu) {
          log.push(`ok-${cpu}`);
          return 0;
        },
      );
      yield* cpuhpSetupState(
        c,
        CPUHP.AP_ONLINE_DYN,
        "flaky",
        // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
        function* (_c, cpu) {
          return fail && cpu === 1 ? -5 : 0;
        },
        null,
      );
      yield* cpuDown(c, 1);
      fail = true;
      log.length = 0;
      return yield* cpuUp(c, 1);
    });
    assert.equal(ret, -5);
    assert.deepEqual(log, ["ok+1", "ok-1"]);
    assert.equal(cpuhpState(k, 1).state, CPUHP.AP_ONLINE_IDLE);
  });
});

describe("CPU hotplug cycles", () => {
  it("1,000 down/up cycles on 4 CPUs leak no page frame, PID, kernel stack or lock", () => {
    const { kernel: k } = boot({ cpus: 4, sets: CORE_ONLY });
    const frames = frameAllocator(k);
    const before = {
      pids: pidsAllocated(k),
      stacks: threadStacks(k),
      tasks: k.tasks.size,
    };
    // Every teardown frees the frame its startup took on that CPU.
    const held = new Map<number, number[]>();
    runOnBootCpu(k, (c) =>
      cpuhpSetupState(
        c,
        CPUHP.AP_ONLINE_DYN,
        "test/frames:online",
        // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
        function* (cc, cpu) {
          const pa = frameAllocator(cc.k).alloc(cc.k.choices, "test", 0)!;
          held.set(cpu, [...(held.get(cpu) ?? []), pa]);
          return 0;
        },
        // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
        function* (cc, cpu) {
          frameAllocator(cc.k).free(held.get(cpu)!.pop()!);
          return 0;
        },
      ),
    );
    const frames0 = frames.allocatedFrames;
    runOnBootCpu(k, function* (c) {
      for (let i = 0; i < 1000; i++) {
        for (let cpu = 1; cpu < 4; cpu++) {
          assert.equal(yield* cpuDown(c, cpu), 0);
          assert.equal(yield* cpuUp(c, cpu), 0);
        }
      }
      return 0;
    });
    assert.equal(frames.allocatedFrames, frames0);
    assert.equal(pidsAllocated(k), before.pids);
    assert.equal(threadStacks(k), before.stacks);
    assert.equal(k.tasks.size, before.tasks);
    for (const l of cpuhpLocks(k)) assert.equal(l.owner, -1);
    for (let cpu = 0; cpu < 4; cpu++) assert.equal(cpuhpState(k, cpu).state, CPUHP.ONLINE);
  });
});

// A task that oopses inside register_kprobe() dies holding its locks.
// kernel/kprobes.c (v6.2) takes kprobe_mutex, then text_mutex around
// prepare_kprobe(), and unlocks at its `out:` label — on the normal path
// only: an oops kills the task (die → make_task_dead → do_exit) without
// running the unlocks, so the next prober blocks forever on kprobe_mutex.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setCodePatchingVariant } from "../../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx } from "../../../src/linux/core/ctx.ts";
import { KPROBES_STATE, newKprobe } from "../../../src/linux/include/linux/kprobes.ts";
import { runKernelThread } from "../../../src/linux/kernel/exit.ts";
import { textMutex } from "../../../src/linux/kernel/extable.ts";
import { __mmdrop } from "../../../src/linux/kernel/fork.ts";
import { registerKprobe } from "../../../src/linux/kernel/kprobes.ts";
import { createKthread } from "../../../src/linux/kernel/kthread.ts";
import { initMm } from "../../../src/linux/mm/init-mm.ts";
import { defineVariant } from "../../../src/variants/api.ts";
import { bootKernel, dmesgLines } from "../helpers/run-kernel.ts";

/** A patch_instruction() that oopses: __mmdrop(&init_mm) hits its BUG_ON (kernel/fork.c). */
const OOPSING = defineVariant({
  commit: "980411a4d1bb",
  subject: "patch_instruction that BUGs",
  overrides: {
    *patchInstruction(c: Ctx) {
      yield* __mmdrop(c, initMm(c.k));
      return 0;
    },
  },
});

describe("an oops inside register_kprobe", () => {
  it("leaves kprobe_mutex and text_mutex held by the dead task; the next register_kprobe blocks", () => {
    const k = bootKernel();
    setCodePatchingVariant(k, OOPSING);
    const st = k.slot(KPROBES_STATE);
    assert.equal(st.kprobeMutex.owner, -1);
    assert.equal(textMutex(k).owner, -1);

    const victim = createKthread(k, "prober");
    const result: { ret?: number } = {};
    k.machine.spawn(
      1,
      (function* () {
        yield* runKernelThread({ k, cpu: k.machine.cpu(1), current: victim }, function* (c) {
          result.ret = yield* registerKprobe(c, newKprobe({ symbolName: "crc32_le" }));
        });
      })(),
    );
    const r = k.machine.run(k.choices, { maxSteps: 5_000_000 });
    assert.equal(r.status, "done");
    assert.equal(result.ret, undefined, "register_kprobe returned: the task did not die");
    const log = dmesgLines(k);
    assert.ok(log.includes("kernel BUG at kernel/fork.c:790!"), log.join("\n"));
    assert.ok(log.some((l) => /^Oops: Exception in kernel mode, sig: 5 \[#1\]$/.test(l)));
    // prepare_kprobe() → arch_prepare_kprobe() → patch_instruction() ran under both.
    assert.equal(st.kprobeMutex.owner, victim.pid);
    assert.equal(textMutex(k).owner, victim.pid);

    const next = createKthread(k, "prober2");
    k.machine.spawn(
      0,
      (function* () {
        yield* runKernelThread({ k, cpu: k.machine.cpu(0), current: next }, function* (c) {
          yield* registerKprobe(c, newKprobe({ symbolName: "crc32_le" }));
        });
      })(),
    );
    assert.equal(k.machine.run(k.choices, { maxSteps: 1_000_000 }).status, "deadlock");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../src/api/boot.ts";
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import type { Initcall, InitcallLevel } from "../../../src/linux/include/linux/init.ts";
import { initcallsRun } from "../../../src/linux/init/main.ts";
import { cpuOnline } from "../../../src/linux/kernel/cpu.ts";

const clean = (dmesg: string) => !/BUG|WARNING|Oops|panic/.test(dmesg);

describe("boot", () => {
  for (const mmu of ["radix", "hash"] as const) {
    for (const pages of ["4K", "64K"] as const) {
      for (const cpus of [1, 2, 4]) {
        for (const debugVm of ["y", "n"] as const) {
          it(`boots clean: --mmu ${mmu}, ${pages} pages, --cpus ${cpus}, DEBUG_VM=${debugVm}`, () => {
            const sets = [`CONFIG_DEBUG_VM=${debugVm}`];
            if (pages === "4K") sets.push("CONFIG_PPC_4K_PAGES=y");
            const r = boot({ mmu, cpus, sets });
            assert.equal(r.exitCode, 0, r.dmesg);
            assert.match(r.dmesg, /\] Run \/init as init process\n$/);
            assert.ok(clean(r.dmesg), r.dmesg);
            assert.match(r.dmesg, new RegExp(`smp: Brought up 1 node, ${cpus} CPUs?\\n`));
            if (mmu === "hash")
              assert.match(r.dmesg, /Kernel command line: console=hvc0 disable_radix\n/);
            assert.equal(r.kernel.machine.pageSize, pages === "4K" ? 4096 : 65536);
            for (let cpu = 0; cpu < cpus; cpu++) {
              assert.ok(cpuOnline(r.kernel, cpu));
              const c = r.kernel.machine.cpu(cpu);
              assert.ok(c.ir && c.dr, `CPU ${cpu} runs with the MMU on`);
            }
            assert.match(
              r.dmesg,
              mmu === "radix"
                ? /\] radix-mmu: Initializing Radix MMU\n/
                : /\] hash-mmu: Initializing hash mmu with SLB\n/,
            );
          });
        }
      }
    }
  }

  it("prints the PowerNV boot lines in the kernel's order", () => {
    const lines = boot()
      .dmesg.split("\n")
      .map((l) => l.slice(15));
    const order = [
      "Linux version 6.2.0-rc1 ",
      "Using PowerNV machine description",
      "Kernel command line: console=hvc0",
      "Memory: ",
      "rcu: Hierarchical RCU implementation.",
      "smp: Bringing up secondary CPUs ...",
      "smp: Brought up 1 node, 2 CPUs",
      "devtmpfs: initialized",
      "Freeing unused kernel image (initmem) memory: ",
      "Run /init as init process",
    ];
    let at = -1;
    for (const want of order) {
      const i = lines.findIndex((l, j) => j > at && l.startsWith(want));
      assert.ok(i > at, `missing or out of order: ${want}`);
      at = i;
    }
  });

  it("runs initcalls early first (before smp_init), then by level pure .. late, in declaration order within a level", () => {
    const seen: string[] = [];
    const mk = (level: InitcallLevel, name: string): Initcall => ({
      level,
      name,
      // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
      fn: function* (c: Ctx): KGen<number> {
        seen.push(`${name}:${cpuOnline(c.k, 1) ? "smp" : "up"}`);
        return 0;
      },
    });
    const calls = [
      mk("late", "l1"),
      mk("device", "d1"),
      mk("early", "e1"),
      mk("pure", "p1"),
      mk("late", "l2"),
      mk("core", "c1"),
      mk("arch", "a1"),
      mk("early", "e2"),
      mk("subsys", "s1"),
      mk("postcore", "pc1"),
      mk("fs", "f1"),
    ];
    const r = boot({ cpus: 2, boot: { initcalls: calls } });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(seen, [
      "e1:up",
      "e2:up",
      "p1:smp",
      "c1:smp",
      "pc1:smp",
      "a1:smp",
      "s1:smp",
      "f1:smp",
      "d1:smp",
      "l1:smp",
      "l2:smp",
    ]);
    const ran = initcallsRun(r.kernel).filter((n) => calls.some((c) => c.name === n));
    assert.deepEqual(ran, ["e1", "e2", "p1", "c1", "pc1", "a1", "s1", "f1", "d1", "l1", "l2"]);
  });

  it("is deterministic: the same seed gives a byte-identical dmesg", () => {
    const a = boot({ cpus: 4, seed: 42, hotplug: 2 }).dmesg;
    const b = boot({ cpus: 4, seed: 42, hotplug: 2 }).dmesg;
    assert.equal(a, b);
  });

  it("PID 1 runs kernel_init from ret_from_kernel_thread with comm swapper/0; PID 2 is kthreadd", () => {
    const k = boot().kernel;
    assert.equal(k.tasks.get(0)?.comm, "swapper/0");
    assert.equal(k.tasks.get(1)?.comm, "swapper/0");
    assert.equal(k.tasks.get(2)?.comm, "kthreadd");
    assert.equal(k.systemState, "running");
  });

  it("boots 2048 CPUs with NR_CPUS=2048 in a few seconds", () => {
    const t0 = process.hrtime.bigint();
    const r = boot({ cpus: 2048 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(r.exitCode, 0);
    assert.match(r.dmesg, /smp: Brought up 1 node, 2048 CPUs\n/);
    assert.ok(ms < 10_000, `${ms} ms`);
  });
});

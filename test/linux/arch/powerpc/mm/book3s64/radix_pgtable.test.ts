// The boot-time Radix setup and STRICT_KERNEL_RWX (mm-primitives.md §3.3,
// §16): kernel text writable until mark_rodata_ro, read-only+exec after;
// the guard PID; might_sleep's report (kernel/sched/core.c text, the
// include/linux/sched/mm.h:274 location seen in v6.0-v6.3 reports).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mmu from "../../../../../../src/linux/arch/powerpc/include/asm/book3s/64/mmu.ts";
import {
  localIrqRestore,
  localIrqSave,
} from "../../../../../../src/linux/arch/powerpc/include/asm/hw_irq.ts";
import { kernelLeaf } from "../../../../../../src/linux/arch/powerpc/mm/book3s64/radix_pgtable.ts";
import { GFP_KERNEL } from "../../../../../../src/linux/include/linux/gfp.ts";
import { initMm } from "../../../../../../src/linux/mm/init-mm.ts";
import { allocPages } from "../../../../../../src/linux/mm/page_alloc.ts";
import { store } from "../../../../../../src/machine/access.ts";
import { bootedKernel, log, runOn, task } from "../../../../helpers/kernel.ts";

describe("radix__early_init_mmu", () => {
  it("maps text executable, split at __init_begin, 2M pages above; sets PTCR and the guard PID", () => {
    const k = bootedKernel(mmu);
    // The test image is below 2 MiB: base pages, exec up to __init_end.
    const text = kernelLeaf(k, k.image!.stext + 0x10000n)!;
    assert.equal(text.level, 3);
    assert.equal(kernelLeaf(k, 0xc000_0000_0040_0000n)!.level, 2);
    const ib = (k.image!.initEnd - 0xc000_0000_0000_0000n).toString(16).padStart(16, "0");
    assert.equal(text.pte & 0xfn, 0xfn, "privileged RWX");
    assert.equal(initMm(k).context.id, 1);
    for (const cpu of k.machine.cpus) {
      assert.equal(cpu.pidr, 1);
      assert.notEqual(cpu.ptcr, 0n);
    }
    const mapped = log(k).filter((l) => l.startsWith("radix-mmu: "));
    assert.equal(
      mapped[0],
      `radix-mmu: Mapped 0x0000000000000000-0x${ib} with 64.0 KiB pages (exec)`,
    );
    assert.ok(
      mapped.some((l) => / with 2\.00 MiB pages$/.test(l)),
      mapped.join("\n"),
    );
  });

  it("mark_rodata_ro makes text read-only: a store then faults", () => {
    const k = bootedKernel(mmu, { sets: ["CONFIG_DEBUG_VM=y"] });
    const t = task(k, 1, "init");
    const addr = k.image!.stext + 0x10000n;
    assert.equal(store(k.machine, k.machine.cpu(1), addr, 4, 0x6000_0000n), null);
    runOn(k, 0, t, mmu.markRodataRo);
    const leaf = kernelLeaf(k, addr)!;
    assert.equal(leaf.pte & 0xfn, 0xdn, "privileged read + exec");
    const f = store(k.machine, k.machine.cpu(1), addr, 4, 0x6000_0000n);
    assert.ok(f !== null && f.kind === "dsi");
  });
});

describe("might_sleep", () => {
  it("reports a GFP_KERNEL allocation with interrupts disabled", () => {
    const k = bootedKernel(mmu, { sets: ["CONFIG_DEBUG_ATOMIC_SLEEP=y"] });
    const t = task(k, 7, "worker");
    const before = log(k).length;
    runOn(k, 0, t, function* (c) {
      const flags = localIrqSave(c);
      yield* allocPages(c, GFP_KERNEL, 0, "test");
      yield* localIrqRestore(c, flags);
    });
    const out = log(k).slice(before);
    assert.equal(
      out[0],
      "BUG: sleeping function called from invalid context at include/linux/sched/mm.h:274",
    );
    assert.equal(out[1], "in_atomic(): 0, irqs_disabled(): 1, non_block: 0, pid: 7, name: worker");
    assert.equal(out[2], "preempt_count: 0, expected: 0");
    assert.match(out[3]!, /^CPU: 0 PID: 7 Comm: worker Not tainted 6\.2\.0-rc1 #1$/);
    assert.ok(out.includes("Call Trace:"));
    // Nothing without interrupts disabled.
    const n = log(k).length;
    runOn(k, 0, t, function* (c) {
      yield* allocPages(c, GFP_KERNEL, 0, "test");
    });
    assert.equal(log(k).length, n);
  });
});

// TLB invalidation and kernel mappings on the machine: a translation cached
// by a real access is removed by local_flush_tlb_page_psize (tlbiel by VA,
// PID, AP=5 for 64K: isa.md §12.1) and by flush_tlb_kernel_range (tlbie PID 0
// RIC=2 on every CPU); map_kernel_page makes a real load work.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mmu from "../../../../../../src/linux/arch/powerpc/include/asm/book3s/64/mmu.ts";
import {
  geometry,
  PAGE_KERNEL,
  pfnPte,
} from "../../../../../../src/linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import {
  flushTlbKernelRange,
  localFlushTlbPagePsize,
} from "../../../../../../src/linux/arch/powerpc/include/asm/book3s/64/tlbflush.ts";
import { rbVa, rsPid } from "../../../../../../src/linux/arch/powerpc/mm/book3s64/radix_tlb.ts";
import { switchMmIrqsOff } from "../../../../../../src/linux/arch/powerpc/mm/mmu_context.ts";
import { mapKernelPage } from "../../../../../../src/linux/arch/powerpc/mm/pgtable_64.ts";
import { GFP_KERNEL } from "../../../../../../src/linux/include/linux/gfp.ts";
import { mmAlloc } from "../../../../../../src/linux/kernel/fork.ts";
import { initMm } from "../../../../../../src/linux/mm/init-mm.ts";
import { getLockedPte, pteUnmapUnlock } from "../../../../../../src/linux/mm/memory.ts";
import { allocPages } from "../../../../../../src/linux/mm/page_alloc.ts";
import { load } from "../../../../../../src/machine/access.ts";
import { ptesync } from "../../../../../../src/machine/task-ops.ts";
import { bootedKernel, runOn, task } from "../../../../helpers/kernel.ts";

const ALIAS = 0x0000_0555_0000_0000n;

describe("Radix TLB flushes", () => {
  it("encode RB/RS as Linux does (isa.md §12.1)", () => {
    assert.equal(rbVa(0x0000_0555_0000_1234n, 5), 0x0000_0555_0000_10a0n);
    assert.equal(rsPid(2), 0x2_0000_0000n);
  });

  it("local_flush_tlb_page_psize removes this CPU's entry for the alias", () => {
    const k = bootedKernel(mmu);
    const t = task(k, 1, "init");
    const cpu = k.machine.cpu(0);
    let pid = -1;
    let during = 0;
    runOn(k, 0, t, function* (c) {
      const mm = (yield* mmAlloc(c))!;
      pid = mm.context.id;
      const l = (yield* getLockedPte(c, mm, ALIAS))!;
      const page = (yield* allocPages(c, GFP_KERNEL, 0, "test"))!;
      k.machine.mem.write32(page, 0x1234_5678);
      const g = geometry(k.config.pageShift);
      k.machine.mem.writeBe64(l.pte, pfnPte(g, BigInt(page) >> 16n, PAGE_KERNEL));
      yield* ptesync(k.machine, cpu);
      yield* switchMmIrqsOff(c, initMm(k), mm);
      assert.equal(load(k.machine, cpu, ALIAS, 4), 0x1234_5678n);
      during = k.machine
        .tlbOf(cpu)
        .entries()
        .filter((e) => e.pid === pid).length;
      yield* switchMmIrqsOff(c, mm, initMm(k));
      k.machine.mem.writeBe64(l.pte, 0n);
      yield* localFlushTlbPagePsize(c, mm, ALIAS, 16);
      yield* pteUnmapUnlock(c, l);
    });
    assert.equal(during, 1);
    assert.equal(
      k.machine
        .tlbOf(cpu)
        .entries()
        .filter((e) => e.pid === pid).length,
      0,
    );
    assert.equal(cpu.pidr, initMm(k).context.id);
  });

  it("map_kernel_page makes a real load work; flush_tlb_kernel_range empties every CPU's kernel entries", () => {
    const k = bootedKernel(mmu);
    const t = task(k, 1, "init");
    const va = 0xc008_0000_0042_0000n;
    let value = 0n;
    runOn(k, 0, t, function* (c) {
      const page = (yield* allocPages(c, GFP_KERNEL, 0, "test"))!;
      k.machine.mem.write64(page + 8, 0xfeed_face_cafe_beefn);
      assert.equal(yield* mapKernelPage(c, va, page, PAGE_KERNEL), 0);
      const r = load(k.machine, k.machine.cpu(0), va + 8n, 8);
      value = typeof r === "bigint" ? r : -1n;
    });
    assert.equal(value, 0xfeed_face_cafe_beefn);
    // CPU 1 caches a kernel translation too.
    load(k.machine, k.machine.cpu(1), 0xc000_0000_0001_0000n, 4);
    assert.ok(k.machine.tlbOf(k.machine.cpu(1)).size > 0);
    runOn(k, 0, t, (c) => flushTlbKernelRange(c, va, va + 0x10000n));
    for (const cpu of k.machine.cpus) {
      assert.equal(
        k.machine
          .tlbOf(cpu)
          .entries()
          .filter((e) => e.pid === 0).length,
        0,
      );
    }
  });
});

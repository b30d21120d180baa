// The mmu_gather of page-table freeing (mm/mmu_gather.c, include/asm-generic/
// tlb.h, arch/powerpc/mm/book3s64/pgtable.c at v6.2; docs/findings.md):
// free_pgd_range() only queues the tables in the gather's batch page;
// tlb_finish_mmu() invalidates once and frees the batch and the tables.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { geometry } from "../../../src/linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import type { MmStruct } from "../../../src/linux/include/linux/mm_types.ts";
import { mmAlloc, mmput } from "../../../src/linux/kernel/fork.ts";
import {
  allocationDelta,
  formatAllocationDelta,
  liveAllocations,
} from "../../../src/linux/mm/live-allocations.ts";
import { freePgdRange, getLockedPte, pteUnmapUnlock } from "../../../src/linux/mm/memory.ts";
import { type MmuGather, tlbFinishMmu, tlbGatherMmu } from "../../../src/linux/mm/mmu_gather.ts";
import { OpKind } from "../../../src/machine/ops.ts";
import { bootKernel, runOn } from "../helpers/run-kernel.ts";

/** A user address with a few pages above its PGD entry's start (PGDIR_SHIFT 39 with 64K pages). */
const ADDR = 0x0000_1234_5678_0000n;

describe("tlb_finish_mmu", () => {
  it("free_pgd_range queues the PTE, PMD and PUD tables; finishing frees them and the batch page", () => {
    const k = bootKernel({ cpus: 2 });
    const g = geometry(k.config.pageShift);
    const before = liveAllocations(k);
    let mm: MmStruct | undefined;
    let tlb: MmuGather | undefined;
    runOn(k, 1, function* (c) {
      mm = (yield* mmAlloc(c))!;
      yield* pteUnmapUnlock(c, (yield* getLockedPte(c, mm, ADDR))!);
      tlb = tlbGatherMmu(mm);
      yield* freePgdRange(c, tlb, ADDR, ADDR + BigInt(g.pageSize), 0n, 0n);
    });
    assert.ok(tlb !== undefined && mm !== undefined);
    assert.deepEqual(
      tlb.tables.map((t) => t.index),
      [0, 1, 2],
      "PTE_INDEX, PMD_INDEX, PUD_INDEX",
    );
    assert.equal(mm.pgtablesBytes, 0, "the tables' bytes are uncounted at once");
    assert.ok(tlb.batch !== null);
    // The range to invalidate: from the PUD table's PGD-entry boundary to the PTE table's page.
    const pmdMask = ~((1n << BigInt(g.pmdShift)) - 1n);
    const pgdMask = ~((1n << BigInt(g.pgdirShift)) - 1n);
    assert.equal(tlb.start, ADDR & pgdMask);
    assert.equal(tlb.end, (ADDR & pmdMask) + BigInt(g.pageSize));
    const gathered = allocationDelta(before, liveAllocations(k));
    assert.equal(gathered.framesBySite.get("mmu_gather_batch"), 1);

    const invalidations: string[] = [];
    const off = k.machine.addStepHook((_m, cpu, next) => {
      if (next === OpKind.TLBIE || next === OpKind.TLBIEL)
        invalidations.push(`${next === OpKind.TLBIE ? "tlbie" : "tlbiel"} ${cpu.pending.ea}`);
    });
    runOn(k, 1, (c) => tlbFinishMmu(c, tlb!));
    off();
    // One flush of the gather: the range spans far more pages than the
    // ceiling, so by PID with RIC=2 (TLB, page-walk cache, table caches);
    // broadcast, as the mm is not thread-local (it never ran).
    assert.deepEqual(invalidations, ["tlbie 1024"]);
    assert.equal(tlb.batch, null);
    assert.deepEqual(tlb.tables, []);
    assert.ok(tlb.finished);
    runOn(k, 1, (c) => mmput(c, mm!));
    const d = allocationDelta(before, liveAllocations(k));
    const left = new Map([...d.framesBySite].filter(([s]) => s !== "thread_stack"));
    assert.deepEqual(left, new Map(), "everything is freed");
    assert.deepEqual(d.objectsByCache, new Map());
  });

  it("without it, the mm goes but the tables and the batch page stay", () => {
    const k = bootKernel({ cpus: 2 });
    const g = geometry(k.config.pageShift);
    const before = liveAllocations(k);
    runOn(k, 1, function* (c) {
      const mm = (yield* mmAlloc(c))!;
      yield* pteUnmapUnlock(c, (yield* getLockedPte(c, mm, ADDR))!);
      const tlb = tlbGatherMmu(mm);
      yield* freePgdRange(c, tlb, ADDR, ADDR + BigInt(g.pageSize), 0n, 0n);
      yield* mmput(c, mm);
    });
    const d = allocationDelta(before, liveAllocations(k));
    assert.deepEqual(
      new Map([...d.framesBySite].filter(([s]) => s !== "thread_stack")),
      new Map([
        ["mmu_gather_batch", 1],
        ["pmd_alloc", 1],
        ["pte_alloc", 1],
        ["pud_alloc", 1],
      ]),
    );
    assert.deepEqual(d.framesByKind, {
      "page-table": 3,
      "mmu-gather-batch": 1,
      ...(d.framesByKind["thread-stack"] ? { "thread-stack": d.framesByKind["thread-stack"] } : {}),
    });
    assert.deepEqual(d.objectsByKind, {}, "the mm_struct was freed");
    const stacks = d.framesBySite.get("thread_stack");
    assert.equal(
      formatAllocationDelta(d),
      "3 page-table frames (pmd_alloc 1, pte_alloc 1, pud_alloc 1), " +
        "1 mmu-gather-batch frame (mmu_gather_batch 1)" +
        (stacks
          ? `, ${stacks} thread-stack frame${stacks === 1 ? "" : "s"} (thread_stack ${stacks})`
          : ""),
    );
  });
});

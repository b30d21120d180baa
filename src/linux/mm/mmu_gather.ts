/**
 * The mmu_gather for page-table freeing. Models mm/mmu_gather.c
 * (`tlb_gather_mmu`, `tlb_remove_table`, `tlb_table_flush`, `tlb_finish_mmu`)
 * and `pgtable_free_tlb` (arch/powerpc/mm/book3s64/pgtable.c) at v6.2, with
 * CONFIG_MMU_GATHER_TABLE_FREE / RCU_TABLE_FREE as powerpc selects them.
 *
 * Unhooked tables are queued in a batch page (allocated GFP_NOWAIT on first
 * use, site "mmu_gather_batch"); only `tlb_finish_mmu()` flushes the TLB and
 * frees the batch and every queued table. A gather that is never finished
 * (code-patching's `put_patching_mm`) therefore leaks the batch page and the
 * queued tables: the frames stay allocated under their sites.
 * If the batch page cannot be allocated, the table is freed at once
 * (`tlb_remove_table_one`).
 *
 * SIMPLIFICATION: the RCU grace period before freeing is immediate, and the
 * IPI in `tlb_remove_table_sync_one` is not modelled.
 */

import { pgtableFree } from "../arch/powerpc/include/asm/book3s/64/pgalloc.ts";
import { radixEnabled } from "../arch/powerpc/include/asm/mmu.ts";
import { radix__flushAllMm } from "../arch/powerpc/mm/book3s64/radix_tlb.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import { __GFP_NOWARN, GFP_NOWAIT } from "../include/linux/gfp.ts";
import type { MmStruct } from "../include/linux/mm_types.ts";
import { allocPages, freePages } from "./page_alloc.ts";

/** A queued table: its physical address and `PTE_INDEX` / `PMD_INDEX` / `PUD_INDEX`. */
export interface GatheredTable {
  readonly table: number;
  readonly index: number;
}

/** `struct mmu_gather` (the parts that matter for table freeing). */
export interface MmuGather {
  readonly mm: MmStruct;
  readonly fullmm: boolean;
  /** The batch page (`tlb->batch`), physical, or null. */
  batch: number | null;
  readonly tables: GatheredTable[];
  freedTables: boolean;
  pageSize: number;
  finished: boolean;
}

/** Models `tlb_gather_mmu(tlb, mm)` (or `tlb_gather_mmu_fullmm` with `fullmm`). */
export function tlbGatherMmu(mm: MmStruct, fullmm = false): MmuGather {
  return { mm, fullmm, batch: null, tables: [], freedTables: false, pageSize: 0, finished: false };
}

/** Models `tlb_change_page_size(tlb, size)`. */
export function tlbChangePageSize(tlb: MmuGather, size: number): void {
  tlb.pageSize = size;
}

/** `MAX_TABLE_BATCH`: table pointers that fit in the batch page after its header. */
function maxTableBatch(pageSize: number): number {
  return (pageSize - 16) / 8;
}

/** Flush the mm's translations and page-walk cache before tables are freed (`tlb_table_invalidate`). */
function* tlbTableInvalidate(c: Ctx, tlb: MmuGather): KGen<void> {
  if (radixEnabled(c.k)) yield* radix__flushAllMm(c, tlb.mm);
}

/** Models `tlb_table_flush()`: invalidate, then (after RCU) free the batch and its tables. */
function* tlbTableFlush(c: Ctx, tlb: MmuGather): KGen<void> {
  if (tlb.batch === null) return;
  yield* tlbTableInvalidate(c, tlb);
  for (const t of tlb.tables.splice(0)) pgtableFree(c.k, t.table, t.index);
  freePages(c.k, tlb.batch);
  tlb.batch = null;
}

/** Models `tlb_remove_table(tlb, table)`. */
export function* tlbRemoveTable(c: Ctx, tlb: MmuGather, table: number, index: number): KGen<void> {
  if (tlb.batch === null) {
    tlb.batch = yield* allocPages(c, GFP_NOWAIT | __GFP_NOWARN, 0, "mmu_gather_batch");
    if (tlb.batch === null) {
      yield* tlbTableInvalidate(c, tlb);
      pgtableFree(c.k, table, index);
      return;
    }
  }
  tlb.tables.push({ table, index });
  if (tlb.tables.length === maxTableBatch(c.k.config.pageSize)) yield* tlbTableFlush(c, tlb);
}

/**
 * Models `pgtable_free_tlb(tlb, table, index)` as `__pte_free_tlb`,
 * `__pmd_free_tlb` and `__pud_free_tlb` call it (the `addr` is only used
 * for range tracking).
 */
export function* pgtableFreeTlb(
  c: Ctx,
  tlb: MmuGather,
  table: number,
  index: number,
  _addr: bigint,
): KGen<void> {
  tlb.freedTables = true;
  yield* tlbRemoveTable(c, tlb, table, index);
}

/**
 * Models `tlb_finish_mmu(tlb)`: flush the TLB for the mm (`tlb_flush_mmu`)
 * and free everything gathered.
 */
export const tlbFinishMmu = kfunc(
  { name: "tlb_finish_mmu", file: "mm/mmu_gather.c", size: 0x1a0 },
  function* (c: Ctx, tlb: MmuGather): KGen<void> {
    if (tlb.freedTables || tlb.fullmm) yield* tlbTableInvalidate(c, tlb);
    yield* tlbTableFlush(c, tlb);
    tlb.finished = true;
  },
);

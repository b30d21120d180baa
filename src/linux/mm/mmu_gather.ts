/**
 * The mmu_gather for page-table freeing. Models mm/mmu_gather.c
 * (`tlb_gather_mmu`, `tlb_remove_table`, `tlb_table_flush`, `tlb_flush_mmu`,
 * `tlb_finish_mmu`), the `p?d_free_tlb()` wrappers of
 * include/asm-generic/tlb.h and `pgtable_free_tlb` / `__tlb_remove_table`
 * (arch/powerpc/mm/book3s64/pgtable.c) at v6.2, with
 * CONFIG_MMU_GATHER_TABLE_FREE, CONFIG_MMU_GATHER_RCU_TABLE_FREE and
 * CONFIG_MMU_GATHER_PAGE_SIZE as powerpc selects them (docs/findings.md).
 *
 * Unhooked tables are queued in a batch page (`struct mmu_table_batch`,
 * allocated GFP_NOWAIT on first use, site "mmu_gather_batch"); only a flush
 * of the gather — `tlb_finish_mmu()`, or the batch filling up — invalidates
 * the TLB and frees the batch and every queued table. A gather that is never
 * finished (code-patching's `put_patching_mm`) therefore leaks the batch
 * page and the queued tables: the frames stay allocated under their sites.
 * If the batch page cannot be allocated, the table is freed at once
 * (`tlb_remove_table_one`).
 *
 * SIMPLIFICATION: the RCU grace period before freeing is immediate, and the
 * IPI in `tlb_remove_table_sync_one` is not modelled. The gather frees no
 * pages other than page tables (no `tlb_remove_page`, so no page batches
 * and nothing for `tlb_batch_pages_flush` / `tlb_batch_list_free`), tracks
 * `freed_tables` but not the `cleared_*` bits (set only together with it
 * here), and has no concurrent gathers on the same mm
 * (`inc/dec_tlb_flush_pending`, `mm_tlb_flush_nested`).
 */

import { pgtableFree } from "../arch/powerpc/include/asm/book3s/64/pgalloc.ts";
import { tlbFlush } from "../arch/powerpc/include/asm/book3s/64/tlbflush.ts";
import { radixEnabled } from "../arch/powerpc/include/asm/mmu.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
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
  fullmm: boolean;
  needFlushAll: boolean;
  /** The batch page (`tlb->batch`), physical, or null. */
  batch: number | null;
  /** The tables queued in the batch page (`batch->tables[]`). */
  readonly tables: GatheredTable[];
  /** `tlb->freed_tables`: page tables were unhooked since the last flush. */
  freedTables: boolean;
  /** `tlb->page_size` (CONFIG_MMU_GATHER_PAGE_SIZE), 0 until set. */
  pageSize: number;
  /** `tlb->start` / `tlb->end`: the range to invalidate. */
  start: bigint;
  end: bigint;
  /** `tlb_finish_mmu()` ran (the model's own mark; the kernel's gather lives on the stack). */
  finished: boolean;
  /**
   * The modelled function that owns the gather when it has no frame of its
   * own (a static function the compiler inlines), named in leak reports.
   */
  owner: string | null;
}

/** `TASK_SIZE` as `__tlb_reset_range` starts the range: above every user address. */
const RANGE_START = 0xffff_ffff_ffff_ffffn;

/** Models `__tlb_reset_range(tlb)`. */
function tlbResetRange(tlb: MmuGather): void {
  if (tlb.fullmm) {
    tlb.start = RANGE_START;
    tlb.end = RANGE_START;
  } else {
    tlb.start = RANGE_START;
    tlb.end = 0n;
  }
  tlb.freedTables = false;
}

/** Models `__tlb_adjust_range(tlb, address, range_size)`. */
function tlbAdjustRange(tlb: MmuGather, address: bigint, size: number): void {
  if (address < tlb.start) tlb.start = address;
  const end = address + BigInt(size);
  if (end > tlb.end) tlb.end = end;
}

/**
 * Gathers that hold frames (a batch page, queued tables) not yet freed, with
 * the call stack that queued the first of them — model bookkeeping, as
 * kmemleak keeps for its objects: the kernel itself forgets a gather once
 * the function holding it on its stack returns.
 */
export interface PendingGather {
  readonly tlb: MmuGather;
  /** Function names, outermost first, where the gather took its first frame. */
  readonly stack: readonly string[];
}

const PENDING = defineSlot("mmu-gather-pending", (): PendingGather[] => []);

/** Gathers still holding frames (see PendingGather). */
export function pendingGathers(k: Kernel): readonly PendingGather[] {
  return k.slot(PENDING);
}

/** Models `tlb_gather_mmu(tlb, mm)` (or `tlb_gather_mmu_fullmm` with `fullmm`). */
export function tlbGatherMmu(mm: MmStruct, fullmm = false): MmuGather {
  const tlb: MmuGather = {
    mm,
    fullmm,
    needFlushAll: false,
    batch: null,
    tables: [],
    freedTables: false,
    pageSize: 0,
    start: 0n,
    end: 0n,
    finished: false,
    owner: null,
  };
  tlbResetRange(tlb);
  return tlb;
}

/**
 * Models `tlb_change_page_size(tlb, size)`.
 * SIMPLIFICATION: no caller changes the size of a gather that already has
 * one, so the flush the kernel does then is not modelled.
 */
export function tlbChangePageSize(tlb: MmuGather, size: number): void {
  tlb.pageSize = size;
}

/**
 * `MAX_TABLE_BATCH`: table pointers that fit in the batch page after its
 * header, `struct mmu_table_batch { struct rcu_head rcu; unsigned int nr;
 * void *tables[]; }` (24 bytes on ppc64): 8189 with 64 KiB pages.
 */
function maxTableBatch(pageSize: number): number {
  return Math.floor((pageSize - 24) / 8);
}

/**
 * Models `tlb_flush_mmu_tlbonly(tlb)`: if anything was unhooked since the
 * last flush, invalidate the gathered range (`tlb_flush`) and reset it.
 */
function* tlbFlushMmuTlbonly(c: Ctx, tlb: MmuGather): KGen<void> {
  if (!tlb.freedTables) return;
  yield* tlbFlush(c, tlb);
  tlbResetRange(tlb);
}

/**
 * Models `tlb_table_invalidate(tlb)`: where hardware walks the page tables
 * (`tlb_needs_table_invalidate()`, i.e. Radix), invalidate before the tables go.
 */
function* tlbTableInvalidate(c: Ctx, tlb: MmuGather): KGen<void> {
  if (radixEnabled(c.k)) yield* tlbFlushMmuTlbonly(c, tlb);
}

/**
 * Models `tlb_table_flush(tlb)`: invalidate, then (after RCU) free every
 * queued table (`__tlb_remove_table` → `pgtable_free`) and the batch page.
 */
function* tlbTableFlush(c: Ctx, tlb: MmuGather): KGen<void> {
  if (tlb.batch === null) return;
  yield* tlbTableInvalidate(c, tlb);
  // tlb_remove_table_free() → call_rcu → __tlb_remove_table_free()
  for (const t of tlb.tables.splice(0)) pgtableFree(c.k, t.table, t.index);
  freePages(c.k, tlb.batch);
  tlb.batch = null;
  const pending = c.k.slot(PENDING);
  const i = pending.findIndex((p) => p.tlb === tlb);
  if (i >= 0) pending.splice(i, 1);
}

/** Models `tlb_remove_table(tlb, table)`. */
export function* tlbRemoveTable(c: Ctx, tlb: MmuGather, table: number, index: number): KGen<void> {
  if (tlb.batch === null) {
    tlb.batch = yield* allocPages(c, GFP_NOWAIT | __GFP_NOWARN, 0, "mmu_gather_batch");
    if (tlb.batch !== null) {
      const stack = c.current.stack.map((f) => f.fn.name);
      if (tlb.owner !== null) stack.push(tlb.owner);
      c.k.slot(PENDING).push({ tlb, stack });
    }
    if (tlb.batch === null) {
      yield* tlbTableInvalidate(c, tlb);
      // tlb_remove_table_one(): (the IPI, not modelled) then __tlb_remove_table.
      pgtableFree(c.k, table, index);
      return;
    }
  }
  tlb.tables.push({ table, index });
  if (tlb.tables.length === maxTableBatch(c.k.config.pageSize)) yield* tlbTableFlush(c, tlb);
}

/**
 * Models `pte_free_tlb` / `pmd_free_tlb` / `pud_free_tlb(tlb, table, addr)`
 * with powerpc's `__p?d_free_tlb` → `pgtable_free_tlb(tlb, table, index)`:
 * widen the range by a page at `addr`, note that tables were freed, queue
 * the table.
 */
export function* pgtableFreeTlb(
  c: Ctx,
  tlb: MmuGather,
  table: number,
  index: number,
  addr: bigint,
): KGen<void> {
  tlbAdjustRange(tlb, addr, c.k.config.pageSize);
  tlb.freedTables = true;
  yield* tlbRemoveTable(c, tlb, table, index);
}

/**
 * Models `tlb_flush_mmu(tlb)`: invalidate (`tlb_flush_mmu_tlbonly`), then
 * free what is queued (`tlb_flush_mmu_free` → `tlb_table_flush`).
 */
export function* tlbFlushMmu(c: Ctx, tlb: MmuGather): KGen<void> {
  yield* tlbFlushMmuTlbonly(c, tlb);
  yield* tlbTableFlush(c, tlb);
}

/**
 * Models `tlb_finish_mmu(tlb)`: flush the gather (`tlb_flush_mmu`): one TLB
 * invalidation if tables were freed, then the queued tables and the batch
 * page are freed.
 */
export const tlbFinishMmu = kfunc(
  { name: "tlb_finish_mmu", file: "mm/mmu_gather.c", size: 0x1a0 },
  function* (c: Ctx, tlb: MmuGather): KGen<void> {
    yield* tlbFlushMmu(c, tlb);
    tlb.finished = true;
  },
);

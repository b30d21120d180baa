/**
 * Walking and allocating page tables, and the PTE-table locks. Models
 * mm/memory.c (`__pud_alloc`, `__pmd_alloc`, `__pte_alloc`, `pmd_install`,
 * `__pte_alloc_kernel`, `walk_to_pmd`, `__get_locked_pte`, `free_pgd_range`)
 * and the include/linux/mm.h / pgtable.h inlines (`pud_alloc`, `pmd_alloc`,
 * `pte_alloc_kernel`, `pte_lockptr`, `pte_offset_map_lock`,
 * `pte_unmap_unlock`, `pte_offset_kernel`, `virt_to_kpte`) at v6.2
 * (mm-primitives.md §7). Every entry read or write is a visible step on the
 * machine (loadPte/storePte), in the big-endian Radix format.
 */
import { loadPte, storePte } from "../../machine/task-ops.ts";
import { Last } from "../../util/last.ts";
import {
  PMD_INDEX,
  PTE_INDEX,
  PUD_INDEX,
  pmdAllocOne,
  pmdFree,
  pteAllocOne,
  pteAllocOneKernel,
  pteFree,
  pudAllocOne,
  pudFree,
} from "../arch/powerpc/include/asm/book3s/64/pgalloc.ts";
import {
  dirEntryTable,
  type Geometry,
  geometry,
  mkDirEntry,
  pdIsLeaf,
  pdNone,
  pgdIndex,
  pmdIndex,
  pteIndex,
  pudIndex,
} from "../arch/powerpc/include/asm/book3s/64/pgtable.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import type { Kernel } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import type { MmStruct } from "../include/linux/mm_types.ts";
import { vmBugOn } from "../include/linux/mmdebug.ts";
import { type Spinlock, spinLock, spinUnlock } from "../kernel/locking/spinlock.ts";
import { initMm } from "./init-mm.ts";
import { type MmuGather, pgtableFreeTlb, tlbChangePageSize } from "./mmu_gather.ts";
import { pageBase, ptPage } from "./page_alloc.ts";

function geo(c: Pick<Ctx, "k">): Geometry {
  return geometry(c.k.pageShift);
}

/** Reads a table entry (a visible PTE_READ step). */
export function* readEntry(c: Ctx, pa: number): KGen<bigint> {
  return yield* loadPte(c.k.machine, c.cpu, pa);
}

/** Writes a table entry (a visible PTE_WRITE step). */
export function* writeEntry(c: Ctx, pa: number, value: bigint): KGen<void> {
  yield* storePte(c.k.machine, c.cpu, pa, value);
}

/** Models `pgd_offset(mm, addr)`: the PGD slot (physical address). */
export function pgdOffset(c: Pick<Ctx, "k">, mm: MmStruct, addr: bigint): number {
  return mm.pgd + 8 * pgdIndex(geo(c), addr);
}
/** Models `pud_offset(p4d_value, addr)`. */
export function pudOffset(c: Pick<Ctx, "k">, p4d: bigint, addr: bigint): number {
  return tableOf(PUD_TABLE, p4d) + 8 * pudIndex(geo(c), addr);
}
/** Models `pmd_offset(pud_value, addr)`. */
export function pmdOffset(c: Pick<Ctx, "k">, pud: bigint, addr: bigint): number {
  return tableOf(PMD_TABLE, pud) + 8 * pmdIndex(geo(c), addr);
}
/** Models `pte_offset_kernel(pmd_value, addr)` (= `pte_offset_map` on ppc64). */
export function pteOffsetKernel(c: Pick<Ctx, "k">, pmd: bigint, addr: bigint): number {
  return tableOf(PTE_TABLE, pmd) + 8 * pteIndex(geo(c), addr);
}
/** `dirEntryTable(entry)`, remembered per level (a walk meets the same entries at every patch). */
function tableOf(last: Last<number>, entry: bigint): number {
  return last.has(entry, 0) ? last.value : last.set(entry, 0, null, dirEntryTable(entry));
}
const PUD_TABLE = new Last(0);
const PMD_TABLE = new Last(0);
const PTE_TABLE = new Last(0);

/** Models `__pud_alloc(mm, p4d, addr)`: 0, or -ENOMEM. */
function* __pudAlloc(c: Ctx, mm: MmStruct, p4d: number): KGen<number> {
  const g = geo(c);
  const fresh = yield* pudAllocOne(c, mm);
  if (fresh === null) return -12;
  yield* spinLock(c, mm.pageTableLock);
  if (pdNone(yield* readEntry(c, p4d))) {
    mm.pgtablesBytes += g.pudTableSize;
    // smp_wmb(): the table's zeroes before the entry that publishes it.
    yield* writeEntry(c, p4d, mkDirEntry(fresh, g.pudIndexSize));
  } else pudFree(c.k, fresh);
  yield* spinUnlock(c, mm.pageTableLock);
  return 0;
}

/** Models `pud_alloc(mm, p4d, addr)`: the PUD slot, allocating the table if missing; null on failure. */
export function* pudAlloc(c: Ctx, mm: MmStruct, p4d: number, addr: bigint): KGen<number | null> {
  let v = yield* readEntry(c, p4d);
  if (pdNone(v)) {
    if ((yield* __pudAlloc(c, mm, p4d)) !== 0) return null;
    v = yield* readEntry(c, p4d);
  }
  return pudOffset(c, v, addr);
}

/** Models `__pmd_alloc(mm, pud, addr)` (the PUD lock is mm->page_table_lock). */
function* __pmdAlloc(c: Ctx, mm: MmStruct, pud: number): KGen<number> {
  const g = geo(c);
  const fresh = yield* pmdAllocOne(c, mm);
  if (fresh === null) return -12;
  yield* spinLock(c, mm.pageTableLock);
  if (pdNone(yield* readEntry(c, pud))) {
    mm.pgtablesBytes += g.pmdTableSize;
    yield* writeEntry(c, pud, mkDirEntry(fresh, g.pmdIndexSize));
  } else pmdFree(c.k, fresh);
  yield* spinUnlock(c, mm.pageTableLock);
  return 0;
}

/** Models `pmd_alloc(mm, pud, addr)`. */
export function* pmdAlloc(c: Ctx, mm: MmStruct, pud: number, addr: bigint): KGen<number | null> {
  let v = yield* readEntry(c, pud);
  if (pdNone(v)) {
    if ((yield* __pmdAlloc(c, mm, pud)) !== 0) return null;
    v = yield* readEntry(c, pud);
  }
  return pmdOffset(c, v, addr);
}

/**
 * Models `pmd_install(mm, pmd, pte)`: under the PMD lock, publish the new
 * PTE table if the PMD is still empty; returns the table if it was not used.
 * SIMPLIFICATION: `pmd_lock()` is mm->page_table_lock (no split PMD locks).
 */
function* pmdInstall(c: Ctx, mm: MmStruct, pmd: number, table: number): KGen<number | null> {
  const g = geo(c);
  yield* spinLock(c, mm.pageTableLock);
  let left: number | null = table;
  if (pdNone(yield* readEntry(c, pmd))) {
    mm.pgtablesBytes += g.pteTableSize;
    yield* writeEntry(c, pmd, mkDirEntry(table, g.pteIndexSize));
    left = null;
  }
  yield* spinUnlock(c, mm.pageTableLock);
  return left;
}

/** Models `__pte_alloc(mm, pmd)`: 0 or -ENOMEM. */
export function* __pteAlloc(c: Ctx, mm: MmStruct, pmd: number): KGen<number> {
  const fresh = yield* pteAllocOne(c, mm);
  if (fresh === null) return -12;
  const left = yield* pmdInstall(c, mm, pmd, fresh);
  if (left !== null) pteFree(c.k, left, false);
  return 0;
}

/** Models `__pte_alloc_kernel(pmd)`: under init_mm.page_table_lock, no split lock. */
export function* __pteAllocKernel(c: Ctx, pmd: number): KGen<number> {
  const g = geo(c);
  const mm = initMm(c.k);
  const fresh = yield* pteAllocOneKernel(c, mm);
  if (fresh === null) return -12;
  yield* spinLock(c, mm.pageTableLock);
  let used = false;
  if (pdNone(yield* readEntry(c, pmd))) {
    yield* writeEntry(c, pmd, mkDirEntry(fresh, g.pteIndexSize));
    used = true;
  }
  yield* spinUnlock(c, mm.pageTableLock);
  if (!used) pteFree(c.k, fresh, true);
  return 0;
}

/** Models `pte_alloc_kernel(pmd, addr)`: the PTE slot, or null. */
export function* pteAllocKernel(c: Ctx, pmd: number, addr: bigint): KGen<number | null> {
  let v = yield* readEntry(c, pmd);
  if (pdNone(v)) {
    if ((yield* __pteAllocKernel(c, pmd)) !== 0) return null;
    v = yield* readEntry(c, pmd);
  }
  return pteOffsetKernel(c, v, addr);
}

/**
 * Models `pte_lockptr(mm, pmd)`: with split PTE locks the lock in the
 * `struct page` of the page holding the PTE table (`pmd_page(*pmd)`), else
 * `mm->page_table_lock`.
 */
export function pteLockptr(k: Kernel, mm: MmStruct, pmd: bigint): Spinlock {
  if (!k.config.bool("SPLIT_PTE_PTLOCKS")) return mm.pageTableLock;
  const page = ptPage(k, pageBase(k, tableOf(PTE_TABLE, pmd)));
  if (page.ptl === null) {
    throw new Error(`pte_lockptr: page 0x${page.pa.toString(16)} has no PTE lock (kernel table?)`);
  }
  return page.ptl;
}

/** A locked PTE slot: what `pte_offset_map_lock` and `get_locked_pte` return. */
export interface LockedPte {
  /** Physical address of the PTE slot. */
  readonly pte: number;
  readonly ptl: Spinlock;
}

/** Models `pte_offset_map_lock(mm, pmd, addr, &ptl)`: the slot, with its lock taken. */
export function* pteOffsetMapLock(
  c: Ctx,
  mm: MmStruct,
  pmd: number,
  addr: bigint,
): KGen<LockedPte> {
  const v = yield* readEntry(c, pmd);
  const ptl = pteLockptr(c.k, mm, v);
  const pte = pteOffsetKernel(c, v, addr);
  yield* spinLock(c, ptl);
  return { pte, ptl };
}

/** Models `pte_unmap_unlock(pte, ptl)` (pte_unmap is empty on ppc64). */
export function* pteUnmapUnlock(c: Ctx, locked: LockedPte): KGen<void> {
  yield* spinUnlock(c, locked.ptl);
}

/** Models `walk_to_pmd(mm, addr)` (static, inlined into __get_locked_pte). */
function* walkToPmd(c: Ctx, mm: MmStruct, addr: bigint): KGen<number | null> {
  const pgd = pgdOffset(c, mm, addr);
  // p4d_alloc: the P4D level is folded into the PGD.
  const pud = yield* pudAlloc(c, mm, pgd, addr);
  if (pud === null) return null;
  const pmd = yield* pmdAlloc(c, mm, pud, addr);
  if (pmd === null) return null;
  // VM_BUG_ON(pmd_trans_huge(*pmd)): without DEBUG_VM the macro does not
  // evaluate its condition (BUILD_BUG_ON_INVALID), so *pmd is not read at all.
  if (c.k.config.bool("DEBUG_VM")) {
    const v = yield* readEntry(c, pmd);
    // Line UNVERIFIED (mm/memory.c of v6.2).
    yield* vmBugOn(c, pdIsLeaf(v), { file: "mm/memory.c", line: 1831 });
  }
  return pmd;
}

/**
 * Models `__get_locked_pte(mm, addr, &ptl)` (what `get_locked_pte()`
 * calls): allocate the missing PUD, PMD and PTE tables for `addr`, take the
 * PTE-table lock and return the slot; null when an allocation fails.
 */
export const getLockedPte = kfunc(
  { name: "__get_locked_pte", file: "mm/memory.c", size: 0x1c0 },
  function* (c: Ctx, mm: MmStruct, addr: bigint): KGen<LockedPte | null> {
    const pmd = yield* walkToPmd(c, mm, addr);
    if (pmd === null) return null;
    // pte_alloc_map_lock()
    if (pdNone(yield* readEntry(c, pmd)) && (yield* __pteAlloc(c, mm, pmd)) !== 0) return null;
    return yield* pteOffsetMapLock(c, mm, pmd, addr);
  },
);

/**
 * Models `virt_to_kpte(vaddr)`: init_mm's PTE slot for a kernel address, or
 * null when its PMD is empty.
 * SIMPLIFICATION: also null (instead of a wild pointer) when a higher level is empty.
 */
export function* virtToKpte(c: Ctx, vaddr: bigint): KGen<number | null> {
  const pmd = yield* pmdOffK(c, vaddr);
  if (pmd === null) return null;
  const v = yield* readEntry(c, pmd);
  if (pdNone(v)) return null;
  return pteOffsetKernel(c, v, vaddr);
}

/** Models `pmd_off_k(vaddr)`: init_mm's PMD slot, or null when a level above is empty. */
export function* pmdOffK(c: Ctx, vaddr: bigint): KGen<number | null> {
  const pgd = yield* readEntry(c, pgdOffset(c, initMm(c.k), vaddr));
  if (pdNone(pgd)) return null;
  const pud = yield* readEntry(c, pudOffset(c, pgd, vaddr));
  if (pdNone(pud)) return null;
  return pmdOffset(c, pud, vaddr);
}

// ------------------------------------------------------------ free_pgd_range

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** `*_addr_end(addr, end)`: the next boundary of a 2^shift region, or end. */
function addrEnd(addr: bigint, end: bigint, shift: number): bigint {
  const size = 1n << BigInt(shift);
  const boundary = U64((addr + size) & ~(size - 1n));
  return U64(boundary - 1n) < U64(end - 1n) ? boundary : end;
}

/** Models `free_pte_range()`: unhook the PTE table and hand it to the gather. */
function* freePteRange(c: Ctx, tlb: MmuGather, pmd: number, addr: bigint): KGen<void> {
  const v = yield* readEntry(c, pmd);
  yield* writeEntry(c, pmd, 0n);
  yield* pgtableFreeTlb(c, tlb, dirEntryTable(v), PTE_INDEX, addr);
  tlb.mm.pgtablesBytes -= geo(c).pteTableSize;
}

/** `addr & ~((1 << shift) - 1)` (PUD_MASK, P4D_MASK). */
function alignTo(addr: bigint, shift: number): bigint {
  return U64(addr & ~((1n << BigInt(shift)) - 1n));
}

/** The common tail of free_pmd/pud_range: may the table at `start` go? */
function mayFree(
  start: bigint,
  end: bigint,
  floor: bigint,
  ceiling: bigint,
  shift: number,
): boolean {
  const mask = ~((1n << BigInt(shift)) - 1n);
  const s = U64(start & mask);
  if (s < floor) return false;
  if (ceiling !== 0n) {
    ceiling = U64(ceiling & mask);
    if (ceiling === 0n) return false;
  }
  return !(U64(end - 1n) > U64(ceiling - 1n));
}

function* freePmdRange(
  c: Ctx,
  tlb: MmuGather,
  pud: number,
  addr: bigint,
  end: bigint,
  floor: bigint,
  ceiling: bigint,
): KGen<void> {
  const g = geo(c);
  const start = addr;
  const pudv = yield* readEntry(c, pud);
  do {
    const next = addrEnd(addr, end, g.pmdShift);
    const pmd = pmdOffset(c, pudv, addr);
    if (!pdNone(yield* readEntry(c, pmd))) yield* freePteRange(c, tlb, pmd, addr);
    addr = next;
  } while (addr !== end);
  if (!mayFree(start, end, floor, ceiling, g.pudShift)) return;
  yield* writeEntry(c, pud, 0n);
  // pmd_free_tlb(tlb, pmd, start & PUD_MASK)
  yield* pgtableFreeTlb(c, tlb, dirEntryTable(pudv), PMD_INDEX, alignTo(start, g.pudShift));
  tlb.mm.pgtablesBytes -= g.pmdTableSize;
}

function* freePudRange(
  c: Ctx,
  tlb: MmuGather,
  p4d: number,
  addr: bigint,
  end: bigint,
  floor: bigint,
  ceiling: bigint,
): KGen<void> {
  const g = geo(c);
  const start = addr;
  const p4dv = yield* readEntry(c, p4d);
  do {
    const next = addrEnd(addr, end, g.pudShift);
    const pud = pudOffset(c, p4dv, addr);
    if (!pdNone(yield* readEntry(c, pud))) {
      yield* freePmdRange(c, tlb, pud, addr, next, floor, ceiling);
    }
    addr = next;
  } while (addr !== end);
  // P4D_MASK is PGDIR_MASK: the P4D level is folded.
  if (!mayFree(start, end, floor, ceiling, g.pgdirShift)) return;
  yield* writeEntry(c, p4d, 0n);
  // pud_free_tlb(tlb, pud, start & P4D_MASK)
  yield* pgtableFreeTlb(c, tlb, dirEntryTable(p4dv), PUD_INDEX, alignTo(start, g.pgdirShift));
  tlb.mm.pgtablesBytes -= g.pudTableSize;
}

/**
 * Models `free_pgd_range(tlb, addr, end, floor, ceiling)`: unhook every
 * page table that maps only [addr, end) (and nothing of [floor, ceiling)
 * outside it; 0 means "no limit") and hand it to the gather, which frees it
 * when the gather finishes.
 */
export const freePgdRange = kfunc(
  { name: "free_pgd_range", file: "mm/memory.c", size: 0x3c0 },
  function* (
    c: Ctx,
    tlb: MmuGather,
    addr: bigint,
    end: bigint,
    floor: bigint,
    ceiling: bigint,
  ): KGen<void> {
    const g = geo(c);
    const pmdSize = 1n << BigInt(g.pmdShift);
    const pmdMask = ~(pmdSize - 1n);
    addr = U64(addr & pmdMask);
    if (addr < floor) {
      addr = U64(addr + pmdSize);
      if (addr === 0n) return;
    }
    if (ceiling !== 0n) {
      ceiling = U64(ceiling & pmdMask);
      if (ceiling === 0n) return;
    }
    if (U64(end - 1n) > U64(ceiling - 1n)) end = U64(end - pmdSize);
    if (addr > U64(end - 1n)) return;
    tlbChangePageSize(tlb, g.pageSize);
    do {
      const next = addrEnd(addr, end, g.pgdirShift);
      const pgd = pgdOffset(c, tlb.mm, addr);
      if (!pdNone(yield* readEntry(c, pgd))) {
        yield* freePudRange(c, tlb, pgd, addr, next, floor, ceiling);
      }
      addr = next;
    } while (addr !== end);
  },
);

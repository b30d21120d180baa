/**
 * Changing the protection of kernel pages (arch/powerpc/mm/pageattr.c,
 * v6.2): `set_memory_ro/rw/x/nx` walk init_mm's existing tables
 * (apply_to_existing_page_range) and rewrite each PTE under
 * init_mm.page_table_lock, with a ptesync and a kernel TLB flush per page.
 */

import { ptesync } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { spinLock, spinUnlock } from "../../../kernel/locking/spinlock.ts";
import { initMm } from "../../../mm/init-mm.ts";
import { pmdOffK, pteOffsetKernel, readEntry } from "../../../mm/memory.ts";
import {
  _PAGE_DIRTY,
  _PAGE_EXEC,
  _PAGE_WRITE,
  pdNone,
  pteNone,
} from "../include/asm/book3s/64/pgtable.ts";
import { pteUpdate } from "../include/asm/book3s/64/pte-update.ts";
import { flushTlbKernelRange } from "../include/asm/book3s/64/tlbflush.ts";
import { radixEnabled } from "../include/asm/mmu.ts";

export const SET_MEMORY_RO = 0;
export const SET_MEMORY_RW = 1;
export const SET_MEMORY_NX = 2;
export const SET_MEMORY_X = 3;
type Action =
  | typeof SET_MEMORY_RO
  | typeof SET_MEMORY_RW
  | typeof SET_MEMORY_NX
  | typeof SET_MEMORY_X;

/** Models `change_page_attr(ptep, addr, action)` for one existing PTE. */
function* changePageAttr(c: Ctx, ptep: number, addr: bigint, action: Action): KGen<void> {
  const mm = initMm(c.k);
  yield* spinLock(c, mm.pageTableLock);
  let pte = yield* readEntry(c, ptep);
  if (action === SET_MEMORY_RO) pte &= ~_PAGE_WRITE;
  else if (action === SET_MEMORY_RW) pte |= _PAGE_WRITE | _PAGE_DIRTY;
  else if (action === SET_MEMORY_NX) pte &= ~_PAGE_EXEC;
  else pte |= _PAGE_EXEC;
  yield* pteUpdate(c, mm, addr, ptep, 0xffff_ffff_ffff_ffffn, pte, false);
  // See ptesync comment in radix__set_pte_at()
  if (radixEnabled(c.k)) yield* ptesync(c.k.machine, c.cpu);
  yield* flushTlbKernelRange(c, addr, addr + BigInt(c.k.config.pageSize));
  yield* spinUnlock(c, mm.pageTableLock);
}

/**
 * Models `change_memory_attr(addr, numpages, action)`: every mapped base
 * page of the range. SIMPLIFICATION: huge (PMD/PUD leaf) mappings in the
 * range are left alone — the kernel's vmalloc/module areas, the only callers
 * here, are mapped with base pages.
 */
export const changeMemoryAttr = kfunc(
  { name: "change_memory_attr", file: "arch/powerpc/mm/pageattr.c", size: 0xd0 },
  function* (c: Ctx, addr: bigint, numpages: number, action: Action): KGen<number> {
    const ps = BigInt(c.k.config.pageSize);
    const start = addr & ~(ps - 1n);
    for (let a = start; a < start + BigInt(numpages) * ps; a += ps) {
      const pmd = yield* pmdOffK(c, a);
      if (pmd === null) continue;
      const v = yield* readEntry(c, pmd);
      if (pdNone(v)) continue;
      const ptep = pteOffsetKernel(c, v, a);
      if (pteNone(yield* readEntry(c, ptep))) continue;
      yield* changePageAttr(c, ptep, a, action);
    }
    return 0;
  },
);

/** Models `set_memory_rox(addr, numpages)` (include/linux/set_memory.h, v6.2): read-only, then executable. */
export function* setMemoryRox(c: Ctx, addr: bigint, numpages: number): KGen<number> {
  const ret = yield* changeMemoryAttr(c, addr, numpages, SET_MEMORY_RO);
  if (ret) return ret;
  return yield* changeMemoryAttr(c, addr, numpages, SET_MEMORY_X);
}

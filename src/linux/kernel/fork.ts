/**
 * The mm_struct life cycle (kernel/fork.c at v6.2; mm-primitives.md §6):
 * `mm_alloc()` → `mm_init()` (PGD, MMU context), `mmput()` → `__mmput()` →
 * `exit_mmap()` → `mmdrop()` → `__mmdrop()` (PGD freed, context destroyed,
 * `check_mm()`).
 *
 * SIMPLIFICATION: the generic parts of mm_init (rss percpu counters, user
 * namespace, mmu notifiers, ...) are not modelled: they neither allocate
 * page tables nor touch the MMU.
 */

import { pgdAlloc, pgdFree } from "../arch/powerpc/include/asm/book3s/64/pgalloc.ts";
import { MMU_NO_CONTEXT } from "../arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { bugOn, warnOnOnce } from "../arch/powerpc/include/asm/bug.ts";
import { destroyContext, initNewContext } from "../arch/powerpc/mm/book3s64/mmu_context.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { GFP_KERNEL } from "../include/linux/gfp.ts";
import type { MmStruct } from "../include/linux/mm_types.ts";
import { isInitMm } from "../mm/init-mm.ts";
import { exitMmap } from "../mm/mmap.ts";
import { kmemCacheAlloc, kmemCacheFree } from "../mm/page_alloc.ts";
import { spinLockInit } from "./locking/spinlock.ts";
import { LOGLEVEL_ALERT } from "./printk.ts";
import { mightSleep } from "./sched/core.ts";

const FILE = "kernel/fork.c";
/** The mm_struct slab cache (`mm_cachep`); also the failure-injection site of the struct. */
export const MM_CACHE = "mm_alloc";

/** mm names are numbered per kernel, so every run of the same inputs names them alike. */
const MM_SERIAL = defineSlot("mm-serial", () => ({ next: 0 }));

/**
 * Models `mm_alloc()`: a zeroed mm_struct from `mm_cachep`, then
 * `mm_init()`: users 1, count 1, locks initialised, `pgd_alloc`,
 * `init_new_context`. Any failure undoes what was done and returns null.
 */
export const mmAlloc = kfunc(
  { name: "mm_alloc", file: FILE, size: 0x80 },
  function* (c: Ctx): KGen<MmStruct | null> {
    const k = c.k;
    if (!(yield* kmemCacheAlloc(c, MM_CACHE, GFP_KERNEL))) return null;
    // mm_init() → mm_alloc_pgd()
    const pgd = yield* pgdAlloc(c, null);
    if (pgd === null) {
      kmemCacheFree(k, MM_CACHE);
      return null;
    }
    const name = `mm#${++c.k.slot(MM_SERIAL).next}`;
    const mm: MmStruct = {
      name,
      pgd,
      mmUsers: 1,
      mmCount: 1,
      pageTableLock: spinLockInit(`${name}.page_table_lock`),
      pgtablesBytes: 0,
      cpumask: new Set(),
      context: { id: MMU_NO_CONTEXT, pteFrag: null, pmdFrag: null, activeCpus: 0, copros: 0 },
      freed: false,
    };
    if ((yield* initNewContext(c, mm)) !== 0) {
      pgdFree(k, pgd);
      kmemCacheFree(k, MM_CACHE);
      mm.freed = true;
      return null;
    }
    return mm;
  },
);

/**
 * Models `check_mm(mm)`: complains about page-table bytes still accounted
 * ("BUG: non-zero pgtables_bytes on freeing mm: %ld").
 */
function checkMm(c: Ctx, mm: MmStruct): void {
  if (mm.pgtablesBytes !== 0) {
    c.k.printk.printLines(
      [
        {
          level: LOGLEVEL_ALERT,
          text: `BUG: non-zero pgtables_bytes on freeing mm: ${mm.pgtablesBytes}`,
        },
      ],
      c.current.pid,
    );
  }
}

/**
 * Models `__mmdrop(mm)`: BUG for init_mm, WARN if it is still current's mm
 * or active mm, free the PGD, destroy the context, check and free the struct.
 * Page tables below the PGD are not freed here: that is the job of
 * `free_pgd_range()` before.
 */
export const __mmdrop = kfunc(
  { name: "__mmdrop", file: FILE, size: 0x1c0 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    const k = c.k;
    // Line numbers UNVERIFIED (kernel/fork.c of v6.2).
    yield* bugOn(c, isInitMm(k, mm), { file: FILE, line: 790 });
    yield* warnOnOnce(c, c.current.mm === mm, { file: FILE, line: 791 });
    yield* warnOnOnce(c, c.current.activeMm === mm, { file: FILE, line: 795 });
    pgdFree(k, mm.pgd);
    yield* destroyContext(c, mm);
    checkMm(c, mm);
    kmemCacheFree(k, MM_CACHE);
    mm.freed = true;
  },
);

/** Models `mmdrop(mm)`: drop a reference to the struct. */
export function* mmdrop(c: Ctx, mm: MmStruct): KGen<void> {
  if (mm.freed) throw new Error(`mmdrop of freed ${mm.name}`);
  if (--mm.mmCount === 0) yield* __mmdrop(c, mm);
}

/**
 * Models `mmput(mm)`: may sleep; the last user tears the address space down
 * (`__mmput` → `exit_mmap`) and drops the struct reference.
 */
export const mmput = kfunc(
  { name: "mmput", file: FILE, size: 0x60 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    // Line UNVERIFIED (kernel/fork.c of v6.2).
    yield* mightSleep(c, FILE, 1216);
    if (mm.freed) throw new Error(`mmput of freed ${mm.name}`);
    if (--mm.mmUsers === 0) {
      // __mmput() (inlined)
      yield* exitMmap(c, mm);
      yield* mmdrop(c, mm);
    }
  },
);

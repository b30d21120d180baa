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
import { reportToSim } from "../core/sim-report.ts";
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

/**
 * `atomic_dec_and_test()` on a counter of `mm`: the counter is an `atomic_t`,
 * so nothing checks it — on an mm_struct already freed the decrement lands in
 * freed slab memory, silently. The model decrements as the kernel does and
 * reports the write (src/linux/core/sim-report.ts).
 */
function decAndTest(c: Ctx, mm: MmStruct, field: "mmUsers" | "mmCount", caller: string): boolean {
  if (mm.freed) {
    const name = field === "mmUsers" ? "mm_users" : "mm_count";
    reportToSim(
      c.k,
      c.cpu.id,
      "use-after-free",
      `${caller}(${mm.name}): ${name} of a freed mm_struct decremented (${mm[field]} -> ${mm[field] - 1})`,
    );
  }
  return --mm[field] === 0;
}

/**
 * Models `mmdrop(mm)` (include/linux/sched/mm.h): drop a reference to the
 * struct; the last one frees it (`__mmdrop`).
 */
export function* mmdrop(c: Ctx, mm: MmStruct): KGen<void> {
  if (decAndTest(c, mm, "mmCount", "mmdrop")) yield* __mmdrop(c, mm);
}

/**
 * Models `mmput(mm)`: may sleep; `atomic_dec_and_test(&mm->mm_users)`, and
 * the last user tears the address space down (`__mmput` → `exit_mmap`) and
 * drops the struct reference. An mmput too many is not caught: mm_users
 * goes below zero (on a freed mm, in freed memory — reported to the model)
 * and `__mmput` is not reached, so its `VM_BUG_ON(atomic_read(&mm->mm_users))`
 * cannot fire either.
 */
export const mmput = kfunc(
  { name: "mmput", file: FILE, size: 0x60 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    // Line UNVERIFIED (kernel/fork.c of v6.2).
    yield* mightSleep(c, FILE, 1216);
    if (decAndTest(c, mm, "mmUsers", "mmput")) {
      // __mmput() (inlined)
      yield* exitMmap(c, mm);
      yield* mmdrop(c, mm);
    }
  },
);

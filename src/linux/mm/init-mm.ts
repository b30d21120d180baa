/**
 * `init_mm`, the kernel's own address space (mm/init-mm.c at v6.2;
 * mm-primitives.md §5): its PGD is `swapper_pg_dir`, it is never freed,
 * kernel threads borrow it as `active_mm`, and on Radix its PID is the guard
 * PID set by the MMU setup.
 *
 * SIMPLIFICATION: `swapper_pg_dir` is an early (memblock) frame instead of a
 * static array in the image's bss.
 */
import { defineSlot, type Kernel } from "../core/kernel.ts";
import type { MmStruct } from "../include/linux/mm_types.ts";
import { spinLockInit } from "../kernel/locking/spinlock.ts";
import { memblockAlloc } from "./page_alloc.ts";

const INIT_MM = defineSlot("init_mm", (k: Kernel): MmStruct => {
  const pgd = memblockAlloc(k, 8 << 13);
  return {
    name: "init_mm",
    pgd,
    mmUsers: 2,
    mmCount: 1,
    pageTableLock: spinLockInit("init_mm.page_table_lock"),
    pgtablesBytes: 0,
    cpumask: new Set(),
    context: { id: 0, pteFrag: null, pmdFrag: null, activeCpus: 0, copros: 0 },
    freed: false,
  };
});

/** Models `&init_mm`. */
export function initMm(k: Kernel): MmStruct {
  return k.slot(INIT_MM);
}

/** Is this `&init_mm`? */
export function isInitMm(k: Kernel, mm: MmStruct): boolean {
  return mm === k.slot(INIT_MM);
}

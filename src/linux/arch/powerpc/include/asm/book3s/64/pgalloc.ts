/**
 * Page-table allocation for book3s64 (arch/powerpc/include/asm/book3s/64/pgalloc.h,
 * asm/nohash/... not used; v6.2): PGD and PUD tables from their page-table
 * caches, PMD and PTE tables as fragments, and `pgtable_free` by table index.
 *
 * SIMPLIFICATION: the PGD and PUD caches (`PGT_CACHE(...)`) are whole frames
 * from the page allocator (a 64 KiB PGD is exactly one 64K page; a 4 KiB PUD
 * takes a whole 64K frame instead of a slab object), with failure sites
 * "pgd_alloc" and "pud_alloc".
 */
import type { Ctx, KGen } from "../../../../../../core/ctx.ts";
import type { Kernel } from "../../../../../../core/kernel.ts";
import { GFP_PGTABLE_KERNEL, GFP_PGTABLE_USER } from "../../../../../../include/linux/gfp.ts";
import type { MmStruct } from "../../../../../../include/linux/mm_types.ts";
import { isInitMm } from "../../../../../../mm/init-mm.ts";
import { allocPages, freePages } from "../../../../../../mm/page_alloc.ts";
import {
  pmdFragmentAlloc,
  pmdFragmentFree,
  pteFragmentAlloc,
  pteFragmentFree,
} from "../../../../mm/pgtable-frag.ts";
import { geometry } from "./pgtable.ts";

/** Table kinds as `pgtable_free()` encodes them in the low bits (PTE_INDEX, PMD_INDEX, PUD_INDEX). */
export const PTE_INDEX = 0;
export const PMD_INDEX = 1;
export const PUD_INDEX = 2;

function pgdOrder(k: Kernel): number {
  const g = geometry(k.config.pageShift);
  return Math.log2(g.pgdTableSize / g.pageSize);
}

/** Models `pgd_alloc(mm)`: a zeroed PGD (a Radix user PGD has no kernel entries). */
export function* pgdAlloc(c: Ctx, mm: { name: string } | null): KGen<number | null> {
  void mm;
  return yield* allocPages(c, GFP_PGTABLE_USER, pgdOrder(c.k), "pgd_alloc");
}

/** Models `pgd_free(mm, pgd)`. */
export function pgdFree(k: Kernel, pgd: number): void {
  freePages(k, pgd, pgdOrder(k));
}

/** Models `pud_alloc_one(mm, addr)`. */
export function* pudAllocOne(c: Ctx, mm: MmStruct): KGen<number | null> {
  const gfp = isInitMm(c.k, mm) ? GFP_PGTABLE_KERNEL : GFP_PGTABLE_USER;
  return yield* allocPages(c, gfp, 0, "pud_alloc");
}

/** Models `pud_free(mm, pud)`. */
export function pudFree(k: Kernel, pud: number): void {
  freePages(k, pud, 0);
}

/** Models `pmd_alloc_one(mm, addr)`. */
export function* pmdAllocOne(c: Ctx, mm: MmStruct): KGen<number | null> {
  return yield* pmdFragmentAlloc(c, mm, isInitMm(c.k, mm));
}

/** Models `pmd_free(mm, pmd)`. */
export function pmdFree(k: Kernel, pmd: number): void {
  pmdFragmentFree(k, pmd);
}

/** Models `pte_alloc_one(mm)` (a user PTE table, with its split lock). */
export function* pteAllocOne(c: Ctx, mm: MmStruct): KGen<number | null> {
  return yield* pteFragmentAlloc(c, mm, false);
}

/** Models `pte_alloc_one_kernel(mm)`. */
export function* pteAllocOneKernel(c: Ctx, mm: MmStruct): KGen<number | null> {
  return yield* pteFragmentAlloc(c, mm, true);
}

/** Models `pte_free(mm, table)` / `pte_free_kernel(mm, table)`. */
export function pteFree(k: Kernel, table: number, kernel: boolean): void {
  pteFragmentFree(k, table, kernel);
}

/** Models `pgtable_free(table, index)` (arch/powerpc/mm/book3s64/pgtable.c). */
export function pgtableFree(k: Kernel, table: number, index: number): void {
  switch (index) {
    case PTE_INDEX:
      pteFragmentFree(k, table, false);
      return;
    case PMD_INDEX:
      pmdFragmentFree(k, table);
      return;
    case PUD_INDEX:
      pudFree(k, table);
      return;
    default:
      throw new Error(`pgtable_free: bad index ${index}`);
  }
}

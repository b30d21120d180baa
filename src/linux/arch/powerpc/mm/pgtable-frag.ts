/**
 * Page-table fragments (arch/powerpc/mm/pgtable-frag.c, and the PMD
 * variants of arch/powerpc/mm/book3s64/pgtable.c, v6.2; mm-primitives.md §2):
 * a 64 KiB page holds 256 PTE tables of 256 bytes (or 16 PMD tables of
 * 4 KiB); an mm carves fragments from its current page (`context.pte_frag`),
 * so different mms never share a page. Each page counts its live fragments
 * (`pt_frag_refcount`); a page's unused fragments are returned when the mm
 * is torn down (`pte_frag_destroy`). A user PTE page gets its split PTE lock
 * from `pgtable_pte_page_ctor`.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { GFP_PGTABLE_KERNEL, GFP_PGTABLE_USER } from "../../../include/linux/gfp.ts";
import type { MmStruct } from "../../../include/linux/mm_types.ts";
import { spinLock, spinLockInit, spinUnlock } from "../../../kernel/locking/spinlock.ts";
import { allocPages, freePages, pageBase, ptPage } from "../../../mm/page_alloc.ts";
import { geometry } from "../include/asm/book3s/64/pgtable.ts";

/** Which fragment cache: PTE tables or PMD tables. */
type Kind = "pte" | "pmd";

function fragGeometry(k: Kernel, kind: Kind): { size: number; nr: number } {
  const g = geometry(k.config.pageShift);
  return kind === "pte"
    ? { size: g.pteTableSize, nr: g.pteFragNr }
    : { size: g.pmdTableSize, nr: g.pmdFragNr };
}

/** Models `get_pte_from_cache()` / `get_pmd_from_cache()`. */
function getFromCache(k: Kernel, mm: MmStruct, kind: Kind): number | null {
  const ret = kind === "pte" ? mm.context.pteFrag : mm.context.pmdFrag;
  if (ret === null) return null;
  const { size } = fragGeometry(k, kind);
  let next: number | null = ret + size;
  if (next % k.config.pageSize === 0) next = null;
  if (kind === "pte") mm.context.pteFrag = next;
  else mm.context.pmdFrag = next;
  return ret;
}

/** Models `__alloc_for_ptecache()` / `__alloc_for_pmdcache()`. */
function* allocForCache(c: Ctx, mm: MmStruct, kind: Kind, kernel: boolean): KGen<number | null> {
  const k = c.k;
  const gfp = kernel ? GFP_PGTABLE_KERNEL : GFP_PGTABLE_USER;
  const pa = yield* allocPages(c, gfp, 0, kind === "pte" ? "pte_alloc" : "pmd_alloc");
  if (pa === null) return null;
  const page = ptPage(k, pa);
  // pgtable_pte_page_ctor(): the split PTE lock lives in the page.
  // SIMPLIFICATION: no split PMD locks (pmd_lock is mm->page_table_lock).
  if (kind === "pte" && !kernel && k.config.bool("SPLIT_PTE_PTLOCKS")) {
    page.ptl = spinLockInit(`ptl@0x${pa.toString(16)}`);
  }
  page.fragRefcount = 1;
  const { size, nr } = fragGeometry(k, kind);
  if (nr === 1) return pa;
  // Publish the rest of the page as this mm's fragment cache, unless another
  // allocation raced us to it.
  yield* spinLock(c, mm.pageTableLock);
  const cached = kind === "pte" ? mm.context.pteFrag : mm.context.pmdFrag;
  if (cached === null) {
    page.fragRefcount = nr;
    if (kind === "pte") mm.context.pteFrag = pa + size;
    else mm.context.pmdFrag = pa + size;
  }
  yield* spinUnlock(c, mm.pageTableLock);
  return pa;
}

/** Models `pte_fragment_alloc(mm, kernel)`: a zeroed PTE table, or null. */
export function* pteFragmentAlloc(c: Ctx, mm: MmStruct, kernel: boolean): KGen<number | null> {
  const ret = getFromCache(c.k, mm, "pte");
  if (ret !== null) return ret;
  return yield* allocForCache(c, mm, "pte", kernel);
}

/** Models `pmd_fragment_alloc(mm, addr)`. */
export function* pmdFragmentAlloc(c: Ctx, mm: MmStruct, kernel: boolean): KGen<number | null> {
  const ret = getFromCache(c.k, mm, "pmd");
  if (ret !== null) return ret;
  return yield* allocForCache(c, mm, "pmd", kernel);
}

/** Drops one fragment reference of the page holding `table`; frees the page at zero. */
function fragmentFree(k: Kernel, table: number, kernel: boolean): void {
  const base = pageBase(k, table);
  const page = ptPage(k, base);
  if (page.fragRefcount <= 0)
    throw new Error(`fragment free of 0x${table.toString(16)}: refcount 0`);
  page.fragRefcount--;
  if (page.fragRefcount === 0) {
    if (!kernel) page.ptl = null;
    freePages(k, base);
  }
}

/** Models `pte_fragment_free(table, kernel)`. */
export function pteFragmentFree(k: Kernel, table: number, kernel: boolean): void {
  fragmentFree(k, table, kernel);
}

/** Models `pmd_fragment_free(pmd)`. */
export function pmdFragmentFree(k: Kernel, table: number): void {
  fragmentFree(k, table, false);
}

/**
 * Models `pte_frag_destroy()` / `pmd_frag_destroy()`: give back the
 * fragments an mm still had reserved in its cache page.
 */
export function fragDestroy(k: Kernel, frag: number, kind: Kind): void {
  const base = pageBase(k, frag);
  const page = ptPage(k, base);
  const { size, nr } = fragGeometry(k, kind);
  const count = (frag - base) / size;
  page.fragRefcount -= nr - count;
  if (page.fragRefcount === 0) {
    page.ptl = null;
    freePages(k, base);
  }
}

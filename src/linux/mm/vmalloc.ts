/**
 * The vmalloc area (mm/vmalloc.c at v6.2; mm-primitives.md §15): virtual
 * ranges in [VMALLOC_START, VMALLOC_END) with a trailing guard page, backed
 * by page frames mapped in init_mm.
 *
 * SIMPLIFICATION: first-fit over a sorted list instead of the kernel's
 * rb-trees; freed ranges are never handed out again (the kernel only reuses
 * lazily-freed ranges after a purge, which flushes the kernel TLB), so the
 * lazy TLB flush of vunmap is modelled as "never needed": stale translations
 * of freed areas may stay in TLBs, as they do in the kernel until a purge.
 */

import { ptesync } from "../../machine/task-ops.ts";
import {
  dirEntryTable,
  geometry,
  PAGE_KERNEL,
  pdIsLeaf,
  pdNone,
  pfnPte,
  ptePfn,
  ptePresent,
  VMALLOC_END,
  VMALLOC_START,
} from "../arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { pteClear } from "../arch/powerpc/include/asm/book3s/64/pte-update.ts";
import { setPteAt } from "../arch/powerpc/mm/pgtable.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { GFP_KERNEL } from "../include/linux/gfp.ts";
import { initMm } from "./init-mm.ts";
import {
  pgdOffset,
  pmdAlloc,
  pmdOffK,
  pmdOffset,
  pteAllocKernel,
  pteOffsetKernel,
  pudAlloc,
  pudOffset,
  readEntry,
} from "./memory.ts";
import { allocPages, freePages, kmemCacheAlloc, kmemCacheFree } from "./page_alloc.ts";

/** `VM_ALLOC` / `VM_FLUSH_RESET_PERMS` (include/linux/vmalloc.h). */
export const VM_ALLOC = 0x2;
export const VM_FLUSH_RESET_PERMS = 0x100;

/** `struct vm_struct`. */
export interface VmStruct {
  readonly addr: bigint;
  /** Size including the guard page. */
  readonly size: number;
  readonly flags: number;
  /** Backing frames (physical), for vmalloc'd areas. */
  readonly pages: number[];
}

interface VmallocState {
  /** Live areas, sorted by address. */
  readonly areas: VmStruct[];
}

const VMALLOC = defineSlot("vmalloc", (): VmallocState => ({ areas: [] }));

/**
 * The lowest free range of `size` bytes in [VMALLOC_START, VMALLOC_END)
 * between the live areas (sorted by address), as alloc_vmap_area's
 * lowest-match search finds it; null when the space is exhausted.
 */
function findFreeRange(areas: readonly VmStruct[], size: bigint): bigint | null {
  let start = VMALLOC_START;
  for (const a of areas) {
    if (a.addr - start >= size) return start;
    start = a.addr + BigInt(a.size);
  }
  return VMALLOC_END - start >= size ? start : null;
}

/** Live vm areas (inspection). */
export function vmAreas(c: Pick<Ctx, "k">): readonly VmStruct[] {
  return c.k.slot(VMALLOC).areas;
}

/** Models `is_vmalloc_or_module_addr(addr)`: on ppc64 modules live in vmalloc space. */
export function isVmallocOrModuleAddr(addr: bigint): boolean {
  return addr >= VMALLOC_START && addr < VMALLOC_END;
}

/**
 * Models `get_vm_area(size, flags)`: reserve page-aligned virtual space for
 * `size` plus a guard page; nothing is mapped. Null when the struct cannot
 * be allocated (failure site "get_vm_area") or the space is exhausted.
 */
export const getVmArea = kfunc(
  { name: "get_vm_area", file: "mm/vmalloc.c", size: 0x60 },
  function* (c: Ctx, size: number, flags: number): KGen<VmStruct | null> {
    const ps = c.k.config.pageSize;
    if (!(yield* kmemCacheAlloc(c, "get_vm_area", GFP_KERNEL))) return null;
    const st = c.k.slot(VMALLOC);
    const total = Math.ceil(size / ps) * ps + ps;
    const addr = findFreeRange(st.areas, BigInt(total));
    if (addr === null) {
      kmemCacheFree(c.k, "get_vm_area");
      return null;
    }
    const area: VmStruct = { addr, size: total, flags, pages: [] };
    const at = st.areas.findIndex((a) => a.addr > addr);
    st.areas.splice(at < 0 ? st.areas.length : at, 0, area);
    return area;
  },
);

/** Map one page of a vm area in init_mm (`vmap_range_noflush` for one PTE). */
function* vmapPage(c: Ctx, addr: bigint, pa: number, prot: bigint): KGen<boolean> {
  const g = geometry(c.k.config.pageShift);
  const mm = initMm(c.k);
  const pud = yield* pudAlloc(c, mm, pgdOffset(c, mm, addr), addr);
  if (pud === null) return false;
  const pmd = yield* pmdAlloc(c, mm, pud, addr);
  if (pmd === null) return false;
  const ptep = yield* pteAllocKernel(c, pmd, addr);
  if (ptep === null) return false;
  yield* setPteAt(c, mm, addr, ptep, pfnPte(g, BigInt(pa) >> BigInt(g.pageShift), prot));
  return true;
}

/** Clear the PTEs of [addr, addr+len) in init_mm (`vunmap_range_noflush`). */
function* vunmapRange(c: Ctx, addr: bigint, len: number): KGen<void> {
  const ps = BigInt(c.k.config.pageSize);
  const mm = initMm(c.k);
  for (let a = addr; a < addr + BigInt(len); a += ps) {
    const pmd = yield* pmdOffK(c, a);
    if (pmd === null) continue;
    const v = yield* readEntry(c, pmd);
    if (pdNone(v)) continue;
    const ptep = pteOffsetKernel(c, v, a);
    if (!pdNone(yield* readEntry(c, ptep))) yield* pteClear(c, mm, a, ptep);
  }
}

/** Models `remove_vm_area` + freeing the struct; BUG-like simulator error for an unknown area. */
function* removeArea(c: Ctx, area: VmStruct): KGen<void> {
  const st = c.k.slot(VMALLOC);
  const i = st.areas.indexOf(area);
  if (i < 0) throw new Error(`free_vm_area: 0x${area.addr.toString(16)} is not a vm area`);
  yield* vunmapRange(c, area.addr, area.size - c.k.config.pageSize);
  st.areas.splice(i, 1);
  kmemCacheFree(c.k, "get_vm_area");
}

/** Models `free_vm_area(area)`: unmap whatever is mapped and free the struct (not the pages). */
export const freeVmArea = kfunc(
  { name: "free_vm_area", file: "mm/vmalloc.c", size: 0x60 },
  function* (c: Ctx, area: VmStruct): KGen<void> {
    yield* removeArea(c, area);
  },
);

/**
 * Models `__vmalloc_node_range(size, ..., prot)`: an area plus one frame per
 * page (failure site "vmalloc"), mapped with `prot`. Null on failure, with
 * everything undone.
 */
export function* vmallocProt(
  c: Ctx,
  size: number,
  prot: bigint,
  flags = VM_ALLOC,
): KGen<bigint | null> {
  const ps = c.k.config.pageSize;
  const area = yield* getVmArea(c, size, flags);
  if (area === null) return null;
  const pages = (area.size - ps) / ps;
  for (let i = 0; i < pages; i++) {
    const pa = yield* allocPages(c, GFP_KERNEL, 0, "vmalloc");
    const ok = pa !== null && (yield* vmapPage(c, area.addr + BigInt(i * ps), pa, prot));
    if (pa !== null) area.pages.push(pa);
    if (!ok) {
      yield* vfreeArea(c, area);
      return null;
    }
  }
  // flush_cache_vmap() on book3s64: set_pte has no ptesync, so without this a
  // new kernel mapping can fault spuriously when used right away.
  yield* ptesync(c.k.machine, c.cpu);
  return area.addr;
}

/** Models `vmalloc(size)`: PAGE_KERNEL memory in the vmalloc area. */
export const vmalloc = kfunc(
  { name: "vmalloc", file: "mm/vmalloc.c", size: 0x50 },
  function* (c: Ctx, size: number): KGen<bigint | null> {
    return yield* vmallocProt(c, size, PAGE_KERNEL);
  },
);

function* vfreeArea(c: Ctx, area: VmStruct): KGen<void> {
  yield* removeArea(c, area);
  for (const pa of area.pages.splice(0)) freePages(c.k, pa);
}

/** Models `vfree(addr)`: unmap, free the pages and the area. */
export const vfree = kfunc(
  { name: "vfree", file: "mm/vmalloc.c", size: 0x90 },
  function* (c: Ctx, addr: bigint): KGen<void> {
    const area = c.k.slot(VMALLOC).areas.find((a) => a.addr === addr);
    if (area === undefined)
      throw new Error(`vfree: 0x${addr.toString(16)} is not a vmalloc address`);
    yield* vfreeArea(c, area);
  },
);

/**
 * Models `vmalloc_to_pfn(addr)` (via `vmalloc_to_page`): walk init_mm's
 * tables; null where the kernel would find no page.
 */
export const vmallocToPfn = kfunc(
  { name: "vmalloc_to_pfn", file: "mm/vmalloc.c", size: 0x40 },
  function* (c: Ctx, addr: bigint): KGen<bigint | null> {
    const g = geometry(c.k.config.pageShift);
    const mm = initMm(c.k);
    const pgd = yield* readEntry(c, pgdOffset(c, mm, addr));
    if (pdNone(pgd)) return null;
    const pud = yield* readEntry(c, pudOffset(c, pgd, addr));
    if (pdNone(pud) || pdIsLeaf(pud)) return null;
    const pmd = yield* readEntry(c, pmdOffset(c, pud, addr));
    if (pdNone(pmd) || pdIsLeaf(pmd)) return null;
    const pte = yield* readEntry(
      c,
      dirEntryTable(pmd) +
        8 * Number((addr >> BigInt(g.pageShift)) & BigInt((1 << g.pteIndexSize) - 1)),
    );
    return ptePresent(pte) ? ptePfn(g, pte) : null;
  },
);

/**
 * The kernel's physical page allocator, slab caches and early (memblock)
 * allocations, over the machine's RAM. Models what the rest of the model
 * needs of mm/page_alloc.c (`__alloc_pages`, `__free_pages`), mm/slab_common.c
 * (`kmem_cache_alloc`/`free`) and mm/memblock.c at v6.2: every allocation is
 * a visible step, consults the run's Choices for failure injection under a
 * site name, and with a blocking GFP mask first calls `might_alloc()`.
 *
 * Frames come from a `FrameAllocator` over RAM above the kernel image (its
 * per-site counters are the leak accounting). Page-table pages also get
 * their `struct page` fields (`PtPage`: split lock, fragment refcount).
 *
 * SIMPLIFICATION: slab objects (mm_struct, vm_struct, ...) take no simulated
 * memory; their caches only count objects and can fail.
 */
import { FrameAllocator } from "../../machine/frame-allocator.ts";
import { OpKind } from "../../machine/ops.ts";
import { visible } from "../../machine/task-ops.ts";
import type { Choices } from "../../util/choices.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel, runChoices } from "../core/kernel.ts";
import { gfpflagsAllowBlocking } from "../include/linux/gfp.ts";
import type { PtPage } from "../include/linux/mm_types.ts";
import { mightSleep } from "../kernel/sched/core.ts";

/** Object counters of one slab cache. */
export interface SlabCounters {
  allocs: number;
  frees: number;
  failures: number;
  live: number;
}

interface PageAllocState {
  frames: FrameAllocator | null;
  /** `struct page` of page-table pages, by physical address. */
  readonly ptPages: Map<number, PtPage>;
  readonly slabs: Map<string, SlabCounters>;
  /** `slab_is_available()`: set by `pagingInit` (mm_core_init in the kernel). */
  slabAvailable: boolean;
}

const PAGE_ALLOC = defineSlot(
  "page-alloc",
  (): PageAllocState => ({
    frames: null,
    ptPages: new Map(),
    slabs: new Map(),
    slabAvailable: false,
  }),
);

/** Never fails: memblock allocations at early boot panic rather than fail. */
const NEVER_FAIL: Choices = {
  pickCpu: (r) => r[0]!,
  deliverInterrupt: () => false,
  failAllocation: () => false,
  random: () => 0,
};

/** `include/linux/sched/mm.h:274`: where `might_alloc()` reports (v6.0–v6.3 builds). */
export const MIGHT_ALLOC_FILE = "include/linux/sched/mm.h";
export const MIGHT_ALLOC_LINE = 274;

/**
 * Hands the RAM from `base` (default: the first page after the kernel image,
 * or 8 MiB without an image) to the page allocator. Called once, at the start
 * of the MMU setup.
 */
export function pageAllocInit(k: Kernel, base?: number): FrameAllocator {
  const st = k.slot(PAGE_ALLOC);
  if (st.frames !== null) return st.frames;
  const ps = k.config.pageSize;
  const end = k.image === undefined ? 0x80_0000 : Number(k.image.end - 0xc000_0000_0000_0000n);
  const start = Math.ceil((base ?? end) / ps) * ps;
  const size = k.machine.mem.size;
  const bytes = Math.floor((size - start) / ps) * ps;
  st.frames = new FrameAllocator(start, bytes, ps, k.machine.mem);
  st.frames.reporter = k.machine;
  return st.frames;
}

/** The page allocator's frames (its counters are the leak accounting). */
export function frameAllocator(k: Kernel): FrameAllocator {
  return k.slot(PAGE_ALLOC).frames ?? pageAllocInit(k);
}

/** Models `slab_is_available()`. */
export function slabIsAvailable(k: Kernel): boolean {
  return k.slot(PAGE_ALLOC).slabAvailable;
}

/** Marks the slab allocator up (end of `mm_core_init`). */
export function setSlabAvailable(k: Kernel): void {
  k.slot(PAGE_ALLOC).slabAvailable = true;
}

/** Models `might_alloc(gfp)`: a blocking allocation may sleep. */
function* mightAlloc(c: Ctx, gfp: number): KGen<void> {
  if (gfpflagsAllowBlocking(gfp)) yield* mightSleep(c, MIGHT_ALLOC_FILE, MIGHT_ALLOC_LINE);
}

/**
 * Models `alloc_pages(gfp, order)`: 2^order frames, or null (failure
 * injected at `site`, or out of memory). Returns the physical address.
 * Fresh frames read as zero (freed frames are zeroed), so __GFP_ZERO holds.
 */
export function* allocPages(c: Ctx, gfp: number, order: number, site: string): KGen<number | null> {
  yield* mightAlloc(c, gfp);
  yield* visible(c.cpu, OpKind.ALLOC, site);
  return frameAllocator(c.k).alloc(runChoices(c.k), site, order);
}

/** Models `__free_pages(page, order)`. */
export function freePages(k: Kernel, pa: number, order = 0): void {
  k.slot(PAGE_ALLOC).ptPages.delete(pa);
  frameAllocator(k).free(pa, order);
}

/**
 * Models `memblock_alloc()` for early page tables and the MMU tables: whole
 * frames, never failing (the kernel panics instead), before any CPU runs
 * other tasks. `bytes` is rounded up to a power-of-two number of frames.
 */
export function memblockAlloc(k: Kernel, bytes: number): number {
  const ps = k.config.pageSize;
  const order = Math.max(0, Math.ceil(Math.log2(Math.ceil(bytes / ps))));
  const pa = frameAllocator(k).alloc(NEVER_FAIL, "memblock", order);
  if (pa === null) throw new Error(`memblock: cannot allocate ${bytes} bytes`);
  return pa;
}

function slab(k: Kernel, cache: string): SlabCounters {
  const slabs = k.slot(PAGE_ALLOC).slabs;
  let s = slabs.get(cache);
  if (s === undefined) {
    s = { allocs: 0, frees: 0, failures: 0, live: 0 };
    slabs.set(cache, s);
  }
  return s;
}

/** Every slab cache the kernel has used, by name, with its counters. */
export function slabCaches(k: Kernel): ReadonlyMap<string, SlabCounters> {
  return k.slot(PAGE_ALLOC).slabs;
}

/** The object counters of slab cache `cache`. */
export function slabCounters(k: Kernel, cache: string): SlabCounters {
  return slab(k, cache);
}

/** Models `kmem_cache_alloc(cache, gfp)`: true on success. Failure site = the cache name. */
export function* kmemCacheAlloc(c: Ctx, cache: string, gfp: number): KGen<boolean> {
  yield* mightAlloc(c, gfp);
  yield* visible(c.cpu, OpKind.ALLOC, cache);
  const s = slab(c.k, cache);
  if (runChoices(c.k).failAllocation(cache)) {
    s.failures++;
    return false;
  }
  s.allocs++;
  s.live++;
  return true;
}

/** Models `kmem_cache_free(cache, obj)`. */
export function kmemCacheFree(k: Kernel, cache: string): void {
  const s = slab(k, cache);
  if (s.live <= 0) throw new Error(`kmem_cache_free(${cache}): nothing allocated`);
  s.frees++;
  s.live--;
}

/** The `struct page` of the page-table page at `pa` (page aligned), if the kernel made one. */
export function lookupPtPage(k: Kernel, pa: number): PtPage | undefined {
  return k.slot(PAGE_ALLOC).ptPages.get(pa);
}

/** The `struct page` of a page-table page, created by the page-table constructors. */
export function ptPage(k: Kernel, pa: number): PtPage {
  const pages = k.slot(PAGE_ALLOC).ptPages;
  let p = pages.get(pa);
  if (p === undefined) {
    p = { pa, ptl: null, fragRefcount: 0 };
    pages.set(pa, p);
  }
  return p;
}

/** The page containing physical address `pa` (`virt_to_page`), for a page size. */
export function pageBase(k: Kernel, pa: number): number {
  const ps = k.config.pageSize;
  return pa - (pa % ps);
}

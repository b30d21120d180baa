/**
 * What a kernel holds allocated right now, by allocation site and by what
 * it is: the page allocator's frames (page tables, the mmu_gather's batch
 * page, vmalloc pages, kernel stacks, memblock) and the slab caches'
 * objects (mm_struct, vm_struct). A leak check compares two snapshots and
 * can say which kind leaked — page-table pages that an unfinished
 * mmu_gather never freed (put_patching_mm, docs/findings.md) look
 * different from a lost mm_struct or vm area.
 *
 * Not a kernel file: the model's own accounting (mm/page_alloc.ts keeps the
 * counters).
 */
import type { Kernel } from "../core/kernel.ts";
import { MM_CACHE } from "../kernel/fork.ts";
import { frameAllocator, slabCaches } from "./page_alloc.ts";

/** What a page frame was allocated for. */
export type FrameKind =
  | "page-table"
  | "mmu-gather-batch"
  | "vmalloc"
  | "thread-stack"
  | "memblock"
  | "other";

/** What a slab object is. */
export type ObjectKind = "mm_struct" | "vm_struct" | "other";

const FRAME_KINDS: readonly FrameKind[] = [
  "page-table",
  "mmu-gather-batch",
  "vmalloc",
  "thread-stack",
  "memblock",
  "other",
];
const OBJECT_KINDS: readonly ObjectKind[] = ["mm_struct", "vm_struct", "other"];

/** The kind of the frames allocated at `site` (the site names of page_alloc's callers). */
export function frameKind(site: string): FrameKind {
  switch (site) {
    case "pgd_alloc":
    case "pud_alloc":
    case "pmd_alloc":
    case "pte_alloc":
      return "page-table";
    case "mmu_gather_batch":
      return "mmu-gather-batch";
    case "vmalloc":
      return "vmalloc";
    case "thread_stack":
      return "thread-stack";
    case "memblock":
      return "memblock";
    default:
      return "other";
  }
}

/** The kind of the objects of slab cache `cache`. */
export function objectKind(cache: string): ObjectKind {
  if (cache === MM_CACHE) return "mm_struct";
  if (cache === "get_vm_area") return "vm_struct";
  return "other";
}

/** A kernel's live allocations at one moment. */
export interface LiveAllocations {
  /** Frames (of the base page size) held, by allocation site; sites holding none are left out. */
  readonly framesBySite: ReadonlyMap<string, number>;
  readonly framesByKind: Readonly<Record<FrameKind, number>>;
  /** Live objects by slab cache; caches holding none are left out. */
  readonly objectsByCache: ReadonlyMap<string, number>;
  readonly objectsByKind: Readonly<Record<ObjectKind, number>>;
  /** Every frame held, all sites together. */
  readonly totalFrames: number;
}

function zeroKinds<K extends string>(kinds: readonly K[]): Record<K, number> {
  return Object.fromEntries(kinds.map((k) => [k, 0])) as Record<K, number>;
}

/** What `k` holds allocated now. */
export function liveAllocations(k: Kernel): LiveAllocations {
  const frames = frameAllocator(k);
  const framesBySite = new Map<string, number>();
  const framesByKind = zeroKinds(FRAME_KINDS);
  for (const [site, counters] of [...frames.perSite].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (counters.liveFrames === 0) continue;
    framesBySite.set(site, counters.liveFrames);
    framesByKind[frameKind(site)] += counters.liveFrames;
  }
  const objectsByCache = new Map<string, number>();
  const objectsByKind = zeroKinds(OBJECT_KINDS);
  for (const [cache, counters] of [...slabCaches(k)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (counters.live === 0) continue;
    objectsByCache.set(cache, counters.live);
    objectsByKind[objectKind(cache)] += counters.live;
  }
  return {
    framesBySite,
    framesByKind,
    objectsByCache,
    objectsByKind,
    totalFrames: frames.allocatedFrames,
  };
}

/** The change between two snapshots of one kernel (or a kernel and its fork); zeros left out. */
export interface AllocationDelta {
  readonly framesBySite: ReadonlyMap<string, number>;
  readonly framesByKind: Readonly<Partial<Record<FrameKind, number>>>;
  readonly objectsByCache: ReadonlyMap<string, number>;
  readonly objectsByKind: Readonly<Partial<Record<ObjectKind, number>>>;
  readonly totalFrames: number;
}

function diffMaps(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>) {
  const out = new Map<string, number>();
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const d = (b.get(key) ?? 0) - (a.get(key) ?? 0);
    if (d !== 0) out.set(key, d);
  }
  return out;
}

function diffKinds<K extends string>(
  kinds: readonly K[],
  a: Readonly<Record<K, number>>,
  b: Readonly<Record<K, number>>,
): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const kind of kinds) {
    const d = b[kind] - a[kind];
    if (d !== 0) out[kind] = d;
  }
  return out;
}

/** `after - before`, by site, cache and kind: positive numbers were allocated and not freed. */
export function allocationDelta(before: LiveAllocations, after: LiveAllocations): AllocationDelta {
  return {
    framesBySite: diffMaps(before.framesBySite, after.framesBySite),
    framesByKind: diffKinds(FRAME_KINDS, before.framesByKind, after.framesByKind),
    objectsByCache: diffMaps(before.objectsByCache, after.objectsByCache),
    objectsByKind: diffKinds(OBJECT_KINDS, before.objectsByKind, after.objectsByKind),
    totalFrames: after.totalFrames - before.totalFrames,
  };
}

/**
 * A delta in words, kinds first: `"3 page-table frames (pmd_alloc 1, pte_alloc 1,
 * pud_alloc 1), 1 mmu-gather-batch frame (mmu_gather_batch 1)"`; "" when nothing changed.
 * Negative numbers (freed more than allocated) are shown as they are.
 */
export function formatAllocationDelta(d: AllocationDelta): string {
  const parts: string[] = [];
  const plural = (n: number, what: string) => `${n} ${what}${Math.abs(n) === 1 ? "" : "s"}`;
  for (const kind of FRAME_KINDS) {
    const n = d.framesByKind[kind];
    if (n === undefined) continue;
    const sites = [...d.framesBySite].filter(([s]) => frameKind(s) === kind);
    parts.push(`${plural(n, `${kind} frame`)} (${sites.map(([s, v]) => `${s} ${v}`).join(", ")})`);
  }
  for (const kind of OBJECT_KINDS) {
    const n = d.objectsByKind[kind];
    if (n === undefined) continue;
    const caches = [...d.objectsByCache].filter(([s]) => objectKind(s) === kind);
    parts.push(`${plural(n, kind)} (${caches.map(([s, v]) => `${s} ${v}`).join(", ")})`);
  }
  return parts.join(", ");
}

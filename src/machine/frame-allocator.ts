import type { Choices } from "../util/choices.ts";
import type { FootprintSink } from "./footprint.ts";
import type { PhysMemory } from "./memory.ts";

/** Per-site allocation counters, for leak checks. */
export interface SiteCounters {
  allocs: number;
  frees: number;
  failures: number;
  /** Frames (of the base size) currently held by allocations from this site. */
  liveFrames: number;
}

/**
 * Page-frame allocator over a physical range: blocks of 2^order frames of the
 * base page size (4 KiB or 64 KiB), naturally aligned, first fit from the
 * bottom so runs are deterministic. Every allocation asks
 * `choices.failAllocation(site)` first, which is how failure paths get explored.
 *
 * SIMPLIFICATION: first-fit over a frame map instead of the kernel's buddy
 * lists; the observable contract (alignment, failure, accounting) is the same.
 * Freeing a frame that is not the head of a live block of that order is a
 * simulator bug and throws.
 */
export class FrameAllocator {
  readonly base: number;
  readonly frameSize: number;
  readonly frameCount: number;
  /** Frames currently allocated. */
  allocatedFrames = 0;
  totalAllocs = 0;
  totalFrees = 0;
  totalFailures = 0;
  readonly perSite = new Map<string, SiteCounters>();
  /** 0 = free; otherwise order + 1 at a block head, 0xff inside a block. */
  private readonly state: Uint8Array;
  /** Every frame below this one is allocated (first fit starts its search here). */
  private firstFree = 0;
  private readonly owner = new Map<number, string>();
  private readonly memoryToZero: PhysMemory | null;

  /**
   * @param memory if given, freed blocks are zeroed there (releasing sparse
   *   chunks), so a later allocation never sees an earlier owner's data by accident.
   */
  constructor(
    base: number,
    bytes: number,
    frameSize: 4096 | 65536,
    memoryToZero: PhysMemory | null = null,
  ) {
    this.memoryToZero = memoryToZero;
    if (base % frameSize !== 0 || bytes % frameSize !== 0) {
      throw new RangeError("FrameAllocator: range must be frame aligned");
    }
    this.base = base;
    this.frameSize = frameSize;
    this.frameCount = bytes / frameSize;
    this.state = new Uint8Array(this.frameCount);
  }

  private site(name: string): SiteCounters {
    let s = this.perSite.get(name);
    if (s === undefined) {
      s = { allocs: 0, frees: 0, failures: 0, liveFrames: 0 };
      this.perSite.set(name, s);
    }
    return s;
  }

  /**
   * Allocate 2^order contiguous frames; returns the physical address or null
   * (injected failure or no space).
   */
  /** Whose footprint sink sees allocations and frees (the machine); null: nobody's. */
  reporter: { readonly footprint: FootprintSink | null } | null = null;

  alloc(choices: Choices, site: string, order = 0): number | null {
    this.reporter?.footprint?.object(this, true);
    const counters = this.site(site);
    const n = 2 ** order;
    if (choices.failAllocation(site)) {
      counters.failures++;
      this.totalFailures++;
      return null;
    }
    // Blocks are aligned to their size; one starting below firstFree holds an
    // allocated frame, so the search (lowest free block first) starts above.
    for (let f = Math.ceil(this.firstFree / n) * n; f + n <= this.frameCount; f += n) {
      let free = true;
      for (let i = 0; i < n; i++) {
        if (this.state[f + i] !== 0) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      this.state[f] = order + 1;
      for (let i = 1; i < n; i++) this.state[f + i] = 0xff;
      while (this.firstFree < this.frameCount && this.state[this.firstFree] !== 0) this.firstFree++;
      this.owner.set(f, site);
      this.allocatedFrames += n;
      this.totalAllocs++;
      counters.allocs++;
      counters.liveFrames += n;
      return this.base + f * this.frameSize;
    }
    counters.failures++;
    this.totalFailures++;
    return null;
  }

  /** Free a block returned by `alloc` with the same order. */
  free(pa: number, order = 0): void {
    this.reporter?.footprint?.object(this, true);
    const f = (pa - this.base) / this.frameSize;
    if (!Number.isInteger(f) || f < 0 || f >= this.frameCount) {
      throw new Error(`FrameAllocator.free: 0x${pa.toString(16)} is not a frame of this allocator`);
    }
    const st = this.state[f];
    if (st === 0)
      throw new Error(`FrameAllocator.free: 0x${pa.toString(16)} is not allocated (double free?)`);
    if (st !== order + 1) {
      throw new Error(
        `FrameAllocator.free: 0x${pa.toString(16)} freed with order ${order}, allocated with ${st === 0xff ? "(not a block head)" : st! - 1}`,
      );
    }
    const n = 2 ** order;
    for (let i = 0; i < n; i++) this.state[f + i] = 0;
    if (f < this.firstFree) this.firstFree = f;
    const site = this.owner.get(f)!;
    this.owner.delete(f);
    this.allocatedFrames -= n;
    this.totalFrees++;
    const counters = this.site(site);
    counters.frees++;
    counters.liveFrames -= n;
    this.memoryToZero?.zero(pa, n * this.frameSize);
  }

  /** Is `pa` the head of a live block? */
  isAllocated(pa: number): boolean {
    const f = (pa - this.base) / this.frameSize;
    const st = this.state[f];
    return st !== undefined && st !== 0 && st !== 0xff;
  }
}

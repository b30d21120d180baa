/**
 * What a step touched, for a checker's dependency relation: the machine
 * reports every shared resource an operation reads or writes to the sink
 * installed in `Machine.footprint` (null, the default, costs one test).
 *
 * Resources are named by the machine's own state: real addresses of memory
 * (after translation: the patching alias and the text it patches are two
 * effective addresses of one real page), a CPU's TLB and icache, and any
 * object a higher layer hands in (a lock, the frame allocator).
 */
export interface FootprintSink {
  /** `size` bytes of real memory at `pa` read or written. */
  mem(pa: number, size: number, write: boolean): void;
  /**
   * A CPU's TLB as a whole — which entries it holds: read by a lookup and by
   * an invalidation that removes nothing, written by a fill or a removal
   * (a broadcast reports each CPU's).
   */
  tlb(cpu: number, write: boolean): void;
  /**
   * One possible entry of a CPU's TLB (a page of 2^shift bytes at effective
   * `base`): written by the fill that makes it and the invalidation that
   * removes it, read by an invalidation of that page that finds it absent.
   */
  tlbEntry(cpu: number, shift: number, base: number, write: boolean): void;
  /** A CPU's icache read, or written where a fill, icbi or isync changes it (icbi reports each CPU's). */
  icache(cpu: number, write: boolean): void;
  /** Any other shared object (a lock, an allocator), by identity. */
  object(o: object, write: boolean): void;
}

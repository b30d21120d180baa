/**
 * The footprint of a step: the shared resources it read and wrote, as small
 * integer keys, collected from the machine's FootprintSink reports and from
 * the operation the step performed. Two steps of different CPUs are
 * dependent (their order can matter) when one writes what the other reads or
 * writes — the dependency relation of the checker's partial-order reduction
 * (docs/checker.md).
 *
 * Keys: real memory in GRANULE-byte granules (>= 0); a CPU's TLB (-1 - cpu)
 * and its possible entries (below -2^52, tlbEntryKey); a CPU's icache (-4097 - cpu); the kernel's own objects as one resource
 * (KERNEL_STATE); any other object by what names it (<= -10000, objectId).
 */
import type { FootprintSink } from "../machine/footprint.ts";

export const KERNEL_STATE = -9999;
/**
 * Bytes of real memory per key: an instruction word, so patches of two
 * neighbouring words do not conflict (a prefixed pair or a doubleword is two keys).
 */
export const GRANULE = 4;

/** The first real address a memory key (>= 0) stands for. */
export function keyAddress(key: number): number {
  return key * GRANULE;
}
const TLB_BASE = -1;
const ICACHE_BASE = -4097;
const OBJECT_BASE = -10000;
/** CPUs whose TLB entries get keys of their own (more share their TLB's key). */
const TLB_ENTRY_CPUS = 32;

/** A TLB entry's key: below -2^52, apart from every other kind (objects stay above -2^41). */
function tlbEntryKey(cpu: number, shift: number, base: number): number {
  return -(2 ** 52) - (Math.floor(base / 4096) * 64 + shift) * TLB_ENTRY_CPUS - cpu;
}

export interface Footprint {
  readonly reads: readonly number[];
  readonly writes: readonly number[];
}

export const EMPTY_FOOTPRINT: Footprint = { reads: [], writes: [] };

/** Do two footprints conflict (a write of one meets a read or write of the other)? */
export function dependent(a: Footprint, b: Footprint): boolean {
  for (const w of a.writes) if (b.writes.includes(w) || b.reads.includes(w)) return true;
  for (const w of b.writes) if (a.reads.includes(w)) return true;
  return false;
}

/**
 * An object's key, the same in every execution, thread and process: footprints
 * of one execution meet steps of another (sleep sets) and cross threads, so a
 * key cannot be an order of first use. Named by what identifies the object in
 * the kernel — a lock's name (its address in it for a page-table lock), an
 * mm's PGD — else by its kind; hashed to 40 bits. Two objects with one name
 * share a key: a dependency too many, never one missed.
 */
function objectId(o: object): number {
  const r = o as { name?: unknown; pgd?: unknown };
  const what =
    typeof r.name === "string"
      ? `name:${r.name}`
      : typeof r.pgd === "number"
        ? `pgd:${r.pgd}`
        : `kind:${o.constructor?.name ?? "Object"}`;
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < what.length; i++) {
    const ch = what.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193) >>> 0;
    b = Math.imul(b ^ ch, 0x5bd1e995) >>> 0;
  }
  return a * 256 + (b & 0xff);
}

/** Collects one step's footprint at a time. */
export class FootprintRecorder implements FootprintSink {
  private reads = new Set<number>();
  private writes = new Set<number>();
  private readonly ids = new WeakMap<object, number>();

  private add(key: number, write: boolean): void {
    if (write) this.writes.add(key);
    else this.reads.add(key);
  }

  mem(pa: number, size: number, write: boolean): void {
    const first = Math.floor(pa / GRANULE);
    const last = Math.floor((pa + Math.max(size, 1) - 1) / GRANULE);
    for (let g = first; g <= last; g++) this.add(g, write);
  }

  tlb(cpu: number, write: boolean): void {
    this.add(TLB_BASE - cpu, write);
  }

  tlbEntry(cpu: number, shift: number, base: number, write: boolean): void {
    // Bases are 4 KiB-aligned and below 2^52, shifts below 64: 52 bits in all.
    if (cpu >= TLB_ENTRY_CPUS) this.add(TLB_BASE - cpu, write);
    else this.add(tlbEntryKey(cpu, shift, base), write);
  }

  icache(cpu: number, write: boolean): void {
    this.add(ICACHE_BASE - cpu, write);
  }

  object(o: object, write: boolean): void {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = objectId(o);
      this.ids.set(o, id);
    }
    this.add(OBJECT_BASE - id, write);
  }

  /** The kernel's own state (objects the model has no finer footprint for). */
  kernelState(): void {
    this.writes.add(KERNEL_STATE);
  }

  /** The footprint collected since the last `take`, and start a new one. */
  take(): Footprint {
    if (this.reads.size === 0 && this.writes.size === 0) return EMPTY_FOOTPRINT;
    const writes = [...this.writes];
    const reads = [...this.reads].filter((r) => !this.writes.has(r));
    this.reads = new Set();
    this.writes = new Set();
    return { reads, writes };
  }

  /** Drop what was collected (work done outside any step). */
  discard(): void {
    this.reads.clear();
    this.writes.clear();
  }
}

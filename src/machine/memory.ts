/**
 * Sparse physical memory. Storage materialises in 4 KiB chunks on the first
 * write; reads of untouched memory return 0 without allocating, so 2048 CPUs
 * with a mostly-empty 64 KiB PGD each cost only the chunks really written.
 *
 * Physical addresses are JS numbers: simulated RAM is small (far below 2^53),
 * and numbers keep the load/store path free of BigInt arithmetic. Their low
 * bits are taken with `&` (exact below 2^53, as ToInt32 keeps the low 32
 * bits), not `%`: an address computed from a 52-bit EA is a double to V8, and
 * `%` on a double is a call to fmod.
 * Data accesses are little-endian (an LE kernel); page-table entries are
 * big-endian (`readBe64`/`writeBe64`), as the architecture stores them.
 *
 * Forks (`[FORK]`, src/util/clone.ts) are copy-on-write per chunk: forking
 * seals what this memory wrote into a frozen layer of chunks that the fork and
 * this memory then both read, and each of them copies a chunk of that layer on
 * its own first write to it. So a memory that is never written again (a
 * snapshot) is forked in constant time however many forks are taken, and
 * neither side ever sees the other's writes.
 */
import { FORK } from "../util/clone.ts";

/** Chunk granularity of the sparse store (independent of the base page size). */
export const CHUNK_SHIFT = 12;
export const CHUNK_SIZE = 1 << CHUNK_SHIFT;
/**
 * Backing buffers grow from 4 chunks (16 KiB) to 64 (256 KiB): a fork writes
 * few chunks, and a large buffer is costly to allocate and zero.
 */
const FIRST_SLAB_BYTES = 4 * CHUNK_SIZE;
const MAX_SLAB_BYTES = 64 * CHUNK_SIZE;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** Slots of the chunk-view cache (a power of two). */
const VIEW_CACHE = 256;

export class PhysMemory {
  /** Size of the physical address space in bytes; accesses at or beyond it throw. */
  readonly size: number;
  /**
   * The chunks this memory owns (may write in place); null: zeroed over a
   * chunk of `sealed` (which must not be read through any more).
   */
  private chunks = new Map<number, DataView | null>();
  /** Chunks shared with forks, never written again by anyone (copy-on-write); null before a fork. */
  private sealed: ReadonlyMap<number, DataView> | null = null;
  /**
   * Chunks are views carved from larger buffers (one ArrayBuffer per chunk
   * costs far more to create), and released chunks are reused, zeroed.
   */
  private slab: ArrayBuffer | null = null;
  private slabUsed = 0;
  private slabBytes = 0;
  private readonly released: DataView[] = [];
  /**
   * Bumped whenever a chunk is released (`zero`), copied on write or sealed
   * by a fork, so callers that cache chunk views (the interpreter's data fast
   * path) know to drop them.
   */
  generation = 0;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % CHUNK_SIZE !== 0) {
      throw new RangeError(`PhysMemory: size ${size} must be a positive multiple of ${CHUNK_SIZE}`);
    }
    this.size = size;
  }

  /** Number of materialised chunks this memory reads (for memory-cost accounting). */
  get chunkCount(): number {
    const sealed = this.sealed;
    let n = sealed?.size ?? 0;
    for (const [key, v] of this.chunks) {
      if (sealed?.has(key) === true) n -= v === null ? 1 : 0;
      else n += v === null ? 0 : 1;
    }
    return n;
  }

  /** Real addresses of the materialised chunks this memory reads, ascending. */
  chunkAddresses(): number[] {
    const keys = new Set<number>(this.sealed?.keys() ?? []);
    for (const [key, v] of this.chunks) {
      if (v === null) keys.delete(key);
      else keys.add(key);
    }
    return [...keys].sort((a, b) => a - b).map((key) => key * CHUNK_SIZE);
  }

  /** True when `pa .. pa+len-1` lies inside physical memory. */
  contains(pa: number, len: number): boolean {
    return pa >= 0 && pa + len <= this.size;
  }

  private check(pa: number, len: number): void {
    if (!(pa >= 0 && pa + len <= this.size && Number.isInteger(pa))) {
      throw new RangeError(
        `physical access 0x${pa.toString(16)}+${len} outside 0x${this.size.toString(16)} bytes`,
      );
    }
  }

  /**
   * A direct-mapped cache of materialised chunks in front of the Map: a walk
   * touches five or six table pages in turn, and a Map lookup per entry read
   * cost more than the rest of the walk. `cacheKeys` says a slot's view may
   * be read, `writeKeys` that it may also be written (a chunk this memory
   * owns, not a sealed one).
   */
  private readonly cacheKeys = new Float64Array(VIEW_CACHE).fill(Number.NaN);
  private readonly writeKeys = new Float64Array(VIEW_CACHE).fill(Number.NaN);
  private readonly cacheViews: (DataView | undefined)[] = new Array(VIEW_CACHE).fill(undefined);

  private view(pa: number): DataView | undefined {
    const key = Math.floor(pa / CHUNK_SIZE);
    const slot = key & (VIEW_CACHE - 1);
    if (this.cacheKeys[slot] === key) return this.cacheViews[slot];
    const v = this.chunks.get(key);
    if (v === undefined) return this.sealedView(key, slot);
    if (v === null) return undefined;
    this.cacheKeys[slot] = key;
    this.writeKeys[slot] = key;
    this.cacheViews[slot] = v;
    return v;
  }

  /** A sealed chunk for reading, cached read-only. */
  private sealedView(key: number, slot: number): DataView | undefined {
    const v = this.sealed?.get(key);
    if (v !== undefined) {
      this.cacheKeys[slot] = key;
      this.writeKeys[slot] = Number.NaN;
      this.cacheViews[slot] = v;
    }
    return v;
  }

  private viewForWrite(pa: number): DataView {
    const key = Math.floor(pa / CHUNK_SIZE);
    const slot = key & (VIEW_CACHE - 1);
    if (this.writeKeys[slot] === key) return this.cacheViews[slot]!;
    let v = this.chunks.get(key);
    if (v === undefined || v === null) {
      const from = v === undefined ? this.sealed?.get(key) : undefined;
      v = this.newChunk();
      if (from !== undefined) {
        // Copy on write: views of the sealed chunk held elsewhere are stale now.
        new Uint8Array(v.buffer, v.byteOffset, CHUNK_SIZE).set(
          new Uint8Array(from.buffer, from.byteOffset, CHUNK_SIZE),
        );
        this.generation++;
      }
      this.chunks.set(key, v);
    }
    this.cacheKeys[slot] = key;
    this.writeKeys[slot] = key;
    this.cacheViews[slot] = v;
    return v;
  }

  /** The chunk holding `pa` for reading, or undefined while it is untouched (reads as 0). */
  chunkForRead(pa: number): DataView | undefined {
    this.check(pa, 1);
    return this.view(pa);
  }

  /** The chunk holding `pa`, materialised; valid until `generation` changes. */
  chunkForWrite(pa: number): DataView {
    this.check(pa, 1);
    return this.viewForWrite(pa);
  }

  read8(pa: number): number {
    this.check(pa, 1);
    const v = this.view(pa);
    return v === undefined ? 0 : v.getUint8(pa & CHUNK_MASK);
  }

  read16(pa: number): number {
    if ((pa & CHUNK_MASK) > CHUNK_SIZE - 2) return this.read8(pa) | (this.read8(pa + 1) << 8);
    this.check(pa, 2);
    const v = this.view(pa);
    return v === undefined ? 0 : v.getUint16(pa & CHUNK_MASK, true);
  }

  read32(pa: number): number {
    if ((pa & CHUNK_MASK) > CHUNK_SIZE - 4) {
      return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
    }
    this.check(pa, 4);
    const v = this.view(pa);
    return v === undefined ? 0 : v.getUint32(pa & CHUNK_MASK, true);
  }

  read64(pa: number): bigint {
    if ((pa & CHUNK_MASK) > CHUNK_SIZE - 8) {
      return (BigInt(this.read32(pa + 4)) << 32n) | BigInt(this.read32(pa));
    }
    this.check(pa, 8);
    const v = this.view(pa);
    return v === undefined ? 0n : v.getBigUint64(pa & CHUNK_MASK, true);
  }

  write8(pa: number, value: number): void {
    this.check(pa, 1);
    this.viewForWrite(pa).setUint8(pa & CHUNK_MASK, value & 0xff);
  }

  write16(pa: number, value: number): void {
    if ((pa & CHUNK_MASK) > CHUNK_SIZE - 2) {
      this.write8(pa, value);
      this.write8(pa + 1, value >>> 8);
      return;
    }
    this.check(pa, 2);
    this.viewForWrite(pa).setUint16(pa & CHUNK_MASK, value & 0xffff, true);
  }

  write32(pa: number, value: number): void {
    if ((pa & CHUNK_MASK) > CHUNK_SIZE - 4) {
      this.write16(pa, value);
      this.write16(pa + 2, value >>> 16);
      return;
    }
    this.check(pa, 4);
    this.viewForWrite(pa).setUint32(pa & CHUNK_MASK, value >>> 0, true);
  }

  write64(pa: number, value: bigint): void {
    if ((pa & CHUNK_MASK) > CHUNK_SIZE - 8) {
      this.write32(pa, Number(value & 0xffff_ffffn));
      this.write32(pa + 4, Number((value >> 32n) & 0xffff_ffffn));
      return;
    }
    this.check(pa, 8);
    this.viewForWrite(pa).setBigUint64(pa & CHUNK_MASK, value, true); // wraps modulo 2^64 itself
  }

  /** Little-endian load of 1, 2, 4 or 8 bytes as an unsigned 64-bit value. */
  read(pa: number, size: 1 | 2 | 4 | 8): bigint {
    switch (size) {
      case 1:
        return BigInt(this.read8(pa));
      case 2:
        return BigInt(this.read16(pa));
      case 4:
        return BigInt(this.read32(pa));
      default:
        return this.read64(pa);
    }
  }

  /** Little-endian store of the low 1, 2 or 4 bytes of a number. */
  writeSmall(pa: number, size: 1 | 2 | 4, value: number): void {
    if (size === 4) this.write32(pa, value);
    else if (size === 2) this.write16(pa, value);
    else this.write8(pa, value);
  }

  /** Little-endian store of the low 1, 2, 4 or 8 bytes of `value`. */
  write(pa: number, size: 1 | 2 | 4 | 8, value: bigint): void {
    switch (size) {
      case 1:
        this.write8(pa, Number(value & 0xffn));
        return;
      case 2:
        this.write16(pa, Number(value & 0xffffn));
        return;
      case 4:
        this.write32(pa, Number(value & 0xffff_ffffn));
        return;
      default:
        this.write64(pa, value);
    }
  }

  /**
   * The cached chunk holding an aligned `size`-byte access at `pa`, or
   * undefined: then the caller takes the checked path. A cached chunk lies
   * inside memory, so an integer `pa` in it needs no other check; this runs
   * at every table-entry access, inline in its caller.
   */
  private cached(pa: number, align: number): DataView | undefined {
    // An integer below 2^32 is its own uint32 conversion: one test for both,
    // and the key is a shift. Anything else takes the checked path.
    if (pa >>> 0 !== pa) return undefined;
    const key = pa >>> CHUNK_SHIFT;
    const slot = key & (VIEW_CACHE - 1);
    if (this.cacheKeys[slot] !== key || (pa & align) !== 0) return undefined;
    return this.cacheViews[slot];
  }

  /** `cached` for a store: only a chunk this memory owns. */
  private cachedForWrite(pa: number, align: number): DataView | undefined {
    if (pa >>> 0 !== pa) return undefined;
    const key = pa >>> CHUNK_SHIFT;
    const slot = key & (VIEW_CACHE - 1);
    if (this.writeKeys[slot] !== key || (pa & align) !== 0) return undefined;
    return this.cacheViews[slot];
  }

  /** Big-endian doubleword: the in-memory format of Radix table entries (mm-primitives.md §3). */
  readBe64(pa: number): bigint {
    const c = this.cached(pa, 7);
    if (c !== undefined) return c.getBigUint64(pa & CHUNK_MASK, false);
    this.check(pa, 8);
    if ((pa & 7) !== 0) throw new RangeError(`readBe64: unaligned 0x${pa.toString(16)}`);
    const v = this.view(pa);
    return v === undefined ? 0n : v.getBigUint64(pa & CHUNK_MASK, false);
  }

  /** Big-endian word: half of a table entry (the high half at the entry's address). */
  readBe32(pa: number): number {
    const c = this.cached(pa, 3);
    if (c !== undefined) return c.getUint32(pa & CHUNK_MASK, false);
    this.check(pa, 4);
    if ((pa & 3) !== 0) throw new RangeError(`readBe32: unaligned 0x${pa.toString(16)}`);
    const v = this.view(pa);
    return v === undefined ? 0 : v.getUint32(pa & CHUNK_MASK, false);
  }

  writeBe64(pa: number, value: bigint): void {
    const c = this.cachedForWrite(pa, 7);
    if (c !== undefined) {
      c.setBigUint64(pa & CHUNK_MASK, value, false);
      return;
    }
    this.check(pa, 8);
    if ((pa & 7) !== 0) throw new RangeError(`writeBe64: unaligned 0x${pa.toString(16)}`);
    this.viewForWrite(pa).setBigUint64(pa & CHUNK_MASK, value, false); // wraps modulo 2^64 itself
  }

  /** Big-endian word: half of a table entry (R/C write-back touches only the low half). */
  writeBe32(pa: number, value: number): void {
    const c = this.cachedForWrite(pa, 3);
    if (c !== undefined) {
      c.setUint32(pa & CHUNK_MASK, value >>> 0, false);
      return;
    }
    this.check(pa, 4);
    if ((pa & 3) !== 0) throw new RangeError(`writeBe32: unaligned 0x${pa.toString(16)}`);
    this.viewForWrite(pa).setUint32(pa & CHUNK_MASK, value >>> 0, false);
  }

  /** Forget chunk `key` (it reads as zeroes from now on). */
  private release(key: number): void {
    if (this.sealed?.has(key) === true) this.chunks.set(key, null);
    else this.chunks.delete(key);
    const slot = key & (VIEW_CACHE - 1);
    if (this.cacheKeys[slot] === key) {
      this.cacheKeys[slot] = Number.NaN;
      this.writeKeys[slot] = Number.NaN;
      this.cacheViews[slot] = undefined;
    }
    this.generation++;
  }

  /**
   * Move every chunk this memory owns into the sealed layer (shared, never
   * written again): from now on it copies a chunk before writing it.
   */
  private seal(): void {
    if (this.chunks.size === 0) return;
    const merged = new Map(this.sealed ?? []);
    for (const [key, v] of this.chunks) {
      if (v === null) merged.delete(key);
      else merged.set(key, v);
    }
    this.sealed = merged;
    this.chunks = new Map();
    this.writeKeys.fill(Number.NaN);
    this.generation++;
  }

  /**
   * A copy of this memory for a fork (src/util/clone.ts), copy-on-write per
   * chunk both ways: this memory's chunks are sealed and shared. Constant
   * time when nothing was written since the last fork.
   */
  [FORK](): PhysMemory {
    this.seal();
    const m = new PhysMemory(this.size);
    m.sealed = this.sealed;
    m.generation = this.generation + 1;
    return m;
  }

  /** A zeroed chunk: a released one, or the next slice of the current slab. */
  private newChunk(): DataView {
    const old = this.released.pop();
    if (old !== undefined) {
      new Uint8Array(old.buffer, old.byteOffset, CHUNK_SIZE).fill(0);
      return old;
    }
    if (this.slab === null || this.slabUsed === this.slabBytes) {
      this.slabBytes = Math.min(MAX_SLAB_BYTES, Math.max(FIRST_SLAB_BYTES, this.slabBytes * 2));
      this.slab = new ArrayBuffer(this.slabBytes);
      this.slabUsed = 0;
    }
    const v = new DataView(this.slab, this.slabUsed, CHUNK_SIZE);
    this.slabUsed += CHUNK_SIZE;
    return v;
  }

  /** Copy `len` bytes out of physical memory. */
  readBytes(pa: number, len: number): Uint8Array {
    this.check(pa, len);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const off = at & CHUNK_MASK;
      const n = Math.min(CHUNK_SIZE - off, len - done);
      const v = this.view(at);
      if (v !== undefined) out.set(new Uint8Array(v.buffer, v.byteOffset + off, n), done);
      done += n;
    }
    return out;
  }

  /** Copy bytes into physical memory. */
  writeBytes(pa: number, bytes: Uint8Array): void {
    this.check(pa, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const at = pa + done;
      const off = at & CHUNK_MASK;
      const n = Math.min(CHUNK_SIZE - off, bytes.length - done);
      const v = this.viewForWrite(at);
      new Uint8Array(v.buffer, v.byteOffset + off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
  }

  /** Zero a range; whole chunks inside it are released rather than cleared. */
  zero(pa: number, len: number): void {
    this.check(pa, len);
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const off = at & CHUNK_MASK;
      const n = Math.min(CHUNK_SIZE - off, len - done);
      const key = Math.floor(at / CHUNK_SIZE);
      const own = this.chunks.get(key);
      if (own !== undefined && own !== null) {
        if (n === CHUNK_SIZE) {
          this.release(key);
          this.released.push(own);
        } else new Uint8Array(own.buffer, own.byteOffset + off, n).fill(0);
      } else if (own === undefined && this.sealed?.has(key) === true) {
        // A sealed chunk is never written: zeroing all of it hides it, a part copies it.
        if (n === CHUNK_SIZE) this.release(key);
        else {
          const w = this.viewForWrite(at);
          new Uint8Array(w.buffer, w.byteOffset + off, n).fill(0);
        }
      }
      done += n;
    }
  }
}

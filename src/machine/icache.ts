import { type Cloner, FORK } from "../util/clone.ts";
import type { FootprintSink } from "./footprint.ts";
import type { PhysMemory } from "./memory.ts";

/**
 * Instruction-cache block size: 128 bytes on POWER8/9/10 (the kernel's
 * L1_CACHE_SHIFT of 7 for ppc64, arch/powerpc/include/asm/cache.h).
 */
export const ICACHE_LINE_SHIFT = 7;
export const ICACHE_LINE = 1 << ICACHE_LINE_SHIFT;

/** State derived from an icache's lines (a predecode cache): told when a line is dropped. */
export interface LineDropListener {
  dropLine(lineAddr: number): void;
}

interface Line {
  readonly bytes: Uint8Array;
  /** icbi'd: still executed until the next context-synchronising event on this CPU. */
  stale: boolean;
}

/**
 * A CPU's instruction cache, physically indexed by real line address. Lines
 * fill from memory on a miss; stores to memory never update them. `icbi`
 * (broadcast by the machine) only marks a line stale; the stale copy keeps
 * executing until this CPU reaches a context-synchronising event (isync,
 * rfid, interrupt), which drops it (Power ISA Book II "Instruction Cache
 * Instructions"; mm-primitives.md §11).
 *
 * SIMPLIFICATION: unbounded, never evicts; so a line stays cached until
 * invalidated (the pessimistic choice, which exposes missing icbi).
 */
export class Icache {
  private readonly lines = new Map<number, Line>();
  private staleLines: number[] = [];
  /**
   * Told the real line address of every line dropped (a predecode cache drops
   * it too). An object, not a closure: a fork's icache tells the fork's copy.
   */
  dropListener: LineDropListener | null = null;
  /**
   * Whose footprint sink hears of the state changes icbi and context
   * synchronisation make here (the machine), and whose icache this is: an
   * icbi or isync that changes nothing only reads it, so it commutes with
   * another CPU's.
   */
  reporter: { readonly footprint: FootprintSink | null } | null = null;
  cpuId = -1;

  get size(): number {
    return this.lines.size;
  }

  /**
   * A fork's icache (src/util/clone.ts): the same lines, their bytes shared
   * (a line's bytes never change once filled; only its stale bit does).
   */
  [FORK](c: Cloner): Icache {
    const ic = c.remember(this, new Icache());
    for (const [addr, line] of this.lines)
      ic.lines.set(addr, { bytes: line.bytes, stale: line.stale });
    ic.staleLines = this.staleLines.slice();
    ic.dropListener = c.clone(this.dropListener, "dropListener");
    ic.reporter = c.clone(this.reporter, "reporter");
    ic.cpuId = this.cpuId;
    return ic;
  }

  /** Is the line holding `pa` cached (fresh or stale)? */
  holds(pa: number): boolean {
    return this.lines.has(pa - (pa & (ICACHE_LINE - 1)));
  }

  /** Fetch a 32-bit little-endian word at real address `pa` (4-byte aligned). */
  fetch32(mem: PhysMemory, pa: number): number {
    const lineAddr = pa - (pa & (ICACHE_LINE - 1));
    let line = this.lines.get(lineAddr);
    if (line === undefined) {
      line = { bytes: mem.readBytes(lineAddr, ICACHE_LINE), stale: false };
      this.lines.set(lineAddr, line);
    }
    const o = pa - lineAddr;
    const b = line.bytes;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }

  /** Inspection without side effects: the cached word, or null if the line is absent. */
  peek32(pa: number): { word: number; stale: boolean } | null {
    const lineAddr = pa - (pa & (ICACHE_LINE - 1));
    const line = this.lines.get(lineAddr);
    if (line === undefined) return null;
    const o = pa - lineAddr;
    const b = line.bytes;
    const word = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
    return { word, stale: line.stale };
  }

  /** Mark the line holding `pa` stale (the effect of an icbi from any CPU). */
  markStale(pa: number): void {
    const lineAddr = pa - (pa & (ICACHE_LINE - 1));
    const line = this.lines.get(lineAddr);
    const changes = line !== undefined && !line.stale;
    this.reporter?.footprint?.icache(this.cpuId, changes);
    if (changes) {
      line.stale = true;
      this.staleLines.push(lineAddr);
    }
  }

  /** A context-synchronising event: drop every stale line. */
  contextSynchronize(): void {
    this.reporter?.footprint?.icache(this.cpuId, this.staleLines.length > 0);
    if (this.staleLines.length === 0) return;
    for (const lineAddr of this.staleLines) {
      this.lines.delete(lineAddr);
      this.dropListener?.dropLine(lineAddr);
    }
    this.staleLines = [];
  }

  /** Lines currently cached (real addresses), for inspection. */
  lineAddresses(): number[] {
    return [...this.lines.keys()];
  }
}

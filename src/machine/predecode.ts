/**
 * Predecoded instruction handlers, per CPU, keyed by real address: one slot
 * per instruction word of a 4 KiB page, filled on first execution from the
 * word the CPU's icache delivers and kept until the icache drops that line
 * (its `onDrop` hook), so an instruction is decoded once however often it
 * runs, and a patched instruction is re-decoded exactly when the CPU could
 * first see the new bytes.
 *
 * Seam for a block translator: a slot holds any `Handler`; one that executes
 * a whole basic block (compiled with `new Function`) may return the number of
 * words it advanced, exactly like a prefixed instruction returns 2.
 */
import { decodeEntry } from "../isa/powerpc/decode.ts";
import { FORK } from "../util/clone.ts";
import type { Cpu } from "./cpu.ts";
import type { Handler } from "./exec/context.ts";
import { buildHandler, opKindOf } from "./exec/index.ts";
import { ICACHE_LINE, type LineDropListener } from "./icache.ts";
import { compileBlock } from "./interp-block.ts";
import type { Machine } from "./machine.ts";

export const PREDECODE_PAGE = 4096;
const SLOTS = PREDECODE_PAGE / 4;

export class PredecodedPage {
  /** Real address of the page. */
  readonly pa: number;
  /** What the fast loop runs per slot: a compiled block starting there, or the instruction's handler. */
  readonly fns: (Handler | undefined)[];
  /** The instruction's own handler (interleaved and traced runs use only these). */
  readonly singles: (Handler | undefined)[];
  /** Times a branch landed on each slot; a block is compiled when it gets hot. */
  readonly heat: Uint16Array;
  /** Blocks installed in `fns`. */
  blocks: number;
  /** OpKind each slot yields before executing (0 = none). */
  readonly ops: Uint8Array;
  /** The word each slot was decoded from (the prefix for a prefixed instruction). */
  readonly words: Uint32Array;
  /** The suffix word of a prefixed instruction (else 0). */
  readonly suffixes: Uint32Array;
  /** The cache that may change this page; null: shared by a cache and its forks (copy it first). */
  owner: PredecodeCache | null = null;

  /**
   * An empty page, or a copy of `from` for a fork: its handlers are
   * immutable code and shared, its tables copied.
   */
  constructor(pa: number, from?: PredecodedPage) {
    this.pa = pa;
    if (from === undefined) {
      this.fns = new Array<Handler | undefined>(SLOTS).fill(undefined);
      this.singles = new Array<Handler | undefined>(SLOTS).fill(undefined);
      this.heat = new Uint16Array(SLOTS);
      this.blocks = 0;
      this.ops = new Uint8Array(SLOTS);
      this.words = new Uint32Array(SLOTS);
      this.suffixes = new Uint32Array(SLOTS);
    } else {
      this.fns = from.fns.slice();
      this.singles = from.singles.slice();
      this.heat = from.heat.slice();
      this.blocks = from.blocks;
      this.ops = from.ops.slice();
      this.words = from.words.slice();
      this.suffixes = from.suffixes.slice();
    }
  }
}

const alignmentBoundary: Handler = (x) => x.alignment(x.cia(), true);
const illegal: Handler = (x) => x.illegal();

export class PredecodeCache implements LineDropListener {
  readonly power10: boolean;
  private readonly pages = new Map<number, PredecodedPage>();
  /** Slots decoded so far (for statistics and tests). */
  decoded = 0;

  constructor(power10: boolean) {
    this.power10 = power10;
  }

  /**
   * A fork's cache (src/util/clone.ts): the same decoded pages, shared with
   * this cache until either changes one (a page's tables are some 14 KiB), so the fork
   * decodes and compiles blocks exactly when this machine would have.
   */
  [FORK](): PredecodeCache {
    const c = new PredecodeCache(this.power10);
    for (const [key, p] of this.pages) {
      p.owner = null;
      c.pages.set(key, p);
    }
    c.decoded = this.decoded;
    return c;
  }

  /** The page holding `pa`, owned by this cache (what `decode` and `landed` may change). */
  page(pa: number): PredecodedPage {
    const key = Math.floor(pa / PREDECODE_PAGE);
    const p = this.pages.get(key);
    if (p !== undefined && p.owner === this) return p;
    return this.own(key, p);
  }

  /** A page of this cache's own: new, or a copy of a shared one. */
  private own(key: number, shared: PredecodedPage | undefined): PredecodedPage {
    const p = new PredecodedPage(key * PREDECODE_PAGE, shared);
    p.owner = this;
    this.pages.set(key, p);
    return p;
  }

  /** The icache dropped a line: forget the handlers decoded from it. */
  dropLine(lineAddr: number): void {
    const key = Math.floor(lineAddr / PREDECODE_PAGE);
    let p = this.pages.get(key);
    if (p === undefined) return;
    if (p.owner !== this) p = this.own(key, p);
    const first = (lineAddr % PREDECODE_PAGE) / 4;
    p.singles.fill(undefined, first, first + ICACHE_LINE / 4);
    p.fns.fill(undefined, first, first + ICACHE_LINE / 4);
    // A block may span the dropped line: fall back to single handlers page-wide.
    if (p.blocks !== 0) {
      for (let i = 0; i < SLOTS; i++) if (p.fns[i] !== p.singles[i]) p.fns[i] = p.singles[i];
      p.heat.fill(0);
      p.blocks = 0;
    }
  }

  /** Decode slot `idx` of `page` from the words `cpu`'s icache holds. */
  decode(m: Machine, cpu: Cpu, page: PredecodedPage, idx: number): Handler {
    const icache = m.icacheOf(cpu);
    const pa = page.pa + idx * 4;
    const w = icache.fetch32(m.mem, pa);
    let h: Handler;
    let suffix = 0;
    let op = 0;
    if (w >>> 26 === 1) {
      if (!this.power10) h = illegal;
      else if (pa % 64 === 60) h = alignmentBoundary;
      else {
        suffix = icache.fetch32(m.mem, pa + 4);
        const e = decodeEntry(w, suffix);
        h = buildHandler(e, suffix, w, idx * 4, true);
        if (e !== undefined) op = opKindOf(e, suffix);
      }
    } else {
      const e = decodeEntry(w);
      h = buildHandler(e, w, 0, idx * 4, this.power10);
      if (e !== undefined) op = opKindOf(e, w);
    }
    page.fns[idx] = h;
    page.singles[idx] = h;
    page.ops[idx] = op;
    page.words[idx] = w;
    page.suffixes[idx] = suffix;
    this.decoded++;
    return h;
  }
}

/** Landings on a slot before its block is compiled. */
const HOT = 16;

/**
 * A branch landed on slot `idx`: count it, and once hot compile the block
 * starting there (interp-block.ts) into `fns`. Returns the handler to run.
 */
export function landed(
  m: Machine,
  cpu: Cpu,
  cache: PredecodeCache,
  page: PredecodedPage,
  idx: number,
): void {
  if (++page.heat[idx]! !== HOT || page.fns[idx] !== page.singles[idx]) return;
  if (page.singles[idx] === undefined) cache.decode(m, cpu, page, idx);
  const block = compileBlock(page, idx, (i) => cache.decode(m, cpu, page, i));
  if (block !== null) {
    page.fns[idx] = block;
    page.blocks++;
  }
}

/**
 * The CPU's predecode cache for a CPU model: its icache's drop listener, so it
 * is part of the machine's state (a fork copies it with the icache). A
 * different model (power9 vs power10) starts a fresh cache.
 */
export function predecodeOf(m: Machine, cpu: Cpu, power10: boolean): PredecodeCache {
  const icache = m.icacheOf(cpu);
  const c = icache.dropListener;
  if (c instanceof PredecodeCache && c.power10 === power10) return c;
  const fresh = new PredecodeCache(power10);
  icache.dropListener = fresh;
  return fresh;
}

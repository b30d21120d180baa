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
import type { Cpu } from "./cpu.ts";
import type { Handler } from "./exec/context.ts";
import { buildHandler, opKindOf } from "./exec/index.ts";
import { ICACHE_LINE } from "./icache.ts";
import { compileBlock } from "./interp-block.ts";
import type { Machine } from "./machine.ts";

export const PREDECODE_PAGE = 4096;
const SLOTS = PREDECODE_PAGE / 4;

export class PredecodedPage {
  /** Real address of the page. */
  readonly pa: number;
  /** What the fast loop runs per slot: a compiled block starting there, or the instruction's handler. */
  readonly fns: (Handler | undefined)[] = new Array<Handler | undefined>(SLOTS).fill(undefined);
  /** The instruction's own handler (interleaved and traced runs use only these). */
  readonly singles: (Handler | undefined)[] = new Array<Handler | undefined>(SLOTS).fill(undefined);
  /** Times a branch landed on each slot; a block is compiled when it gets hot. */
  readonly heat = new Uint16Array(SLOTS);
  /** Blocks installed in `fns`. */
  blocks = 0;
  /** OpKind each slot yields before executing (0 = none). */
  readonly ops = new Uint8Array(SLOTS);
  /** The word each slot was decoded from (the prefix for a prefixed instruction). */
  readonly words = new Uint32Array(SLOTS);
  /** The suffix word of a prefixed instruction (else 0). */
  readonly suffixes = new Uint32Array(SLOTS);

  constructor(pa: number) {
    this.pa = pa;
  }
}

const alignmentBoundary: Handler = (x) => x.alignment(x.cia(), true);
const illegal: Handler = (x) => x.illegal();

export class PredecodeCache {
  readonly power10: boolean;
  private readonly pages = new Map<number, PredecodedPage>();
  /** Slots decoded so far (for statistics and tests). */
  decoded = 0;

  constructor(power10: boolean) {
    this.power10 = power10;
  }

  page(pa: number): PredecodedPage {
    const key = Math.floor(pa / PREDECODE_PAGE);
    let p = this.pages.get(key);
    if (p === undefined) {
      p = new PredecodedPage(key * PREDECODE_PAGE);
      this.pages.set(key, p);
    }
    return p;
  }

  /** The icache dropped a line: forget the handlers decoded from it. */
  dropLine(lineAddr: number): void {
    const p = this.pages.get(Math.floor(lineAddr / PREDECODE_PAGE));
    if (p === undefined) return;
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

const caches = new WeakMap<Cpu, PredecodeCache>();

/**
 * The CPU's predecode cache for a CPU model, hooked to its icache. A different
 * model (power9 vs power10) starts a fresh cache.
 */
export function predecodeOf(m: Machine, cpu: Cpu, power10: boolean): PredecodeCache {
  let c = caches.get(cpu);
  if (c === undefined || c.power10 !== power10) {
    const fresh = new PredecodeCache(power10);
    m.icacheOf(cpu).onDrop = (line) => fresh.dropLine(line);
    caches.set(cpu, fresh);
    c = fresh;
  }
  return c;
}

/**
 * Decoder: word(s) → table entry. Dispatches on the primary opcode and, for the
 * crowded opcodes, on extended-opcode bits, to a small precomputed candidate
 * list; the first candidate (in table order) whose pattern matches and whose
 * operand checks pass wins — objdump's semantics.
 *
 * `decodeEntry` allocates nothing (the interpreter's predecode path); `decode`
 * wraps the result with the raw words and operand accessors.
 */
import { type Entry, opcodeTable } from "./table.ts";

/** Key segments [shift, width] per primary opcode, concatenated into a bucket index. */
const KEY_SEGMENTS: Readonly<Record<number, readonly (readonly [number, number])[]>> = {
  4: [[0, 11]],
  6: [[0, 4]],
  16: [
    [16, 10],
    [0, 2],
  ],
  18: [[0, 2]],
  19: [
    [1, 10],
    [21, 5],
  ],
  30: [[1, 4]],
  31: [[1, 10]],
  56: [[0, 3]],
  57: [[0, 3]],
  58: [[0, 3]],
  59: [[1, 10]],
  60: [[1, 10]],
  61: [[0, 3]],
  62: [[0, 3]],
  63: [[1, 10]],
};

type KeyFn = (word: number) => number;

function keyFn(segs: readonly (readonly [number, number])[]): KeyFn {
  if (segs.length === 0) return () => 0;
  if (segs.length === 1) {
    const [sh, w] = segs[0]!;
    const m = (1 << w) - 1;
    return (x) => (x >>> sh) & m;
  }
  const [[s0, w0], [s1, w1]] = segs as [[number, number], [number, number]];
  const m0 = (1 << w0) - 1;
  const m1 = (1 << w1) - 1;
  return (x) => (((x >>> s0) & m0) << w1) | ((x >>> s1) & m1);
}

function keyBits(segs: readonly (readonly [number, number])[]): number {
  return segs.reduce((n, [, w]) => n + w, 0);
}

const EMPTY: readonly Entry[] = [];

/**
 * One primary opcode's rows, bucketed by the key bits. A bucket is filled on
 * first use with the rows whose opcode/mask admit that key, in table order
 * (so the first row that matches wins, as objdump's table search does): a run
 * touches few buckets, and start-up builds none.
 */
interface Dispatch {
  readonly key: KeyFn;
  readonly buckets: (readonly Entry[] | undefined)[];
  /** Per row: its key mask and key value. */
  readonly rows: readonly Entry[];
  readonly keyMask: Int32Array;
  readonly keyValue: Int32Array;
}

function makeDispatch(entries: readonly Entry[], key: KeyFn, bits: number): Dispatch {
  const all = (1 << bits) - 1;
  const keyMask = new Int32Array(entries.length);
  const keyValue = new Int32Array(entries.length);
  entries.forEach((e, i) => {
    keyMask[i] = key(e.mask) & all;
    keyValue[i] = key(e.opcode) & keyMask[i]!;
  });
  return { key, buckets: new Array(1 << bits).fill(undefined), rows: entries, keyMask, keyValue };
}

function fillBucket(d: Dispatch, k: number): readonly Entry[] {
  const list: Entry[] = [];
  for (let i = 0; i < d.rows.length; i++) {
    if ((k & d.keyMask[i]!) === d.keyValue[i]) list.push(d.rows[i]!);
  }
  const b = list.length ? list : EMPTY;
  d.buckets[k] = b;
  return b;
}

/** Per primary opcode, built on first use: a run decodes few of them, and start-up stays short. */
const PRIMARY: (Dispatch | undefined)[] = new Array(64).fill(undefined);

function primaryDispatch(po: number): Dispatch {
  const segs = KEY_SEGMENTS[po] ?? [];
  const entries = opcodeTable().filter((e) => !e.prefixed && e.primaryOpcode === po);
  const d = makeDispatch(entries, keyFn(segs), keyBits(segs));
  PRIMARY[po] = d;
  return d;
}

// Prefixed rows: bucket by the suffix's primary opcode and the prefix type/subtype bits.
// objdump only tries the rows whose suffix opcode has the same primary opcode >> 1
// as the instruction's suffix (its prefix table is segmented that way), so a row
// whose suffix mask leaves the primary opcode free still needs that segment:
// `pnop` (suffix unconstrained) prints only when the suffix's primary opcode is 0 or 1.
let prefixBuckets: Entry[][] | null = null;

function prefixedDispatch(): Entry[][] {
  const buckets: Entry[][] = Array.from({ length: 1 << 10 }, () => []);
  for (const e of opcodeTable()) {
    if (!e.prefixed) continue;
    const sm = (e.mask >>> 26) & 63;
    const sv = (e.opcode >>> 26) & sm;
    const pm = (e.prefixMask >>> 22) & 15;
    const pv = (e.prefixOpcode >>> 22) & pm;
    for (let s = 0; s < 64; s++) {
      if ((s & sm) !== sv || s >>> 1 !== e.opcode >>> 27) continue;
      for (let p = 0; p < 16; p++) if ((p & pm) === pv) buckets[(s << 4) | p]!.push(e);
    }
  }
  prefixBuckets = buckets;
  return buckets;
}

function checksPass(e: Entry, lo: number, hi: number): boolean {
  const c = e.checks;
  for (let i = 0; i < c.length; i++) if (c[i]!(lo, hi)) return false;
  return true;
}

/** The entry of a 4-byte word, or undefined (objdump prints `.long`). */
export function decodeWord(word: number): Entry | undefined {
  word >>>= 0;
  const d = PRIMARY[word >>> 26] ?? primaryDispatch(word >>> 26);
  const k = d.key(word);
  const list = d.buckets[k] ?? fillBucket(d, k);
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if ((word & e.mask) >>> 0 === e.opcode && (e.checks.length === 0 || checksPass(e, word, 0)))
      return e;
  }
  return undefined;
}

/** The entry of a prefix + suffix pair, or undefined when the pair is not valid. */
export function decodePrefixed(prefix: number, suffix: number): Entry | undefined {
  prefix >>>= 0;
  suffix >>>= 0;
  if (prefix >>> 26 !== 1) return undefined;
  const buckets = prefixBuckets ?? prefixedDispatch();
  const list = buckets[((suffix >>> 26) << 4) | ((prefix >>> 22) & 15)]!;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (
      (prefix & e.prefixMask) >>> 0 === e.prefixOpcode &&
      (suffix & e.mask) >>> 0 === e.opcode &&
      (e.checks.length === 0 || checksPass(e, suffix, prefix))
    )
      return e;
  }
  return undefined;
}

/**
 * Allocation-free decode. A PO 1 word needs its suffix: with one that forms a
 * valid pair the prefixed entry is returned; a prefix alone (or an invalid pair)
 * is undecodable.
 */
export function decodeEntry(word: number, suffix?: number): Entry | undefined {
  if (word >>> 26 === 1) return suffix === undefined ? undefined : decodePrefixed(word, suffix);
  return decodeWord(word);
}

/** A decoded instruction: its entry, raw words and operand values. */
export class Decoded {
  readonly entry: Entry;
  /** The instruction word, or the prefix word of a prefixed instruction. */
  readonly word: number;
  /** The suffix word (0 when not prefixed). */
  readonly suffix: number;
  readonly length: 4 | 8;

  constructor(entry: Entry, word: number, suffix: number) {
    this.entry = entry;
    this.word = word >>> 0;
    this.suffix = entry.prefixed ? suffix >>> 0 : 0;
    this.length = entry.prefixed ? 8 : 4;
  }

  get mnemonic(): string {
    return this.entry.mnemonic;
  }

  get sem(): string {
    return this.entry.sem;
  }

  /** Value of the i-th operand in print order (signed where the field is signed). */
  operand(i: number): number {
    const o = this.entry.operands[i];
    if (!o) throw new RangeError(`${this.entry.mnemonic} has no operand ${i}`);
    return this.entry.prefixed ? o.value(this.suffix, this.word) : o.value(this.word, 0);
  }

  /** Value of the first operand reading `field` ("rt", "ra", "si", "bd", "spr", ...). */
  field(name: string): number | undefined {
    const ops = this.entry.operands;
    for (let i = 0; i < ops.length; i++) if (ops[i]!.field === name) return this.operand(i);
    return undefined;
  }

  /** Every operand value in print order. */
  operandValues(): number[] {
    return this.entry.operands.map((_, i) => this.operand(i));
  }
}

/** Decode one instruction (see decodeEntry); undefined when objdump prints `.long`. */
export function decode(word: number, suffix?: number): Decoded | undefined {
  const e = decodeEntry(word, suffix);
  return e ? new Decoded(e, word, suffix ?? 0) : undefined;
}

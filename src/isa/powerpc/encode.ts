/**
 * Encoder driven by the same table: `encode("addi", [3, 1, -16])`.
 *
 * Operand bit positions are not restated here: for each operand the encoder
 * probes its extractor bit by bit once, and operands whose value is a plain
 * (possibly split, scaled or signed) bit field become insertable. Simplified
 * mnemonics whose operands are derived (slwi's n, mr's RS=RB, ...) are encoded
 * through their base form; every result is checked by decoding it back, and an
 * operand list that does not round-trip is rejected.
 */
import { decodeEntry } from "./decode.ts";
import { type PpcInst, ppcInst, ppcInstPrefix } from "./inst.ts";
import type { Operand } from "./operand-defs.ts";
import { type Entry, entriesFor } from "./table.ts";

interface BitMap {
  /** [word (0 = lo, 1 = hi), bit index] per field bit, least significant first. */
  readonly bits: readonly (readonly [0 | 1, number])[];
  readonly scale: number;
  readonly signed: boolean;
}

const cache = new Map<Operand, BitMap | null>();

/** Probe an operand's extractor; null when the value is not a plain bit field. */
function bitMap(o: Operand): BitMap | null {
  const hit = cache.get(o);
  if (hit !== undefined) return hit;
  const base = o.value(0, 0);
  const found: { w: 0 | 1; b: number; weight: number }[] = [];
  let ok = base === 0;
  for (const w of [0, 1] as const) {
    for (let b = 0; b < 32 && ok; b++) {
      const bit = (1 << b) >>> 0;
      const v = w === 0 ? o.value(bit, 0) : o.value(0, bit);
      if (v !== 0) found.push({ w, b, weight: v });
    }
  }
  found.sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
  const scale = found.length ? Math.abs(found[0]!.weight) : 0;
  let signed = false;
  found.forEach((f, i) => {
    const expect = scale * 2 ** i;
    if (f.weight === -expect && i === found.length - 1) signed = true;
    else if (f.weight !== expect) ok = false;
  });
  // Linearity check on a few bit combinations.
  for (let t = 1; ok && t < 64 && found.length > 1; t++) {
    let lo = 0;
    let hi = 0;
    let sum = 0;
    found.forEach((f, i) => {
      if ((t * 2654435761 + i * 40503) & 4) {
        if (f.w === 0) lo |= 1 << f.b;
        else hi |= 1 << f.b;
        sum += f.weight;
      }
    });
    if (o.value(lo >>> 0, hi >>> 0) !== sum) ok = false;
  }
  const map =
    ok && found.length ? { bits: found.map((f) => [f.w, f.b] as const), scale, signed } : null;
  cache.set(o, map);
  return map;
}

function place(o: Operand, v: number, words: [number, number]): boolean {
  const m = bitMap(o);
  if (!m) return false;
  if (v % m.scale !== 0) return false;
  let k = v / m.scale;
  const n = m.bits.length;
  if (m.signed ? k < -(2 ** (n - 1)) || k >= 2 ** (n - 1) : k < 0 || k >= 2 ** n) return false;
  if (k < 0) k += 2 ** n;
  for (let i = 0; i < n; i++) {
    if (Math.floor(k / 2 ** i) % 2) {
      const [w, b] = m.bits[i]!;
      words[w] = (words[w] | (1 << b)) >>> 0;
    }
  }
  return true;
}

/**
 * The value for each operand: `values` in order, with omitted optional operands
 * (trailing ones, or a leading one like cmpwi's CR field) at their defaults.
 */
function align(e: Entry, values: readonly number[], leading: boolean): (number | undefined)[] {
  const ops = e.operands;
  let omit = ops.length - values.length;
  const out: (number | undefined)[] = [];
  let j = 0;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    const skipHere = omit > 0 && o.optional && (leading || ops.length - i <= omit);
    if (skipHere) {
      out.push(o.optDefault(0, 0));
      omit--;
    } else out.push(values[j++]);
  }
  return out;
}

function tryEntry(e: Entry, values: readonly number[]): PpcInst | undefined {
  if (values.length > e.operands.length) return undefined;
  return tryAligned(e, values, false) ?? tryAligned(e, values, true);
}

function tryAligned(e: Entry, given: readonly number[], leading: boolean): PpcInst | undefined {
  const values = align(e, given, leading);
  const words: [number, number] = [e.opcode, e.prefixOpcode];
  for (let i = 0; i < e.operands.length; i++) {
    const o = e.operands[i]!;
    const v = values[i];
    if (v === undefined) return undefined;
    if (v === 0 && bitMap(o) === null) continue;
    if (!place(o, v, words)) return undefined;
  }
  const [lo, hi] = words;
  const got = e.prefixed ? decodeEntry(hi, lo) : decodeEntry(lo);
  if (!got) return undefined;
  const inst = e.prefixed ? ppcInstPrefix(hi, lo) : ppcInst(lo);
  if (got.mnemonic === e.mnemonic) {
    const back = got.operands.map((o) => (e.prefixed ? o.value(lo, hi) : o.value(lo, 0)));
    if (values.every((v, i) => back[i] === v)) return inst;
  }
  // A more specific simplified mnemonic may print instead (li for addi r3,0,5): accept it
  // when it is the same operation and the base's operands still read back.
  if (got.sem === e.sem) {
    const back = e.operands.map((o) => (e.prefixed ? o.value(lo, hi) : o.value(lo, 0)));
    if (values.every((v, i) => back[i] === v)) return inst;
  }
  return undefined;
}

/**
 * Encode `mnemonic` with operand values in print order (registers as numbers,
 * CR bits as 4*cr+bit, branch operands as byte offsets for relative forms).
 * Trailing optional operands may be omitted. Throws when the table cannot encode it.
 */
export function encode(mnemonic: string, values: readonly number[]): PpcInst {
  for (const e of entriesFor(mnemonic)) {
    const r = tryEntry(e, values);
    if (r) return r;
  }
  throw new Error(`cannot encode ${mnemonic} ${values.join(",")}`);
}

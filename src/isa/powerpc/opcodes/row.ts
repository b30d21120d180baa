/**
 * The compact notation the opcode rows are written in. A row is built from its
 * instruction form: the fixed bits (primary and extended opcode, Rc/OE/LK/AA)
 * and its operands; the match mask is derived — every bit no operand reads is
 * fixed, i.e. reserved bits must be zero, as the Power ISA requires of a valid
 * instruction (v3.1 Book I §1.8.1) and as objdump checks. `ignore` lists the
 * reserved bits objdump does not check for a row.
 *
 * Simplified mnemonics (ISA v3.1 Appendix C) are a base row plus fixed field
 * values and relations between fields; they keep the base's `sem`.
 *
 * Match order: a word prints as the matching row with the most constrained
 * bits (simplified before base); ties go to the row written first.
 */
import { ibmPlace } from "../../../util/bits.ts";
import { operandByName } from "../operand-defs.ts";

export interface Row {
  readonly mnemonic: string;
  readonly form: string;
  readonly opcode: number;
  readonly mask: number;
  readonly prefixOpcode: number;
  readonly prefixMask: number;
  readonly prefixed: boolean;
  /** Comma-separated operand names in print order. */
  readonly operands: string;
  readonly sem: string;
  /** Extra validity rules (true = objdump rejects the word for this row). */
  readonly rejects: readonly ((lo: number, hi: number) => boolean)[];
  /** Constrained bits beyond the mask (field relations), for match order. */
  readonly extraWeight: number;
  /** PC-relative prefixed form: objdump appends `# target`. */
  readonly pcrel: boolean;
}

/** Instruction fields that rows fix, by ISA name: [first, last] IBM bits. */
export const FIELDS = {
  po: [0, 5],
  rt: [6, 10],
  rs: [6, 10],
  bo: [6, 10],
  to: [6, 10],
  bt: [6, 10],
  th: [6, 10],
  vrt: [6, 10],
  frt: [6, 10],
  bf: [6, 8],
  l10: [10, 10],
  ra: [11, 15],
  bi: [11, 15],
  ba: [11, 15],
  vra: [11, 15],
  rb: [16, 20],
  bb: [16, 20],
  sh: [16, 20],
  vrb: [16, 20],
  mb: [21, 25],
  bc: [21, 25],
  me: [26, 30],
  bo4: [6, 9],
  bi_cr: [11, 13],
  bi_bit: [14, 15],
  sh_hi: [30, 30],
  xo8: [21, 28],
  xo9b: [21, 29],
  xo5b: [24, 28],
  xo2: [26, 27],
  xo3: [29, 31],
  xo6: [26, 31],
  xo11: [21, 31],
  b21: [21, 21],
  vn: [21, 22],
  b22: [22, 22],
  xo9v: [23, 31],
  xo4: [28, 31],
  xo4a: [21, 24],
  xo3b: [26, 28],
  vsel4: [11, 14],
  d0: [16, 25],
  xo5: [26, 30],
  mb_hi: [26, 26],
  th_hi: [6, 7],
  tx28: [28, 28],
  bh: [19, 20],
  l_sync: [8, 10],
  sc: [14, 15],
  ric: [12, 13],
  prs: [14, 14],
  r15: [15, 15],
  ui: [16, 31],
  si: [16, 31],
  dm: [22, 23],
  xo1: [30, 31],
  xo10: [21, 30],
  xo9: [22, 30],
  oe: [21, 21],
  aa: [30, 30],
  lk: [31, 31],
  rc: [31, 31],
} as const satisfies Record<string, readonly [number, number]>;

export type FieldName = keyof typeof FIELDS;
export type Fix = Partial<Record<FieldName, number>>;

/** Place field values into a word; returns [bits, mask]. */
export function place(fix: Fix): [number, number] {
  let bits = 0;
  let mask = 0;
  for (const [k, v] of Object.entries(fix)) {
    const [f, l] = FIELDS[k as FieldName];
    bits |= ibmPlace(v as number, f, l);
    mask |= ibmPlace(0xffffffff, f, l);
  }
  return [bits >>> 0, mask >>> 0];
}

function operandBits(ops: string): [number, number] {
  let lo = 0;
  let hi = 0;
  if (ops !== "")
    for (const n of ops.split(",")) {
      const o = operandByName(n);
      lo |= o.loBits;
      hi |= o.hiBits;
    }
  return [lo >>> 0, hi >>> 0];
}

export interface RowOpts {
  sem?: string;
  /** Reserved bits objdump leaves unchecked. */
  ignore?: number;
  rejects?: readonly ((lo: number, hi: number) => boolean)[];
}

/** A 4-byte row: fixed bits + operands; mask = all bits no operand reads, minus `ignore`. */
export function row(
  mnemonic: string,
  form: string,
  fixed: Fix,
  operands: string,
  opts: RowOpts = {},
): Row {
  const [opcode] = place(fixed);
  const [lo] = operandBits(operands);
  const mask = (~lo & ~(opts.ignore ?? 0)) >>> 0;
  return {
    mnemonic,
    form,
    opcode: opcode & mask,
    mask,
    prefixOpcode: 0,
    prefixMask: 0,
    prefixed: false,
    operands,
    sem: opts.sem ?? mnemonic,
    rejects: opts.rejects ?? [],
    extraWeight: 0,
    pcrel: false,
  };
}

/** A field relation of a simplified mnemonic: holds when the word prints that way. */
export interface Relation {
  readonly holds: (w: number) => boolean;
  /** How many bits the relation pins down (for match order). */
  readonly weight: number;
}

/** Field `a` equals field `b` (`mr`: RB = RS). */
export function same(a: FieldName, b: FieldName): Relation {
  const [af, al] = FIELDS[a];
  const bl = FIELDS[b][1];
  const sa = 31 - al;
  const sb = 31 - bl;
  const m = (1 << (al - af + 1)) - 1;
  return { holds: (w) => ((w >>> sa) & m) === ((w >>> sb) & m), weight: al - af + 1 };
}

/** An arbitrary relation between fields, pinning `weight` bits. */
export function rel(weight: number, holds: (w: number) => boolean): Relation {
  return { holds, weight };
}

/**
 * A simplified mnemonic of `base`: extra fixed fields, relations, and its own
 * operand list. The mask is the base's plus the fixed fields; sem is the base's.
 */
export function simplified(
  mnemonic: string,
  base: Row,
  fix: Fix,
  operands: string,
  relations: readonly Relation[] = [],
): Row {
  const [bits, m] = place(fix);
  const mask = (base.mask | m) >>> 0;
  return {
    ...base,
    mnemonic,
    opcode: ((base.opcode & ~m) | bits) & mask,
    mask,
    operands,
    rejects: [...base.rejects, ...relations.map((r) => (w: number) => !r.holds(w))],
    extraWeight: base.extraWeight + relations.reduce((n, r) => n + r.weight, 0),
  };
}

/** The record (`.`) twin of a row: Rc = 1. */
export function dot(r: Row): Row {
  return {
    ...r,
    mnemonic: `${r.mnemonic}.`,
    opcode: (r.opcode | 1) >>> 0,
    mask: (r.mask | 1) >>> 0,
  };
}

/** A row and its record twin. */
export function withDot(r: Row): Row[] {
  return [{ ...r, mask: (r.mask | 1) >>> 0, opcode: (r.opcode & ~1) >>> 0 }, dot(r)];
}

/** X-form: PO, 10-bit XO at bits 21–30, Rc = 0. */
export function x(
  mnemonic: string,
  po: number,
  xo: number,
  operands: string,
  opts: RowOpts = {},
): Row {
  return row(mnemonic, "X", { po, xo10: xo }, operands, opts);
}

/** X-form with Rc: the plain and the record (`.`) row. */
export function xrc(
  mnemonic: string,
  po: number,
  xo: number,
  operands: string,
  opts: RowOpts = {},
): Row[] {
  return withDot(x(mnemonic, po, xo, operands, opts));
}

/** XO-form (PO 31, 9-bit XO): the plain, `.`, `o` and `o.` rows; `oe: false` for mulhw-style. */
export function xo(
  mnemonic: string,
  xo9: number,
  operands: string,
  opts: RowOpts & { oe?: boolean } = {},
): Row[] {
  const base = row(mnemonic, "XO", { po: 31, xo9, oe: 0 }, operands, opts);
  const out = withDot(base);
  if (opts.oe !== false) {
    const o = row(`${mnemonic}o`, "XO", { po: 31, xo9, oe: 1 }, operands, {
      ...opts,
      sem: base.sem,
    });
    out.push(...withDot(o));
  }
  return out;
}

/** D-form: PO and operands. */
export function dform(mnemonic: string, po: number, operands: string, opts: RowOpts = {}): Row {
  return row(mnemonic, "D", { po }, operands, opts);
}

/** Prefixed row: prefix fixed fields (bits of the prefix word) and suffix fixed fields. */
export function prefixed(
  mnemonic: string,
  form: string,
  prefixFix: number,
  suffix: Fix,
  operands: string,
  opts: RowOpts & { pcrel?: boolean; prefixIgnore?: number } = {},
): Row {
  const [opcode, fixedMask] = place(suffix);
  const [lo, hi] = operandBits(operands);
  // Fixed fields stay fixed even where `ignore` lists them, but an operand that
  // reads a bit of a fixed field frees it (plxv's TX is the suffix PO's low bit).
  const mask = ((~lo & ~(opts.ignore ?? 0)) | (fixedMask & ~lo)) >>> 0;
  const prefixMask = (~hi & ~(opts.prefixIgnore ?? 0)) >>> 0;
  return {
    mnemonic,
    form,
    opcode: (opcode & mask) >>> 0,
    mask,
    prefixOpcode: (prefixFix & prefixMask) >>> 0,
    prefixMask,
    prefixed: true,
    operands,
    sem: opts.sem ?? mnemonic,
    rejects: opts.rejects ?? [],
    extraWeight: 0,
    pcrel: opts.pcrel ?? false,
  };
}

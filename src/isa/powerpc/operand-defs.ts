/**
 * Operand definitions of the opcode table, in textpoke's own vocabulary: each
 * operand is named for the Power ISA field it reads (`rt`, `ra`, `si`, `bd`,
 * `xt`, ...), with a suffix where the same field has another print or validity
 * rule (`ra0` prints RA=0 as `0`; `ra_lu` is RA of a load with update).
 *
 * Field positions use the ISA's big-endian bit numbering (Power ISA v3.1 Book I
 * §1.6 "Instruction Formats"). An operand reads one or more bit ranges of the
 * instruction word (`lo`) or, for prefixed instructions, of the prefix word
 * (`hi`), most significant range first.
 */
import { ibmField } from "../../util/bits.ts";

/** How objdump prints an operand value. */
export type OperandPrint =
  | "gpr"
  | "gpr0"
  | "fpr"
  | "vr"
  | "vsr"
  | "acc"
  | "dmr"
  | "cr"
  | "crbit"
  | "rel"
  | "abs"
  | "imm";

export interface Operand {
  /** textpoke's operand name (the key used in opcode rows). */
  readonly name: string;
  /** The ISA field the value comes from (`Decoded.field()` looks operands up by it). */
  readonly field: string;
  readonly print: OperandPrint;
  /** Bits of the instruction (suffix) word the operand reads. */
  readonly loBits: number;
  /** Bits of the prefix word the operand reads. */
  readonly hiBits: number;
  /** Value from the word (`lo`) and the prefix (`hi`, 0 when not prefixed). */
  value(lo: number, hi: number): number;
  /** Left out of the text when it (and every later optional operand) has its default. */
  readonly optional: boolean;
  optDefault(lo: number, hi: number): number;
  /** The next operand prints in parentheses: `d(ra)`. */
  readonly parens: boolean;
  /** The 34-bit displacement a PC-relative prefixed instruction adds to its address. */
  readonly d34: boolean;
  /** Values objdump refuses for this operand (the word then matches no row). */
  readonly invalid?: (lo: number, hi: number) => boolean;
}

/** A bit range [first, last] in IBM numbering, of the word (`lo`) or the prefix (`hi`). */
type Range = readonly [first: number, last: number, word?: "hi"];

interface Def {
  field: string;
  print: OperandPrint;
  bits: readonly Range[];
  signed?: boolean;
  /** Value multiplier (DS ×4, DQ ×16, branch displacements ×4). */
  scale?: number;
  /** Replace the plain field value (derived operands like `clrrwi`'s n = 31 − ME). */
  map?: (v: number) => number;
  optional?: number;
  parens?: boolean;
  d34?: boolean;
  invalid?: (lo: number, hi: number) => boolean;
}

function rangeMask(first: number, last: number): number {
  const width = last - first + 1;
  return width === 32 ? 0xffffffff : (((1 << width) - 1) << (31 - last)) >>> 0;
}

function makeOperand(name: string, d: Def): Operand {
  let loBits = 0;
  let hiBits = 0;
  let width = 0;
  for (const [f, l, w] of d.bits) {
    if (w === "hi") hiBits |= rangeMask(f, l);
    else loBits |= rangeMask(f, l);
    width += l - f + 1;
  }
  const scale = d.scale ?? 1;
  const signed = d.signed ?? false;
  const map = d.map;
  const bits = d.bits;
  const single = bits.length === 1 && bits[0]![2] === undefined ? bits[0]! : undefined;
  let raw: (lo: number, hi: number) => number;
  if (single) {
    const [f, l] = single;
    raw = (lo) => ibmField(lo, f, l);
  } else {
    raw = (lo, hi) => {
      let v = 0;
      for (const [f, l, w] of bits) v = v * 2 ** (l - f + 1) + ibmField(w === "hi" ? hi : lo, f, l);
      return v;
    };
  }
  const half = 2 ** (width - 1);
  const value = (lo: number, hi: number): number => {
    let v = raw(lo, hi);
    if (signed && v >= half) v -= 2 * half;
    v *= scale;
    return map ? map(v) : v;
  };
  const def = d.optional ?? 0;
  const op: Operand = {
    name,
    field: d.field,
    print: d.print,
    loBits: loBits >>> 0,
    hiBits: hiBits >>> 0,
    value,
    optional: d.optional !== undefined,
    optDefault: () => def,
    parens: d.parens ?? false,
    d34: d.d34 ?? false,
    ...(d.invalid ? { invalid: d.invalid } : {}),
  };
  return op;
}

const rtOf = (w: number): number => ibmField(w, 6, 10);
const raOf = (w: number): number => ibmField(w, 11, 15);

const T: readonly Range[] = [[6, 10]];
const A: readonly Range[] = [[11, 15]];
const B: readonly Range[] = [[16, 20]];
const C: readonly Range[] = [[21, 25]];

/** Split VSX register numbers: the 5-bit field plus its extension bit as bit 5. */
const vsx = (field: string, f: number, l: number, ext: number): Def => ({
  field,
  print: "vsr",
  bits: [
    [ext, ext],
    [f, l],
  ],
});

const DEFS: Record<string, Def> = {
  // General-purpose registers.
  rt: { field: "rt", print: "gpr", bits: T },
  rs: { field: "rs", print: "gpr", bits: T },
  ra: { field: "ra", print: "gpr", bits: A },
  rb: { field: "rb", print: "gpr", bits: B },
  rc: { field: "rc", print: "gpr", bits: C },
  /** RA where 0 means the value 0, not r0 ("(RA|0)" in the ISA). */
  ra0: { field: "ra", print: "gpr0", bits: A },
  /** Load with update: RA = 0 or RA = RT is an invalid form (ISA Book I §3.3.2). */
  ra_lu: {
    field: "ra",
    print: "gpr",
    bits: A,
    invalid: (w) => raOf(w) === 0 || raOf(w) === rtOf(w),
  },
  /** Store with update: RA = 0 is an invalid form. */
  ra_su: { field: "ra", print: "gpr", bits: A, invalid: (w) => raOf(w) === 0 },
  /** lq: RTp must be even and not equal to RA. */
  rtp_lq: {
    field: "rt",
    print: "gpr",
    bits: T,
    invalid: (w) => (rtOf(w) & 1) !== 0 || rtOf(w) === raOf(w),
  },
  /** lqarx RTp: even, and neither RA nor RB may be RT. */
  rtp_lqarx: {
    field: "rt",
    print: "gpr",
    bits: T,
    invalid: (w) => (rtOf(w) & 1) !== 0 || raOf(w) === rtOf(w) || ibmField(w, 16, 20) === rtOf(w),
  },
  /** plq RTp: objdump prints the even register of the pair; RA = RT is invalid. */
  rtp_plq: {
    field: "rt",
    print: "gpr",
    bits: T,
    map: (v) => v & ~1,
    invalid: (w) => raOf(w) === rtOf(w),
  },
  rsp_p: { field: "rs", print: "gpr", bits: T, map: (v) => v & ~1 },
  /** Even register pair (stq RSp, lqarx/stqcx. pairs). */
  rtp: { field: "rt", print: "gpr", bits: T, invalid: (w) => (rtOf(w) & 1) !== 0 },
  rsp: { field: "rs", print: "gpr", bits: T, invalid: (w) => (rtOf(w) & 1) !== 0 },

  // Immediates and displacements.
  si: { field: "si", print: "imm", bits: [[16, 31]], signed: true },
  ui: { field: "ui", print: "imm", bits: [[16, 31]] },
  d: { field: "d", print: "imm", bits: [[16, 31]], signed: true, parens: true },
  ds: { field: "ds", print: "imm", bits: [[16, 29]], signed: true, scale: 4, parens: true },
  dq: { field: "dq", print: "imm", bits: [[16, 27]], signed: true, scale: 16, parens: true },
  /** Prefixed D-form displacement d0||d1 (ISA v3.1 §1.6.3, MLS/8LS forms). */
  d34: {
    field: "d",
    print: "imm",
    bits: [
      [14, 31, "hi"],
      [16, 31],
    ],
    signed: true,
    parens: true,
    d34: true,
  },
  /** d34 of a PC-relative form: no (RA) follows. */
  d34r: {
    field: "d",
    print: "imm",
    bits: [
      [14, 31, "hi"],
      [16, 31],
    ],
    signed: true,
    d34: true,
  },
  si34: {
    field: "si",
    print: "imm",
    bits: [
      [14, 31, "hi"],
      [16, 31],
    ],
    signed: true,
    d34: true,
  },

  // Branches (ISA Book I §2.4).
  li: { field: "li", print: "rel", bits: [[6, 29]], signed: true, scale: 4 },
  li_abs: { field: "li", print: "abs", bits: [[6, 29]], signed: true, scale: 4 },
  bd: { field: "bd", print: "rel", bits: [[16, 29]], signed: true, scale: 4 },
  bd_abs: { field: "bd", print: "abs", bits: [[16, 29]], signed: true, scale: 4 },
  bo: { field: "bo", print: "imm", bits: T },
  bi: { field: "bi", print: "crbit", bits: A },
  /** The CR field of BI, for the simplified conditional branches (`beq cr7,...`). */
  bi_cr: { field: "cr", print: "cr", bits: [[11, 13]], optional: 0 },
  bh: { field: "bh", print: "imm", bits: [[19, 20]], optional: 0 },

  // Condition register.
  bf: { field: "bf", print: "cr", bits: [[6, 8]] },
  bf_opt: { field: "bf", print: "cr", bits: [[6, 8]], optional: 0 },
  bfa: { field: "bfa", print: "cr", bits: [[11, 13]] },
  l10: { field: "l", print: "imm", bits: [[10, 10]] },
  bt: { field: "bt", print: "crbit", bits: T },
  ba: { field: "ba", print: "crbit", bits: A },
  bb: { field: "bb", print: "crbit", bits: B },
  bc: { field: "bc", print: "crbit", bits: C },
  bi_set: { field: "bi", print: "crbit", bits: A },
  fxm: { field: "fxm", print: "imm", bits: [[12, 19]] },
  /** mfocrf/mtocrf FXM: exactly one field selected. */
  fxm1: {
    field: "fxm",
    print: "imm",
    bits: [[12, 19]],
    invalid: (w) => {
      const f = ibmField(w, 12, 19);
      return f === 0 || (f & (f - 1)) !== 0;
    },
  },
  to: { field: "to", print: "imm", bits: T },

  // Rotates and shifts (M, MD, MDS, XS forms).
  sh: { field: "sh", print: "imm", bits: B },
  mb: { field: "mb", print: "imm", bits: C },
  me: { field: "me", print: "imm", bits: [[26, 30]] },
  sh6: {
    field: "sh",
    print: "imm",
    bits: [
      [30, 30],
      [16, 20],
    ],
  },
  mb6: {
    field: "mb",
    print: "imm",
    bits: [
      [26, 26],
      [21, 25],
    ],
  },
  me6: {
    field: "me",
    print: "imm",
    bits: [
      [26, 26],
      [21, 25],
    ],
  },
  /** `clrrwi`'s n = 31 − ME. */
  me_clr: { field: "me", print: "imm", bits: [[26, 30]], map: (v) => 31 - v },
  /** `clrrdi`'s n = 63 − ME. */
  me6_clr: {
    field: "me",
    print: "imm",
    bits: [
      [26, 26],
      [21, 25],
    ],
    map: (v) => 63 - v,
  },

  // Special-purpose registers and system fields.
  spr: {
    field: "spr",
    print: "imm",
    bits: [
      [16, 20],
      [11, 15],
    ],
  },
  l_sync: {
    field: "l",
    print: "imm",
    bits: [[8, 10]],
    invalid: (w) => {
      const l = ibmField(w, 8, 10);
      return l === 3 || l >= 6;
    },
  },
  /** sync SC, bits 14–15 (ISA v3.1). */
  sc_sync: { field: "sc", print: "imm", bits: [[14, 15]] },
  /** dcbf L: 2, 5 and 7 are reserved. */
  l_dcbf: {
    field: "l",
    print: "imm",
    bits: [[8, 10]],
    optional: 0,
    invalid: (w) => {
      const l = ibmField(w, 8, 10);
      return l === 2 || l === 5 || l === 7;
    },
  },
  /** dcbt/dcbtst TH for the `ct` names (TH 0–7). */
  th_ct: { field: "th", print: "imm", bits: [[8, 10]], optional: 0 },
  /** dcbt/dcbtst TH for the `ds` names (TH 8–15; 8 is the default stream). */
  th_ds: { field: "th", print: "imm", bits: [[6, 10]], optional: 8 },
  /** icbt CT. */
  ct: { field: "ct", print: "imm", bits: T, optional: 0 },
  /** slbia IH, bits 8–10. */
  ih: { field: "ih", print: "imm", bits: [[8, 10]], optional: 0 },
  l_slbiag: { field: "l", print: "imm", bits: [[15, 15]], optional: 0 },
  /** paste. L (bit 10), printed only when 0. */
  l_paste: { field: "l", print: "imm", bits: [[10, 10]], optional: 1 },
  /** SPRG index (SPR 272–275). */
  idx_sprg: { field: "spr", print: "imm", bits: [[14, 15]] },
  /** BAT index (SPR 528–543: upper/lower pairs). */
  idx_bat: { field: "spr", print: "imm", bits: [[13, 14]] },
  l_mtmsrd: { field: "l", print: "imm", bits: [[15, 15]], optional: 0 },
  l_tlbie: { field: "l", print: "imm", bits: [[10, 10]] },
  ric: { field: "ric", print: "imm", bits: [[12, 13]], optional: 0 },
  prs: { field: "prs", print: "imm", bits: [[14, 14]], optional: 0 },
  r_tlbie: { field: "r", print: "imm", bits: [[15, 15]], optional: 0 },
  rs_opt: { field: "rs", print: "gpr", bits: T, optional: 0 },
  lev: { field: "lev", print: "imm", bits: [[20, 26]], optional: 0 },
  lev_scv: { field: "lev", print: "imm", bits: [[20, 26]] },
  th: { field: "th", print: "imm", bits: T },
  eh: { field: "eh", print: "imm", bits: [[31, 31]], optional: 0 },

  // Vector and VSX registers.
  vrt: { field: "vrt", print: "vr", bits: T },
  vrs: { field: "vrs", print: "vr", bits: T },
  vra: { field: "vra", print: "vr", bits: A },
  vrb: { field: "vrb", print: "vr", bits: B },
  vrc: { field: "vrc", print: "vr", bits: C },
  xt: vsx("xt", 6, 10, 31),
  xs: vsx("xs", 6, 10, 31),
  xa: vsx("xa", 11, 15, 29),
  xb: vsx("xb", 16, 20, 30),
  xc: vsx("xc", 21, 25, 28),
  /** DQ-form (lxv/stxv) target: TX is bit 28. */
  xt_dq: vsx("xt", 6, 10, 28),
  xs_dq: vsx("xs", 6, 10, 28),
  /** 8LS/MLS prefixed VSX loads and stores: TX is bit 5 of the suffix. */
  xt_p: vsx("xt", 6, 10, 5),
  xs_p: vsx("xs", 6, 10, 5),
  /** 8RR forms: TX is bit 15 of the suffix. */
  xt_rr: vsx("xt", 6, 10, 15),
  /** Paired VSR XTp/XSp: 32 × TX (bit 10) + 2 × Tp (bits 6–9). */
  xtp: {
    field: "xt",
    print: "vsr",
    bits: [
      [10, 10],
      [6, 9],
    ],
    map: (v) => ((v >> 4) << 5) | ((v & 15) << 1),
  },
  xsp: {
    field: "xs",
    print: "vsr",
    bits: [
      [10, 10],
      [6, 9],
    ],
    map: (v) => ((v >> 4) << 5) | ((v & 15) << 1),
  },
  /** DS-form VSX scalar loads (lxsd/lxssp) name VR 32–63 by VRT. */
  vrt_ds: { field: "vrt", print: "vr", bits: T },
  uim_w: { field: "uim", print: "imm", bits: [[14, 15]] },
  dm: { field: "dm", print: "imm", bits: [[22, 23]] },
  /** xxspltd's doubleword index: DM 0 → 0, DM 3 → 1. */
  dm_hi: { field: "dm", print: "imm", bits: [[22, 22]] },
  shw: { field: "shw", print: "imm", bits: [[22, 23]] },
  uim4: { field: "uim", print: "imm", bits: [[12, 15]] },
  uim3: { field: "uim", print: "imm", bits: [[13, 15]] },
  uim2: { field: "uim", print: "imm", bits: [[14, 15]] },
  imm8: { field: "imm8", print: "imm", bits: [[13, 20]] },
  sim: { field: "sim", print: "imm", bits: A, signed: true },
  uim_v: { field: "uim", print: "imm", bits: A },
  shb: { field: "shb", print: "imm", bits: [[22, 25]] },
  /** vsldbi/vsrdbi SH, bits 23–25. */
  sh3: { field: "sh", print: "imm", bits: [[23, 25]] },
  /** mtvsrbmi's 16-bit mask (objdump prints it signed) b0 (16–25) || b1 (11–15) || b2 (31). */
  bm16: {
    field: "b",
    print: "imm",
    bits: [
      [16, 25],
      [11, 15],
      [31, 31],
    ],
    signed: true,
  },
  /** BCD preferred sign PS, bit 22. */
  ps: { field: "ps", print: "imm", bits: [[22, 22]] },
  /** vcntmb* MP, bit 15. */
  mp: { field: "mp", print: "imm", bits: [[15, 15]] },
  /** vgnb N, bits 13–15. */
  n3: { field: "n", print: "imm", bits: [[13, 15]] },
  /** xststdc* DCMX, bits 9–15. */
  dcmx7: { field: "dcmx", print: "imm", bits: [[9, 15]] },
  /** xvtstdc* DCMX = dc (bit 25) || dm (bit 29) || dx (bits 11–15). */
  dcmx_v: {
    field: "dcmx",
    print: "imm",
    bits: [
      [25, 25],
      [29, 29],
      [11, 15],
    ],
  },
  /** An unsigned 5-bit immediate in bits 16–20 (lxvkq UIM). */
  uim5b: { field: "uim", print: "imm", bits: B },
  /** vshasigma ST (bit 16) and SIX (bits 17–20). */
  st: { field: "st", print: "imm", bits: [[16, 16]] },
  six: { field: "six", print: "imm", bits: [[17, 20]] },
  imm32: {
    field: "imm32",
    print: "imm",
    bits: [
      [16, 31, "hi"],
      [16, 31],
    ],
  },
  /** addex carry select CY, bits 21–22. */
  cy: { field: "cy", print: "imm", bits: [[21, 22]] },
  /** addpcis D = d0 (16–25) || d1 (11–15) || d2 (31), signed. */
  dx: {
    field: "d",
    print: "imm",
    bits: [
      [16, 25],
      [11, 15],
      [31, 31],
    ],
    signed: true,
  },
  ix: { field: "ix", print: "imm", bits: [[14, 14]] },

  // Floating point.
  frt: { field: "frt", print: "fpr", bits: T },
  frs: { field: "frs", print: "fpr", bits: T },
  fra: { field: "fra", print: "fpr", bits: A },
  frb: { field: "frb", print: "fpr", bits: B },
  frc: { field: "frc", print: "fpr", bits: C },
};

/** Every operand by name. */
export const OPERANDS: ReadonlyMap<string, Operand> = new Map(
  Object.entries(DEFS).map(([n, d]) => [n, makeOperand(n, d)]),
);

export function operandByName(name: string): Operand {
  const o = OPERANDS.get(name);
  if (!o) throw new Error(`unknown operand ${name}`);
  return o;
}

/** Define a one-off operand (used by rows whose fields are unusual). */
export function defineOperand(name: string, d: Def): Operand {
  const o = makeOperand(name, d);
  (OPERANDS as Map<string, Operand>).set(name, o);
  return o;
}

export type OperandDef = Def;

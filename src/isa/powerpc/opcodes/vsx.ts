/**
 * Vector-Scalar Extension (Power ISA v3.1 Book I chapter 7): the loads and
 * stores, register moves, logical operations, permutes and splats GCC uses for
 * block moves and simple integer vector code. VSR numbers are 6 bits: the
 * 5-bit field plus its TX/AX/BX/CX extension bit.
 */
import { type Fix, type Row, rel, row, simplified } from "./row.ts";
import { vsxArithRows } from "./vsx-arith.ts";
import { vsxConvertRows } from "./vsx-convert.ts";

const PO_VSX = 60;

const xa6 = (w: number): number => ((w >>> 16) & 31) | (((w >>> 2) & 1) << 5);
const xb6 = (w: number): number => ((w >>> 11) & 31) | (((w >>> 1) & 1) << 5);
const xaIsXb = rel(6, (w) => xa6(w) === xb6(w));

/** XX3-form: 8-bit XO in bits 21–28. */
function xx3(m: string, xo8: number, operands = "xt,xa,xb"): Row {
  return row(m, "XX3", { po: PO_VSX, xo8 }, operands);
}

/** X-form VSX loads/stores (PO 31): [mnemonic, XO (bits 21–30), operands]. */
const X_FORMS: readonly (readonly [string, number, string])[] = [
  ["lxsiwzx", 12, "xt,ra0,rb"],
  ["lxsiwax", 76, "xt,ra0,rb"],
  ["stxsiwx", 140, "xs,ra0,rb"],
  ["lxsspx", 524, "xt,ra0,rb"],
  ["stxsspx", 652, "xs,ra0,rb"],
  ["lxsdx", 588, "xt,ra0,rb"],
  ["stxsdx", 716, "xs,ra0,rb"],
  ["lxvw4x", 780, "xt,ra0,rb"],
  ["stxvw4x", 908, "xs,ra0,rb"],
  ["lxvd2x", 844, "xt,ra0,rb"],
  ["stxvd2x", 972, "xs,ra0,rb"],
  ["lxvh8x", 812, "xt,ra0,rb"],
  ["stxvh8x", 940, "xs,ra0,rb"],
  ["lxvb16x", 876, "xt,ra0,rb"],
  ["stxvb16x", 1004, "xs,ra0,rb"],
  ["lxvdsx", 332, "xt,ra0,rb"],
  ["lxvwsx", 364, "xt,ra0,rb"],
  ["lxvx", 268, "xt,ra0,rb"],
  ["stxvx", 396, "xs,ra0,rb"],
  ["lxvl", 269, "xt,ra0,rb"],
  ["lxvll", 301, "xt,ra0,rb"],
  ["stxvl", 397, "xs,ra0,rb"],
  ["stxvll", 429, "xs,ra0,rb"],
  ["lxsibzx", 781, "xt,ra0,rb"],
  ["lxsihzx", 813, "xt,ra0,rb"],
  ["stxsibx", 909, "xs,ra0,rb"],
  ["stxsihx", 941, "xs,ra0,rb"],
  ["lxvrbx", 13, "xt,ra0,rb"],
  ["lxvrhx", 45, "xt,ra0,rb"],
  ["lxvrwx", 77, "xt,ra0,rb"],
  ["lxvrdx", 109, "xt,ra0,rb"],
  ["stxvrbx", 141, "xs,ra0,rb"],
  ["stxvrhx", 173, "xs,ra0,rb"],
  ["stxvrwx", 205, "xs,ra0,rb"],
  ["stxvrdx", 237, "xs,ra0,rb"],
];

function loadStore(): Row[] {
  return [
    ...X_FORMS.map(([m, xo, ops]) => row(m, "XX1", { po: 31, xo10: xo }, ops)),
    // DQ-form lxv/stxv: TX/SX is bit 28, XO bits 29–31.
    row("lxv", "DQ", { po: 61, xo3: 1 }, "xt_dq,dq,ra0"),
    row("stxv", "DQ", { po: 61, xo3: 5 }, "xs_dq,dq,ra0"),
    // DS-form scalar loads/stores name VSR 32–63 as VR 0–31.
    row("lxsd", "DS", { po: 57, xo1: 2 }, "vrt,ds,ra0"),
    row("lxssp", "DS", { po: 57, xo1: 3 }, "vrt,ds,ra0"),
    row("stxsd", "DS", { po: 61, xo1: 2 }, "vrs,ds,ra0"),
    row("stxssp", "DS", { po: 61, xo1: 3 }, "vrs,ds,ra0"),
    // Paired loads/stores (v3.1): DQ-form PO 6 and X-form PO 31.
    row("lxvp", "DQ", { po: 6, xo4: 0 }, "xtp,dq,ra0"),
    row("stxvp", "DQ", { po: 6, xo4: 1 }, "xsp,dq,ra0"),
    row("lxvpx", "X", { po: 31, xo10: 333 }, "xtp,ra0,rb", { ignore: 1 }),
    row("stxvpx", "X", { po: 31, xo10: 461 }, "xsp,ra0,rb", { ignore: 1 }),
  ];
}

/**
 * GPR ↔ VSR moves. objdump names mfvsrd/mtvsrd/mfvsrwz/mtvsrwz/mtvsrwa for the
 * half of the VSR file they touch: mffprd/mfvrd and so on (SX/TX = bit 31).
 */
function moves(): Row[] {
  // The ISA name is kept as a row for encoding; the named halves always print.
  const m = (
    name: string,
    xo: number,
    fpr: string,
    vr: string,
    fprOps: string,
    vrOps: string,
  ): Row[] => [
    row(name, "XX1", { po: 31, xo10: xo }, name.startsWith("mf") ? "ra,xs" : "xt,ra"),
    row(fpr, "XX1", { po: 31, xo10: xo, rc: 0 }, fprOps, { sem: name }),
    row(vr, "XX1", { po: 31, xo10: xo, rc: 1 }, vrOps, { sem: name }),
  ];
  return [
    ...m("mfvsrd", 51, "mffprd", "mfvrd", "ra,frs", "ra,vrs"),
    ...m("mfvsrwz", 115, "mffprwz", "mfvrwz", "ra,frs", "ra,vrs"),
    ...m("mtvsrd", 179, "mtfprd", "mtvrd", "frt,ra", "vrt,ra"),
    ...m("mtvsrwa", 211, "mtfprwa", "mtvrwa", "frt,ra", "vrt,ra"),
    ...m("mtvsrwz", 243, "mtfprwz", "mtvrwz", "frt,ra", "vrt,ra"),
    row("mfvsrld", "XX1", { po: 31, xo10: 307 }, "ra,xs"),
    row("mtvsrws", "XX1", { po: 31, xo10: 403 }, "xt,ra"),
    row("mtvsrdd", "XX1", { po: 31, xo10: 435 }, "xt,ra0,rb"),
  ];
}

function logical(): Row[] {
  const xxlor = xx3("xxlor", 146);
  const xxlnor = xx3("xxlnor", 162);
  return [
    xx3("xxland", 130),
    xx3("xxlandc", 138),
    simplified("xxmr", xxlor, {}, "xt,xa", [xaIsXb]),
    xxlor,
    xx3("xxlxor", 154),
    simplified("xxlnot", xxlnor, {}, "xt,xa", [xaIsXb]),
    xxlnor,
    xx3("xxlorc", 170),
    xx3("xxlnand", 178),
    xx3("xxleqv", 186),
    // XX4-form select: XO in bits 26–27.
    row("xxsel", "XX4", { po: PO_VSX, xo2: 3 }, "xt,xa,xb,xc"),
  ];
}

function permutes(): Row[] {
  // xxpermdi: bit 21 = 0, DM in bits 22–23, XO 10 in bits 24–28.
  const permdi = row("xxpermdi", "XX3", { po: PO_VSX, b21: 0, xo5b: 10 }, "xt,xa,xb,dm");
  const d = (m: string, fix: Fix, ops: string, rels = [] as ReturnType<typeof rel>[]): Row =>
    simplified(m, permdi, fix, ops, rels);
  return [
    d("xxspltd", { dm: 0 }, "xt,xa,dm_hi", [xaIsXb]),
    d("xxspltd", { dm: 3 }, "xt,xa,dm_hi", [xaIsXb]),
    d("xxswapd", { dm: 2 }, "xt,xa", [xaIsXb]),
    d("xxmrghd", { dm: 0 }, "xt,xa,xb"),
    d("xxmrgld", { dm: 3 }, "xt,xa,xb"),
    permdi,
    row("xxsldwi", "XX3", { po: PO_VSX, b21: 0, xo5b: 2 }, "xt,xa,xb,shw"),
    xx3("xxmrghw", 18),
    xx3("xxmrglw", 50),
    xx3("xxperm", 26),
    xx3("xxpermr", 58),
    // XX2-form xxspltw: UIM in bits 14–15, XO 164 in bits 21–29.
    row("xxspltw", "XX2", { po: PO_VSX, xo9b: 164 }, "xt,xb,uim_w"),
    // XX2-form byte reverse: XO 475 in bits 21–29, the operation in bits 11–15.
    row("xxbrh", "XX2", { po: PO_VSX, ra: 7, xo9b: 475 }, "xt,xb"),
    row("xxbrw", "XX2", { po: PO_VSX, ra: 15, xo9b: 475 }, "xt,xb"),
    row("xxbrd", "XX2", { po: PO_VSX, ra: 23, xo9b: 475 }, "xt,xb"),
    row("xxbrq", "XX2", { po: PO_VSX, ra: 31, xo9b: 475 }, "xt,xb"),
    // X-form xxspltib: IMM8 in bits 13–20, XO 360 in bits 21–30.
    row("xxspltib", "X", { po: PO_VSX, xo10: 360 }, "xt,imm8"),
  ];
}

export function vsxRows(): readonly Row[] {
  return [
    ...loadStore(),
    ...moves(),
    ...logical(),
    ...permutes(),
    ...vsxArithRows(),
    ...vsxConvertRows(),
  ];
}

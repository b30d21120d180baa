/**
 * VSX floating-point arithmetic (Power ISA v3.1 Book I §7.6): scalar (xs*) and
 * vector (xv*) add/subtract/multiply/divide, fused multiply-add in its A and M
 * forms, maximum/minimum, copy sign, compares, test for software divide.
 * VSR numbers are 6 bits: the 5-bit field plus its AX/BX/TX extension bit.
 */
import { type Row, rel, row, simplified } from "./row.ts";

const PO_VSX = 60;

/** XX3-form: 8-bit XO in bits 21–28. */
function xx3(m: string, xo8: number, operands = "xt,xa,xb"): Row {
  return row(m, "XX3", { po: PO_VSX, xo8 }, operands);
}

const xa6 = (w: number): number => ((w >>> 16) & 31) | (((w >>> 2) & 1) << 5);
const xb6 = (w: number): number => ((w >>> 11) & 31) | (((w >>> 1) & 1) << 5);
const xaIsXb = rel(6, (w) => xa6(w) === xb6(w));

/** [mnemonic, XO] of the XX3-form operations XT ← f(XA, XB). */
const XX3: readonly (readonly [string, number])[] = [
  ["xsaddsp", 0],
  ["xssubsp", 8],
  ["xsmulsp", 16],
  ["xsdivsp", 24],
  ["xsadddp", 32],
  ["xssubdp", 40],
  ["xsmuldp", 48],
  ["xsdivdp", 56],
  ["xsmaddasp", 1],
  ["xsmaddmsp", 9],
  ["xsmsubasp", 17],
  ["xsmsubmsp", 25],
  ["xsmaddadp", 33],
  ["xsmaddmdp", 41],
  ["xsmsubadp", 49],
  ["xsmsubmdp", 57],
  ["xsnmaddasp", 129],
  ["xsnmaddmsp", 137],
  ["xsnmsubasp", 145],
  ["xsnmsubmsp", 153],
  ["xsnmaddadp", 161],
  ["xsnmaddmdp", 169],
  ["xsnmsubadp", 177],
  ["xsnmsubmdp", 185],
  ["xscmpeqdp", 3],
  ["xscmpgtdp", 11],
  ["xscmpgedp", 19],
  ["xsmaxcdp", 128],
  ["xsmincdp", 136],
  ["xsmaxjdp", 144],
  ["xsminjdp", 152],
  ["xsmaxdp", 160],
  ["xsmindp", 168],
  ["xscpsgndp", 176],
  ["xvaddsp", 64],
  ["xvsubsp", 72],
  ["xvmulsp", 80],
  ["xvdivsp", 88],
  ["xvadddp", 96],
  ["xvsubdp", 104],
  ["xvmuldp", 112],
  ["xvdivdp", 120],
  ["xvmaddasp", 65],
  ["xvmaddmsp", 73],
  ["xvmsubasp", 81],
  ["xvmsubmsp", 89],
  ["xvmaddadp", 97],
  ["xvmaddmdp", 105],
  ["xvmsubadp", 113],
  ["xvmsubmdp", 121],
  ["xvnmaddasp", 193],
  ["xvnmaddmsp", 201],
  ["xvnmsubasp", 209],
  ["xvnmsubmsp", 217],
  ["xvnmaddadp", 225],
  ["xvnmaddmdp", 233],
  ["xvnmsubadp", 241],
  ["xvnmsubmdp", 249],
  ["xvmaxsp", 192],
  ["xvminsp", 200],
  ["xvmaxdp", 224],
  ["xvmindp", 232],
  ["xviexpsp", 216],
  ["xviexpdp", 248],
];

/** [mnemonic, XO] of the XX3-form operations writing a CR field BF. */
const XX3_CR: readonly (readonly [string, number])[] = [
  ["xscmpudp", 35],
  ["xscmpodp", 43],
  ["xscmpexpdp", 59],
  ["xstdivdp", 61],
  ["xvtdivsp", 93],
  ["xvtdivdp", 125],
];

/** [mnemonic, XO (bits 22–28)] of the vector compares; Rc is bit 21 (CR6). */
const COMPARES: readonly (readonly [string, number])[] = [
  ["xvcmpeqsp", 67],
  ["xvcmpgtsp", 75],
  ["xvcmpgesp", 83],
  ["xvcmpeqdp", 99],
  ["xvcmpgtdp", 107],
  ["xvcmpgedp", 115],
];

/** Copy sign, whose XA = XB form prints as the move. */
function copySign(m: string, move: string, xo8: number): Row[] {
  const base = xx3(m, xo8);
  return [simplified(move, base, {}, "xt,xb", [xaIsXb]), base];
}

export function vsxArithRows(): readonly Row[] {
  return [
    ...XX3.map(([m, xo]) => xx3(m, xo)),
    ...XX3_CR.map(([m, xo]) => xx3(m, xo, "bf,xa,xb")),
    ...COMPARES.flatMap(([m, xo]) => [
      xx3(m, xo),
      row(`${m}.`, "XX3", { po: PO_VSX, xo8: xo | 128 }, "xt,xa,xb", { sem: m }),
    ]),
    ...copySign("xvcpsgnsp", "xvmovsp", 208),
    ...copySign("xvcpsgndp", "xvmovdp", 240),
  ];
}

/**
 * VSX XX2-form unary operations (Power ISA v3.1 Book I §7.6): conversions,
 * rounding to integral, square root and estimates, absolute value and
 * negation, and the exponent/significand extractions. XO is bits 21–29;
 * bits 11–15 are reserved or select an operation within one XO.
 */
import { type Row, row } from "./row.ts";

const PO_VSX = 60;

/** XX2-form: XO 9 bits at 21–29, bits 11–15 zero unless `sel` fixes them. */
function xx2(m: string, xo9b: number, operands = "xt,xb", sel = 0): Row {
  return row(m, "XX2", { po: PO_VSX, ra: sel, xo9b }, operands);
}

/** [mnemonic, XO] of the XX2-form XT ← f(XB). */
const XX2: readonly (readonly [string, number])[] = [
  // Scalar conversions.
  ["xscvdpuxws", 72],
  ["xscvdpsxws", 88],
  ["xscvdpsp", 265],
  ["xscvdpspn", 267],
  ["xscvuxdsp", 296],
  ["xscvsxdsp", 312],
  ["xscvdpuxds", 328],
  ["xscvspdp", 329],
  ["xscvspdpn", 331],
  ["xscvdpsxds", 344],
  ["xscvuxddp", 360],
  ["xscvsxddp", 376],
  // Vector conversions.
  ["xvcvspuxws", 136],
  ["xvcvspsxws", 152],
  ["xvcvuxwsp", 168],
  ["xvcvsxwsp", 184],
  ["xvcvdpuxws", 200],
  ["xvcvdpsxws", 216],
  ["xvcvuxwdp", 232],
  ["xvcvsxwdp", 248],
  ["xvcvspuxds", 392],
  ["xvcvdpsp", 393],
  ["xvcvspsxds", 408],
  ["xvcvuxdsp", 424],
  ["xvcvsxdsp", 440],
  ["xvcvdpuxds", 456],
  ["xvcvspdp", 457],
  ["xvcvdpsxds", 472],
  ["xvcvuxddp", 488],
  ["xvcvsxddp", 504],
  // Round to integral.
  ["xsrdpi", 73],
  ["xsrdpiz", 89],
  ["xsrdpip", 105],
  ["xsrdpic", 107],
  ["xsrdpim", 121],
  ["xsrsp", 281],
  ["xvrspi", 137],
  ["xvrspiz", 153],
  ["xvrspip", 169],
  ["xvrspic", 171],
  ["xvrspim", 185],
  ["xvrdpi", 201],
  ["xvrdpiz", 217],
  ["xvrdpip", 233],
  ["xvrdpic", 235],
  ["xvrdpim", 249],
  // Square root and estimates.
  ["xsrsqrtesp", 10],
  ["xssqrtsp", 11],
  ["xsresp", 26],
  ["xsrsqrtedp", 74],
  ["xssqrtdp", 75],
  ["xsredp", 90],
  ["xvrsqrtesp", 138],
  ["xvsqrtsp", 139],
  ["xvresp", 154],
  ["xvrsqrtedp", 202],
  ["xvsqrtdp", 203],
  ["xvredp", 218],
  // Absolute value, negation.
  ["xsabsdp", 345],
  ["xsnabsdp", 361],
  ["xsnegdp", 377],
  ["xvabssp", 409],
  ["xvnabssp", 425],
  ["xvnegsp", 441],
  ["xvabsdp", 473],
  ["xvnabsdp", 489],
  ["xvnegdp", 505],
];

/** The XO 347 and 475 groups: [mnemonic, XO, selector (bits 11–15), operands]. */
const SELECTED: readonly (readonly [string, number, number, string])[] = [
  ["xsxexpdp", 347, 0, "rt,xb"],
  ["xsxsigdp", 347, 1, "rt,xb"],
  ["xscvhpdp", 347, 16, "xt,xb"],
  ["xscvdphp", 347, 17, "xt,xb"],
  ["xvxexpdp", 475, 0, "xt,xb"],
  ["xvxsigdp", 475, 1, "xt,xb"],
  ["xvxexpsp", 475, 8, "xt,xb"],
  ["xvxsigsp", 475, 9, "xt,xb"],
  ["xvcvbf16spn", 475, 16, "xt,xb"],
  ["xvcvspbf16", 475, 17, "xt,xb"],
  ["xvcvhpsp", 475, 24, "xt,xb"],
  ["xvcvsphp", 475, 25, "xt,xb"],
  ["xvtlsbb", 475, 2, "bf,xb"],
];

export function vsxConvertRows(): readonly Row[] {
  return [
    ...XX2.map(([m, xo]) => xx2(m, xo)),
    ...SELECTED.map(([m, xo, sel, ops]) => xx2(m, xo, ops, sel)),
    // Test for software square root: BF, bits 9–10 reserved.
    xx2("xstsqrtdp", 106, "bf,xb"),
    xx2("xvtsqrtsp", 170, "bf,xb"),
    xx2("xvtsqrtdp", 234, "bf,xb"),
    // Test data class: DCMX selects the classes tested.
    xx2("xststdcsp", 298, "bf,xb,dcmx7"),
    xx2("xststdcdp", 362, "bf,xb,dcmx7"),
    row("xvtstdcsp", "XX2", { po: PO_VSX, xo4a: 13, xo3b: 5 }, "xt,xb,dcmx_v"),
    row("xvtstdcdp", "XX2", { po: PO_VSX, xo4a: 15, xo3b: 5 }, "xt,xb,dcmx_v"),
    // X-form: insert exponent, generate permute control, load a constant.
    row("xsiexpdp", "X", { po: PO_VSX, xo10: 918 }, "xt,ra,rb"),
    row("xxgenpcvbm", "X", { po: PO_VSX, xo10: 916 }, "xt,vrb,uim_v"),
    row("xxgenpcvhm", "X", { po: PO_VSX, xo10: 917 }, "xt,vrb,uim_v"),
    row("xxgenpcvwm", "X", { po: PO_VSX, xo10: 948 }, "xt,vrb,uim_v"),
    row("xxgenpcvdm", "X", { po: PO_VSX, xo10: 949 }, "xt,vrb,uim_v"),
    row("lxvkq", "X", { po: PO_VSX, ra: 31, xo10: 360 }, "xt,uim5b"),
    // Insert/extract a word at byte UIM (bits 12–15).
    xx2("xxextractuw", 165, "xt,xb,uim4"),
    xx2("xxinsertw", 181, "xt,xb,uim4"),
  ];
}

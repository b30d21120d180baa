/**
 * Floating-point facility (Power ISA v3.1 Book I chapter 4): the A-form
 * arithmetic of PO 63 (double) and PO 59 (single), and the X-form moves,
 * compares and conversions. Loads and stores are in loadstore.ts.
 */
import { type Row, row, withDot } from "./row.ts";

/** A-form: XO in bits 26–30; [mnemonic, XO, operands]. */
const A_FORMS: readonly (readonly [string, number, string])[] = [
  ["fdiv", 18, "frt,fra,frb"],
  ["fsub", 20, "frt,fra,frb"],
  ["fadd", 21, "frt,fra,frb"],
  ["fsqrt", 22, "frt,frb"],
  ["fsel", 23, "frt,fra,frc,frb"],
  ["fre", 24, "frt,frb"],
  ["fmul", 25, "frt,fra,frc"],
  ["frsqrte", 26, "frt,frb"],
  ["fmsub", 28, "frt,fra,frc,frb"],
  ["fmadd", 29, "frt,fra,frc,frb"],
  ["fnmsub", 30, "frt,fra,frc,frb"],
  ["fnmadd", 31, "frt,fra,frc,frb"],
];

/** Single-precision A-forms (PO 59) share the XOs; fsel has none. */
const SINGLE = new Set([
  "fdiv",
  "fsub",
  "fadd",
  "fsqrt",
  "fre",
  "fmul",
  "frsqrte",
  "fmsub",
  "fmadd",
  "fnmsub",
  "fnmadd",
]);

/** PO 63 X-form: [mnemonic, XO, operands]. */
const X_FORMS: readonly (readonly [string, number, string])[] = [
  ["fcpsgn", 8, "frt,fra,frb"],
  ["frsp", 12, "frt,frb"],
  ["fctiw", 14, "frt,frb"],
  ["fctiwz", 15, "frt,frb"],
  ["fneg", 40, "frt,frb"],
  ["fmr", 72, "frt,frb"],
  ["fnabs", 136, "frt,frb"],
  ["fctiwu", 142, "frt,frb"],
  ["fctiwuz", 143, "frt,frb"],
  ["fabs", 264, "frt,frb"],
  ["frin", 392, "frt,frb"],
  ["friz", 424, "frt,frb"],
  ["frip", 456, "frt,frb"],
  ["frim", 488, "frt,frb"],
  ["mffs", 583, "frt"],
  ["fctid", 814, "frt,frb"],
  ["fctidz", 815, "frt,frb"],
  ["fcfid", 846, "frt,frb"],
  ["fctidu", 942, "frt,frb"],
  ["fctiduz", 943, "frt,frb"],
  ["fcfidu", 974, "frt,frb"],
];

export function floatingPointRows(): readonly Row[] {
  return [
    ...A_FORMS.flatMap(([m, xo, ops]) => withDot(row(m, "A", { po: 63, xo5: xo }, ops))),
    ...A_FORMS.filter(([m]) => SINGLE.has(m)).flatMap(([m, xo, ops]) =>
      withDot(row(`${m}s`, "A", { po: 59, xo5: xo }, ops)),
    ),
    ...X_FORMS.flatMap(([m, xo, ops]) => withDot(row(m, "X", { po: 63, xo10: xo }, ops))),
    ...withDot(row("fcfids", "X", { po: 59, xo10: 846 }, "frt,frb")),
    ...withDot(row("fcfidus", "X", { po: 59, xo10: 974 }, "frt,frb")),
    row("fcmpu", "X", { po: 63, xo10: 0, rc: 0 }, "bf,fra,frb"),
    row("fcmpo", "X", { po: 63, xo10: 32, rc: 0 }, "bf,fra,frb"),
  ];
}

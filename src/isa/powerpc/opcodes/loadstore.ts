/**
 * Fixed-point and floating-point loads and stores (Power ISA v3.1 Book I §3.3,
 * §4.6): D, DS, DQ and X forms, with update, byte-reversed, load-and-reserve /
 * store-conditional and quadword forms. Update forms reject RA = 0 (and, for
 * loads, RA = RT) as objdump does (invalid forms, ISA §3.3.2).
 */
import { dform, type Row, row, x } from "./row.ts";

/** [mnemonic, primary opcode, operands] of the D-form loads and stores. */
const D_FORMS: readonly (readonly [string, number, string])[] = [
  ["lwz", 32, "rt,d,ra0"],
  ["lwzu", 33, "rt,d,ra_lu"],
  ["lbz", 34, "rt,d,ra0"],
  ["lbzu", 35, "rt,d,ra_lu"],
  ["stw", 36, "rs,d,ra0"],
  ["stwu", 37, "rs,d,ra_su"],
  ["stb", 38, "rs,d,ra0"],
  ["stbu", 39, "rs,d,ra_su"],
  ["lhz", 40, "rt,d,ra0"],
  ["lhzu", 41, "rt,d,ra_lu"],
  ["lha", 42, "rt,d,ra0"],
  ["lhau", 43, "rt,d,ra_lu"],
  ["sth", 44, "rs,d,ra0"],
  ["sthu", 45, "rs,d,ra_su"],
  ["lfs", 48, "frt,d,ra0"],
  ["lfsu", 49, "frt,d,ra_su"],
  ["lfd", 50, "frt,d,ra0"],
  ["lfdu", 51, "frt,d,ra_su"],
  ["stfs", 52, "frs,d,ra0"],
  ["stfsu", 53, "frs,d,ra_su"],
  ["stfd", 54, "frs,d,ra0"],
  ["stfdu", 55, "frs,d,ra_su"],
];

/** [mnemonic, PO 31 extended opcode, operands] of the X-form loads and stores. */
const X_FORMS: readonly (readonly [string, number, string])[] = [
  ["lwzx", 23, "rt,ra0,rb"],
  ["lwzux", 55, "rt,ra_lu,rb"],
  ["lbzx", 87, "rt,ra0,rb"],
  ["lbzux", 119, "rt,ra_lu,rb"],
  ["stwx", 151, "rs,ra0,rb"],
  ["stwux", 183, "rs,ra_su,rb"],
  ["stbx", 215, "rs,ra0,rb"],
  ["stbux", 247, "rs,ra_su,rb"],
  ["lhzx", 279, "rt,ra0,rb"],
  ["lhzux", 311, "rt,ra_lu,rb"],
  ["lhax", 343, "rt,ra0,rb"],
  ["lhaux", 375, "rt,ra_lu,rb"],
  ["sthx", 407, "rs,ra0,rb"],
  ["sthux", 439, "rs,ra_su,rb"],
  ["lwax", 341, "rt,ra0,rb"],
  ["lwaux", 373, "rt,ra_lu,rb"],
  ["ldx", 21, "rt,ra0,rb"],
  ["ldux", 53, "rt,ra_lu,rb"],
  ["stdx", 149, "rs,ra0,rb"],
  ["stdux", 181, "rs,ra_su,rb"],
  ["lhbrx", 790, "rt,ra0,rb"],
  ["lwbrx", 534, "rt,ra0,rb"],
  ["ldbrx", 532, "rt,ra0,rb"],
  ["sthbrx", 918, "rs,ra0,rb"],
  ["stwbrx", 662, "rs,ra0,rb"],
  ["stdbrx", 660, "rs,ra0,rb"],
  ["lbarx", 52, "rt,ra0,rb,eh"],
  ["lharx", 116, "rt,ra0,rb,eh"],
  ["lwarx", 20, "rt,ra0,rb,eh"],
  ["ldarx", 84, "rt,ra0,rb,eh"],
  ["lqarx", 276, "rtp_lqarx,ra0,rb,eh"],
  ["lfsx", 535, "frt,ra0,rb"],
  ["lfsux", 567, "frt,ra_su,rb"],
  ["lfdx", 599, "frt,ra0,rb"],
  ["lfdux", 631, "frt,ra_su,rb"],
  ["lfiwax", 855, "frt,ra0,rb"],
  ["lfiwzx", 887, "frt,ra0,rb"],
  ["stfsx", 663, "frs,ra0,rb"],
  ["stfsux", 695, "frs,ra_su,rb"],
  ["stfdx", 727, "frs,ra0,rb"],
  ["stfdux", 759, "frs,ra_su,rb"],
  ["stfiwx", 983, "frs,ra0,rb"],
];

/** Store conditional: Rc is 1 in the encoding (the `.` is part of the name). */
const STORE_CONDITIONAL: readonly (readonly [string, number, string])[] = [
  ["stbcx.", 694, "rs,ra0,rb"],
  ["sthcx.", 726, "rs,ra0,rb"],
  ["stwcx.", 150, "rs,ra0,rb"],
  ["stdcx.", 214, "rs,ra0,rb"],
  ["stqcx.", 182, "rsp,ra0,rb"],
];

export function loadStoreRows(): readonly Row[] {
  return [
    ...D_FORMS.map(([m, po, ops]) => dform(m, po, ops)),
    // DS-form: XO in bits 30–31.
    row("ld", "DS", { po: 58, xo1: 0 }, "rt,ds,ra0"),
    row("ldu", "DS", { po: 58, xo1: 1 }, "rt,ds,ra_lu"),
    row("lwa", "DS", { po: 58, xo1: 2 }, "rt,ds,ra0"),
    row("std", "DS", { po: 62, xo1: 0 }, "rs,ds,ra0"),
    row("stdu", "DS", { po: 62, xo1: 1 }, "rs,ds,ra_su"),
    row("stq", "DS", { po: 62, xo1: 2 }, "rsp,ds,ra0"),
    row("lq", "DQ", { po: 56 }, "rtp_lq,dq,ra0", { ignore: 0xf }),
    row("lmw", "D", { po: 46 }, "rt,d,ra0", {
      rejects: [(w) => ((w >>> 16) & 31) >= ((w >>> 21) & 31)],
    }),
    row("stmw", "D", { po: 47 }, "rs,d,ra0"),
    ...X_FORMS.map(([m, xo, ops]) => x(m, 31, xo, ops)),
    ...STORE_CONDITIONAL.map(([m, xo, ops]) => row(m, "X", { po: 31, xo10: xo, rc: 1 }, ops)),
  ];
}

/**
 * Vector loads and stores (Power ISA v3.1 Book I §6.7): X-form, primary
 * opcode 31, element and quadword forms, and the permute-control loads
 * lvsl/lvsr.
 */
import { type Row, x } from "./row.ts";

/** [mnemonic, XO (bits 21–30), operands]. */
const X_FORMS: readonly (readonly [string, number, string])[] = [
  ["lvsl", 6, "vrt,ra0,rb"],
  ["lvsr", 38, "vrt,ra0,rb"],
  ["lvebx", 7, "vrt,ra0,rb"],
  ["lvehx", 39, "vrt,ra0,rb"],
  ["lvewx", 71, "vrt,ra0,rb"],
  ["lvx", 103, "vrt,ra0,rb"],
  ["lvxl", 359, "vrt,ra0,rb"],
  ["stvebx", 135, "vrs,ra0,rb"],
  ["stvehx", 167, "vrs,ra0,rb"],
  ["stvewx", 199, "vrs,ra0,rb"],
  ["stvx", 231, "vrs,ra0,rb"],
  ["stvxl", 487, "vrs,ra0,rb"],
];

export function vectorLoadStoreRows(): readonly Row[] {
  return X_FORMS.map(([m, xo, ops]) => x(m, 31, xo, ops));
}

/**
 * The instruction forms of the vector facility (Power ISA v3.1 Book I §1.6,
 * chapter 6), primary opcode 4, as row builders shared by the vector chapter's
 * files.
 */
import { type Row, row } from "./row.ts";

/** VX-form: 11-bit XO in bits 21–31. */
export function vx(m: string, xo11: number, operands = "vrt,vra,vrb"): Row {
  return row(m, "VX", { po: 4, xo11 }, operands);
}

/** VA-form: 6-bit XO in bits 26–31. */
export function va(m: string, xo6: number, operands = "vrt,vra,vrb,vrc"): Row {
  return row(m, "VA", { po: 4, xo6 }, operands);
}

/**
 * VC-form compare: Rc in bit 21, 10-bit XO in bits 22–31. The record form
 * (`.`) sets CR6 and shares the plain row's sem.
 */
export function vc(m: string, xo10: number): Row[] {
  const plain = row(m, "VC", { po: 4, xo11: xo10 }, "vrt,vra,vrb");
  const record = row(`${m}.`, "VC", { po: 4, xo11: xo10 | 1024 }, "vrt,vra,vrb", { sem: m });
  return [plain, record];
}

/** VX-form whose VRA field selects the operation (the unary groups at XO 1538 and 1602). */
export function vxa(m: string, xo11: number, vra: number, operands = "vrt,vrb"): Row {
  return row(m, "VX", { po: 4, vra, xo11 }, operands);
}

/**
 * Vector facility (VMX, Power ISA v3.1 Book I chapter 6), primary opcode 4:
 * the integer add/subtract, logical, permute and splat operations GCC emits
 * for simple integer vector code.
 */
import { type Row, row, same, simplified } from "./row.ts";

/** VX-form: 11-bit XO in bits 21–31. */
function vx(m: string, xo11: number, operands = "vrt,vra,vrb"): Row {
  return row(m, "VX", { po: 4, xo11 }, operands);
}

/** VA-form: 6-bit XO in bits 26–31. */
function va(m: string, xo6: number, operands = "vrt,vra,vrb,vrc"): Row {
  return row(m, "VA", { po: 4, xo6 }, operands);
}

/** [mnemonic, XO] of the VX-form three-register integer operations. */
const VX3: readonly (readonly [string, number])[] = [
  ["vaddubm", 0],
  ["vadduhm", 64],
  ["vadduwm", 128],
  ["vaddudm", 192],
  ["vadduqm", 256],
  ["vsububm", 1024],
  ["vsubuhm", 1088],
  ["vsubuwm", 1152],
  ["vsubudm", 1216],
  ["vsubuqm", 1280],
  ["vand", 1028],
  ["vandc", 1092],
  ["vxor", 1220],
  ["vorc", 1348],
  ["vnand", 1412],
  ["veqv", 1668],
  ["vmrghb", 12],
  ["vmrghh", 76],
  ["vmrghw", 140],
  ["vmrglb", 268],
  ["vmrglh", 332],
  ["vmrglw", 396],
];

export const VECTOR: readonly Row[] = [
  ...VX3.map(([m, xo]) => vx(m, xo)),
  simplified("vmr", vx("vor", 1156), {}, "vrt,vra", [same("vrb", "vra")]),
  vx("vor", 1156),
  simplified("vnot", vx("vnor", 1284), {}, "vrt,vra", [same("vrb", "vra")]),
  vx("vnor", 1284),
  vx("vspltisb", 780, "vrt,sim"),
  vx("vspltish", 844, "vrt,sim"),
  vx("vspltisw", 908, "vrt,sim"),
  vx("vspltb", 524, "vrt,vrb,uim4"),
  vx("vsplth", 588, "vrt,vrb,uim3"),
  vx("vspltw", 652, "vrt,vrb,uim2"),
  va("vperm", 43),
  va("vpermr", 59),
  va("vsel", 42),
  va("vsldoi", 44, "vrt,vra,vrb,shb"),
];

/**
 * Vector facility (VMX, Power ISA v3.1 Book I chapter 6), primary opcode 4
 * (loads and stores: PO 31): logical operations, the VSCR moves, the crypto
 * and bit-manipulation operations here; arithmetic, permutes, floating point
 * and loads/stores in the vector-*.ts files beside this one.
 */
import { type Row, row, same, simplified } from "./row.ts";
import { vectorBcdRows } from "./vector-bcd.ts";
import { vx, vxa } from "./vector-forms.ts";
import { vectorFpRows } from "./vector-fp.ts";
import { vectorIntegerRows } from "./vector-integer.ts";
import { vectorLoadStoreRows } from "./vector-loadstore.ts";
import { vectorPermuteRows } from "./vector-permute.ts";

/** [mnemonic, XO] of the VX-form logical operations. */
const LOGICAL: readonly (readonly [string, number])[] = [
  ["vand", 1028],
  ["vandc", 1092],
  ["vxor", 1220],
  ["vorc", 1348],
  ["vnand", 1412],
  ["veqv", 1668],
];

/** [mnemonic, XO] of the AES/bit-manipulation operations VRT ← f(VRA, VRB). */
const CRYPTO_BITS: readonly (readonly [string, number])[] = [
  ["vcipher", 1288],
  ["vcipherlast", 1289],
  ["vncipher", 1352],
  ["vncipherlast", 1353],
  ["vpextd", 1421],
  ["vpdepd", 1485],
  ["vcfuged", 1357],
  ["vclzdm", 1924],
  ["vctzdm", 1988],
];

/** The XO 1602 group (v3.1 masks): [mnemonic, VRA selector, operands]. */
const MASKS: readonly (readonly [string, number, string])[] = [
  ["vexpandbm", 0, "vrt,vrb"],
  ["vexpandhm", 1, "vrt,vrb"],
  ["vexpandwm", 2, "vrt,vrb"],
  ["vexpanddm", 3, "vrt,vrb"],
  ["vexpandqm", 4, "vrt,vrb"],
  ["vextractbm", 8, "rt,vrb"],
  ["vextracthm", 9, "rt,vrb"],
  ["vextractwm", 10, "rt,vrb"],
  ["vextractdm", 11, "rt,vrb"],
  ["vextractqm", 12, "rt,vrb"],
  ["mtvsrbm", 16, "vrt,rb"],
  ["mtvsrhm", 17, "vrt,rb"],
  ["mtvsrwm", 18, "vrt,rb"],
  ["mtvsrdm", 19, "vrt,rb"],
  ["mtvsrqm", 20, "vrt,rb"],
];

export function vectorRows(): readonly Row[] {
  return [
    ...LOGICAL.map(([m, xo]) => vx(m, xo)),
    simplified("vmr", vx("vor", 1156), {}, "vrt,vra", [same("vrb", "vra")]),
    vx("vor", 1156),
    simplified("vnot", vx("vnor", 1284), {}, "vrt,vra", [same("vrb", "vra")]),
    vx("vnor", 1284),
    ...CRYPTO_BITS.map(([m, xo]) => vx(m, xo)),
    vx("vsbox", 1480, "vrt,vra"),
    vx("vshasigmaw", 1666, "vrt,vra,st,six"),
    vx("vshasigmad", 1730, "vrt,vra,st,six"),
    ...MASKS.map(([m, sel, ops]) => vxa(m, 1602, sel, ops)),
    // vcntmb[bhwd]: bits 11–14 select the element size, MP is bit 15.
    row("vcntmbb", "VX", { po: 4, vsel4: 12, xo11: 1602 }, "rt,vrb,mp"),
    row("vcntmbh", "VX", { po: 4, vsel4: 13, xo11: 1602 }, "rt,vrb,mp"),
    row("vcntmbw", "VX", { po: 4, vsel4: 14, xo11: 1602 }, "rt,vrb,mp"),
    row("vcntmbd", "VX", { po: 4, vsel4: 15, xo11: 1602 }, "rt,vrb,mp"),
    // vgnb: objdump leaves bits 11–12 (reserved) unchecked.
    row("vgnb", "VX", { po: 4, xo11: 1228 }, "rt,vrb,n3", { ignore: 0x0018_0000 }),
    // DX-form mtvsrbmi: XO 10 in bits 26–30.
    row("mtvsrbmi", "DX", { po: 4, xo5: 10 }, "vrt,bm16"),
    vx("mfvscr", 1540, "vrt"),
    vx("mtvscr", 1604, "vrb"),
    ...vectorIntegerRows(),
    ...vectorPermuteRows(),
    ...vectorFpRows(),
    ...vectorLoadStoreRows(),
    ...vectorBcdRows(),
  ];
}

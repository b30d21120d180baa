/**
 * Decimal integer arithmetic on vector registers (Power ISA v3.1 Book I §6.17,
 * "Vector Binary Coded Decimal Instructions"): always record forms (they set
 * CR6); bit 21 is 1, PS (bit 22) picks the preferred sign, XO is bits 23–31.
 */
import { type Row, row } from "./row.ts";

/** [mnemonic, XO (bits 23–31), has PS]. */
const BCD3: readonly (readonly [string, number, boolean])[] = [
  ["bcdadd.", 1, true],
  ["bcdsub.", 65, true],
  ["bcdus.", 129, false],
  ["bcds.", 193, true],
  ["bcdtrunc.", 257, true],
  ["bcdutrunc.", 321, false],
  ["bcdsr.", 449, true],
];

/** The XO 385 group, VRA selects the conversion: [mnemonic, selector, has PS]. */
const CONVERT: readonly (readonly [string, number, boolean])[] = [
  ["bcdctsq.", 0, false],
  ["bcdcfsq.", 2, true],
  ["bcdctz.", 4, true],
  ["bcdctn.", 5, false],
  ["bcdcfz.", 6, true],
  ["bcdcfn.", 7, true],
  ["bcdsetsgn.", 31, true],
];

export function vectorBcdRows(): readonly Row[] {
  return [
    ...BCD3.map(([m, xo, ps]) =>
      row(m, "VX", { po: 4, b21: 1, xo9v: xo }, ps ? "vrt,vra,vrb,ps" : "vrt,vra,vrb"),
    ),
    ...CONVERT.map(([m, sel, ps]) =>
      row(m, "VX", { po: 4, vra: sel, b21: 1, xo9v: 385 }, ps ? "vrt,vrb,ps" : "vrt,vrb"),
    ),
    row("bcdcpsgn.", "VX", { po: 4, xo11: 833 }, "vrt,vra,vrb"),
  ];
}

/**
 * Vector permute and formatting (Power ISA v3.1 Book I §6.8): pack, unpack,
 * merge, splat, permute, select, shift-by-octets, and the element extract and
 * insert operations (to/from a vector element or a GPR).
 */
import { type Row, row } from "./row.ts";
import { va, vx } from "./vector-forms.ts";

/** [mnemonic, XO] of the VX-form permutes VRT ← f(VRA, VRB). */
const VX3: readonly (readonly [string, number])[] = [
  ["vpkuhum", 14],
  ["vpkuwum", 78],
  ["vpkuhus", 142],
  ["vpkuwus", 206],
  ["vpkshus", 270],
  ["vpkswus", 334],
  ["vpkshss", 398],
  ["vpkswss", 462],
  ["vpkpx", 782],
  ["vpkudum", 1102],
  ["vpkudus", 1230],
  ["vpksdus", 1358],
  ["vpksdss", 1486],
  ["vmrghb", 12],
  ["vmrghh", 76],
  ["vmrghw", 140],
  ["vmrglb", 268],
  ["vmrglh", 332],
  ["vmrglw", 396],
  ["vmrgew", 1932],
  ["vmrgow", 1676],
];

/** [mnemonic, XO] of the VX-form unpacks VRT ← f(VRB), VRA reserved. */
const UNPACK: readonly (readonly [string, number])[] = [
  ["vupkhsb", 526],
  ["vupkhsh", 590],
  ["vupklsb", 654],
  ["vupklsh", 718],
  ["vupkhpx", 846],
  ["vupklpx", 974],
  ["vupkhsw", 1614],
  ["vupklsw", 1742],
];

/** [mnemonic, XO]: VRT ← element of VRB at byte UIM (bits 12–15), and the inserts. */
const EXTRACT_INSERT: readonly (readonly [string, number])[] = [
  ["vextractub", 525],
  ["vextractuh", 589],
  ["vextractuw", 653],
  ["vextractd", 717],
  ["vinsertb", 781],
  ["vinserth", 845],
  ["vinsertw", 909],
  ["vinsertd", 973],
];

/** [mnemonic, XO, operands] of the element moves indexed by a GPR (v3.0 / v3.1). */
const INDEXED: readonly (readonly [string, number, string])[] = [
  ["vextublx", 1549, "rt,ra,vrb"],
  ["vextuhlx", 1613, "rt,ra,vrb"],
  ["vextuwlx", 1677, "rt,ra,vrb"],
  ["vextubrx", 1805, "rt,ra,vrb"],
  ["vextuhrx", 1869, "rt,ra,vrb"],
  ["vextuwrx", 1933, "rt,ra,vrb"],
  ["vinsblx", 527, "vrt,ra,rb"],
  ["vinshlx", 591, "vrt,ra,rb"],
  ["vinswlx", 655, "vrt,ra,rb"],
  ["vinsdlx", 719, "vrt,ra,rb"],
  ["vinsbrx", 783, "vrt,ra,rb"],
  ["vinshrx", 847, "vrt,ra,rb"],
  ["vinswrx", 911, "vrt,ra,rb"],
  ["vinsdrx", 975, "vrt,ra,rb"],
  ["vinsbvlx", 15, "vrt,ra,vrb"],
  ["vinshvlx", 79, "vrt,ra,vrb"],
  ["vinswvlx", 143, "vrt,ra,vrb"],
  ["vinsbvrx", 271, "vrt,ra,vrb"],
  ["vinshvrx", 335, "vrt,ra,vrb"],
  ["vinswvrx", 399, "vrt,ra,vrb"],
  ["vinsw", 207, "vrt,rb,uim4"],
  ["vinsd", 463, "vrt,rb,uim4"],
  ["vclrlb", 397, "vrt,vra,rb"],
  ["vclrrb", 461, "vrt,vra,rb"],
];

/** [mnemonic, XO] of the VA-form element extracts VRT ← f(VRA, VRB, RC) (v3.1). */
const EXTRACT_DOUBLE: readonly (readonly [string, number])[] = [
  ["vextdubvlx", 24],
  ["vextdubvrx", 25],
  ["vextduhvlx", 26],
  ["vextduhvrx", 27],
  ["vextduwvlx", 28],
  ["vextduwvrx", 29],
  ["vextddvlx", 30],
  ["vextddvrx", 31],
];

export function vectorPermuteRows(): readonly Row[] {
  return [
    ...VX3.map(([m, xo]) => vx(m, xo)),
    ...UNPACK.map(([m, xo]) => vx(m, xo, "vrt,vrb")),
    ...EXTRACT_INSERT.map(([m, xo]) => vx(m, xo, "vrt,vrb,uim4")),
    ...INDEXED.map(([m, xo, ops]) => vx(m, xo, ops)),
    ...EXTRACT_DOUBLE.map(([m, xo]) => va(m, xo, "vrt,vra,vrb,rc")),
    vx("vspltisb", 780, "vrt,sim"),
    vx("vspltish", 844, "vrt,sim"),
    vx("vspltisw", 908, "vrt,sim"),
    vx("vspltb", 524, "vrt,vrb,uim4"),
    vx("vsplth", 588, "vrt,vrb,uim3"),
    vx("vspltw", 652, "vrt,vrb,uim2"),
    va("vperm", 43),
    va("vpermr", 59),
    va("vpermxor", 45),
    va("vsel", 42),
    va("vsldoi", 44, "vrt,vra,vrb,shb"),
    // VN-form shift double by bit immediate (v3.1): bits 21–22 select the direction, SH is 23–25.
    row("vsldbi", "VN", { po: 4, xo6: 22, vn: 0 }, "vrt,vra,vrb,sh3"),
    row("vsrdbi", "VN", { po: 4, xo6: 22, vn: 1 }, "vrt,vra,vrb,sh3"),
  ];
}

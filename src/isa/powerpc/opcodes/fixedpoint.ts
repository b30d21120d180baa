/**
 * Fixed-point facility (Power ISA v3.1 Book I chapter 3): arithmetic, compare,
 * trap, logical, rotate/shift, count/extend and the ISA 3.0/3.1 bit-manipulation
 * additions, with the simplified mnemonics of Appendix C that objdump prints.
 */
import {
  dform,
  type Fix,
  type Row,
  rel,
  row,
  same,
  simplified,
  withDot,
  x,
  xo,
  xrc,
} from "./row.ts";

/** Both the plain and record rows of a base get the same simplification. */
function simplifiedRc(
  mnemonic: string,
  bases: readonly Row[],
  fix: Fix,
  operands: string,
  relations: Parameters<typeof simplified>[4] = [],
): Row[] {
  return bases.map((b) =>
    simplified(b.mnemonic.endsWith(".") ? `${mnemonic}.` : mnemonic, b, fix, operands, relations),
  );
}

const field = (w: number, first: number, last: number): number =>
  (w >>> (31 - last)) & ((1 << (last - first + 1)) - 1);
const sh5 = (w: number): number => field(w, 16, 20);
const mb5 = (w: number): number => field(w, 21, 25);
const me5 = (w: number): number => field(w, 26, 30);
const sh6 = (w: number): number => field(w, 16, 20) | (field(w, 30, 30) << 5);
const mb6 = (w: number): number => field(w, 21, 25) | (field(w, 26, 26) << 5);

function arithmetic(): Row[] {
  const addi = dform("addi", 14, "rt,ra0,si");
  const addis = dform("addis", 15, "rt,ra0,si");
  const ori = dform("ori", 24, "ra,rs,ui");
  const xori = dform("xori", 26, "ra,rs,ui");
  return [
    simplified("li", addi, { ra: 0 }, "rt,si"),
    addi,
    simplified("lis", addis, { ra: 0 }, "rt,si"),
    addis,
    dform("addic", 12, "rt,ra,si"),
    dform("addic.", 13, "rt,ra,si"),
    dform("subfic", 8, "rt,ra,si"),
    dform("mulli", 7, "rt,ra,si"),
    simplified("nop", ori, { rs: 0, ra: 0, ui: 0 }, ""),
    ori,
    dform("oris", 25, "ra,rs,ui"),
    simplified("xnop", xori, { rs: 0, ra: 0, ui: 0 }, ""),
    xori,
    dform("xoris", 27, "ra,rs,ui"),
    dform("andi.", 28, "ra,rs,ui"),
    dform("andis.", 29, "ra,rs,ui"),
    ...xo("add", 266, "rt,ra,rb"),
    ...xo("addc", 10, "rt,ra,rb"),
    ...xo("adde", 138, "rt,ra,rb"),
    ...xo("addme", 234, "rt,ra"),
    ...xo("addze", 202, "rt,ra"),
    ...xo("subf", 40, "rt,ra,rb"),
    ...xo("subfc", 8, "rt,ra,rb"),
    ...xo("subfe", 136, "rt,ra,rb"),
    ...xo("subfme", 232, "rt,ra"),
    ...xo("subfze", 200, "rt,ra"),
    ...xo("neg", 104, "rt,ra"),
    ...xo("mulld", 233, "rt,ra,rb"),
    ...xo("mullw", 235, "rt,ra,rb"),
    ...xo("mulhd", 73, "rt,ra,rb", { oe: false }),
    ...xo("mulhdu", 9, "rt,ra,rb", { oe: false }),
    ...xo("mulhw", 75, "rt,ra,rb", { oe: false }),
    ...xo("mulhwu", 11, "rt,ra,rb", { oe: false }),
    ...xo("divd", 489, "rt,ra,rb"),
    ...xo("divdu", 457, "rt,ra,rb"),
    ...xo("divw", 491, "rt,ra,rb"),
    ...xo("divwu", 459, "rt,ra,rb"),
    ...xo("divde", 425, "rt,ra,rb"),
    ...xo("divdeu", 393, "rt,ra,rb"),
    ...xo("divwe", 427, "rt,ra,rb"),
    ...xo("divweu", 395, "rt,ra,rb"),
    x("modsd", 31, 777, "rt,ra,rb"),
    x("modud", 31, 265, "rt,ra,rb"),
    x("modsw", 31, 779, "rt,ra,rb"),
    x("moduw", 31, 267, "rt,ra,rb"),
    // VA-form multiply-add (ISA 3.0): PO 4, XO in bits 26–31.
    row("maddhd", "VA", { po: 4, me: 24, rc: 0 }, "rt,ra,rb,rc"),
    row("maddhdu", "VA", { po: 4, me: 24, rc: 1 }, "rt,ra,rb,rc"),
    row("maddld", "VA", { po: 4, me: 25, rc: 1 }, "rt,ra,rb,rc"),
    // Z23-form addex: CY in bits 21–22, XO 170 in bits 23–30.
    row("addex", "Z23", { po: 31, xo10: 170, rc: 0 }, "rt,ra,rb,cy"),
    ...addpcis(),
  ];
}

function addpcis(): Row[] {
  const base = row("addpcis", "DX", { po: 19, xo5: 2 }, "rt,dx");
  return [simplified("lnia", base, { ra: 0, d0: 0, rc: 0 }, "rt"), base];
}

function compares(): Row[] {
  // objdump leaves the reserved bit 9 of the D-form compares unchecked.
  const cmpi = row("cmpi", "D", { po: 11 }, "bf,l10,ra,si", { ignore: 0x400000 });
  const cmpli = row("cmpli", "D", { po: 10 }, "bf,l10,ra,ui", { ignore: 0x400000 });
  const cmp = x("cmp", 31, 0, "bf,l10,ra,rb");
  const cmpl = x("cmpl", 31, 32, "bf,l10,ra,rb");
  return [
    simplified("cmpwi", cmpi, { l10: 0 }, "bf_opt,ra,si"),
    simplified("cmpdi", cmpi, { l10: 1 }, "bf_opt,ra,si"),
    cmpi,
    simplified("cmplwi", cmpli, { l10: 0 }, "bf_opt,ra,ui"),
    simplified("cmpldi", cmpli, { l10: 1 }, "bf_opt,ra,ui"),
    cmpli,
    simplified("cmpw", cmp, { l10: 0 }, "bf_opt,ra,rb"),
    simplified("cmpd", cmp, { l10: 1 }, "bf_opt,ra,rb"),
    cmp,
    simplified("cmplw", cmpl, { l10: 0 }, "bf_opt,ra,rb"),
    simplified("cmpld", cmpl, { l10: 1 }, "bf_opt,ra,rb"),
    cmpl,
    x("cmprb", 31, 192, "bf,l10,ra,rb"),
    x("cmpeqb", 31, 224, "bf,ra,rb"),
    x("cmpb", 31, 508, "ra,rs,rb"),
  ];
}

/** TO values with a trap condition name (ISA v3.1 Appendix C.6). */
const TRAP_CONDITIONS: readonly (readonly [number, string])[] = [
  [1, "lgt"],
  [2, "llt"],
  [4, "eq"],
  [5, "lge"],
  [6, "lle"],
  [8, "gt"],
  [12, "ge"],
  [16, "lt"],
  [20, "le"],
  [24, "ne"],
  [31, "u"],
];

function traps(): Row[] {
  const tw = x("tw", 31, 4, "to,ra,rb");
  const td = x("td", 31, 68, "to,ra,rb");
  const twi = dform("twi", 3, "to,ra,si");
  const tdi = dform("tdi", 2, "to,ra,si");
  const out: Row[] = [simplified("trap", tw, { to: 31, ra: 0, rb: 0 }, "")];
  for (const [to, c] of TRAP_CONDITIONS) {
    out.push(simplified(`tw${c}`, tw, { to }, "ra,rb"));
    out.push(simplified(`td${c}`, td, { to }, "ra,rb"));
    out.push(simplified(`tw${c}i`, twi, { to }, "ra,si"));
    out.push(simplified(`td${c}i`, tdi, { to }, "ra,si"));
  }
  out.push(tw, td, twi, tdi);
  return out;
}

function logical(): Row[] {
  const or = xrc("or", 31, 444, "ra,rs,rb");
  const nor = xrc("nor", 31, 124, "ra,rs,rb");
  const rb_is_rs = [same("rb", "rs")];
  return [
    ...xrc("and", 31, 28, "ra,rs,rb"),
    ...xrc("andc", 31, 60, "ra,rs,rb"),
    // Priority hints and no-ops written as `or rx,rx,rx` (ISA v3.1 Book II §3.2, §4.3).
    ...(
      [
        [26, "miso"],
        [27, "yield"],
        [29, "mdoio"],
        [30, "mdoom"],
      ] as const
    ).map(([r, m]) => simplified(m, or[0]!, { rs: r, ra: r, rb: r }, "")),
    ...simplifiedRc("mr", or, {}, "ra,rs", rb_is_rs),
    ...or,
    ...xrc("orc", 31, 412, "ra,rs,rb"),
    ...xrc("xor", 31, 316, "ra,rs,rb"),
    ...xrc("nand", 31, 476, "ra,rs,rb"),
    ...simplifiedRc("not", nor, {}, "ra,rs", rb_is_rs),
    ...nor,
    ...xrc("eqv", 31, 284, "ra,rs,rb"),
    ...xrc("extsb", 31, 954, "ra,rs"),
    ...xrc("extsh", 31, 922, "ra,rs"),
    ...xrc("extsw", 31, 986, "ra,rs"),
    ...xrc("cntlzw", 31, 26, "ra,rs"),
    ...xrc("cntlzd", 31, 58, "ra,rs"),
    ...xrc("cnttzw", 31, 538, "ra,rs"),
    ...xrc("cnttzd", 31, 570, "ra,rs"),
    x("popcntb", 31, 122, "ra,rs"),
    x("popcntw", 31, 378, "ra,rs"),
    x("popcntd", 31, 506, "ra,rs"),
    x("prtyw", 31, 154, "ra,rs"),
    x("prtyd", 31, 186, "ra,rs"),
    x("bpermd", 31, 252, "ra,rs,rb"),
    x("cfuged", 31, 220, "ra,rs,rb"),
    x("pdepd", 31, 156, "ra,rs,rb"),
    x("pextd", 31, 188, "ra,rs,rb"),
    x("cntlzdm", 31, 59, "ra,rs,rb"),
    x("cnttzdm", 31, 571, "ra,rs,rb"),
    x("brh", 31, 219, "ra,rs"),
    x("brw", 31, 155, "ra,rs"),
    x("brd", 31, 187, "ra,rs"),
    x("setb", 31, 128, "rt,bfa"),
    x("setbc", 31, 384, "rt,bi"),
    x("setbcr", 31, 416, "rt,bi"),
    x("setnbc", 31, 448, "rt,bi"),
    x("setnbcr", 31, 480, "rt,bi"),
    x("mcrxrx", 31, 576, "bf"),
  ];
}

function shifts(): Row[] {
  const rlwinm = withDot(row("rlwinm", "M", { po: 21 }, "ra,rs,sh,mb,me"));
  const rlwnm = withDot(row("rlwnm", "M", { po: 23 }, "ra,rs,rb,mb,me"));
  const rldicl = withDot(row("rldicl", "MD", { po: 30 }, "ra,rs,sh6,mb6"));
  const rldicr = withDot(row("rldicr", "MD", { po: 30 }, "ra,rs,sh6,me6"));
  const rldcl = withDot(row("rldcl", "MDS", { po: 30 }, "ra,rs,rb,mb6"));
  const rldcr = withDot(row("rldcr", "MDS", { po: 30 }, "ra,rs,rb,me6"));
  // MD-form XO (bits 27–29) and MDS-form XO (bits 27–30).
  const md = (rs: Row[], xo3: number): Row[] =>
    rs.map((r) => ({
      ...r,
      opcode: ((r.opcode & ~0x1c) | (xo3 << 2)) >>> 0,
      mask: (r.mask | 0x1c) >>> 0,
    }));
  const mds = (rs: Row[], xo4: number): Row[] =>
    rs.map((r) => ({
      ...r,
      opcode: ((r.opcode & ~0x1e) | (xo4 << 1)) >>> 0,
      mask: (r.mask | 0x1e) >>> 0,
    }));
  const [dicl, dicr, dic, dimi] = [
    md(rldicl, 0),
    md(rldicr, 1),
    md(withDot(row("rldic", "MD", { po: 30 }, "ra,rs,sh6,mb6")), 2),
    md(withDot(row("rldimi", "MD", { po: 30 }, "ra,rs,sh6,mb6")), 3),
  ] as [Row[], Row[], Row[], Row[]];
  const [dcl, dcr] = [mds(rldcl, 8), mds(rldcr, 9)] as [Row[], Row[]];
  const sradi = withDot(row("sradi", "XS", { po: 31 }, "ra,rs,sh6"));
  const extswsli = withDot(row("extswsli", "XS", { po: 31 }, "ra,rs,sh6"));
  const xs = (rs: Row[], xo9: number): Row[] =>
    rs.map((r) => ({
      ...r,
      opcode: ((r.opcode & ~0x7fc) | (xo9 << 2)) >>> 0,
      mask: (r.mask | 0x7fc) >>> 0,
    }));
  return [
    ...simplifiedRc("rotlwi", rlwinm, { mb: 0, me: 31 }, "ra,rs,sh"),
    ...simplifiedRc("clrrwi", rlwinm, { sh: 0, mb: 0 }, "ra,rs,me_clr"),
    ...simplifiedRc("clrlwi", rlwinm, { sh: 0, me: 31 }, "ra,rs,mb"),
    ...simplifiedRc("slwi", rlwinm, { mb: 0 }, "ra,rs,sh", [rel(5, (w) => me5(w) === 31 - sh5(w))]),
    ...simplifiedRc("srwi", rlwinm, { me: 31 }, "ra,rs,mb", [
      rel(5, (w) => sh5(w) !== 0 && mb5(w) === 32 - sh5(w)),
    ]),
    ...rlwinm,
    ...simplifiedRc("rotlw", rlwnm, { mb: 0, me: 31 }, "ra,rs,rb"),
    ...rlwnm,
    ...withDot(row("rlwimi", "M", { po: 20 }, "ra,rs,sh,mb,me")),
    ...simplifiedRc("rotldi", dicl, { mb: 0, mb_hi: 0 }, "ra,rs,sh6"),
    ...simplifiedRc("clrldi", dicl, { sh: 0, sh_hi: 0 }, "ra,rs,mb6"),
    ...simplifiedRc("srdi", dicl, {}, "ra,rs,mb6", [
      rel(6, (w) => sh6(w) !== 0 && mb6(w) === 64 - sh6(w)),
    ]),
    ...dicl,
    ...simplifiedRc("clrrdi", dicr, { sh: 0, sh_hi: 0 }, "ra,rs,me6_clr"),
    ...simplifiedRc("sldi", dicr, {}, "ra,rs,sh6", [rel(6, (w) => mb6(w) === 63 - sh6(w))]),
    ...dicr,
    ...dic,
    ...dimi,
    ...simplifiedRc("rotld", dcl, { mb: 0, mb_hi: 0 }, "ra,rs,rb"),
    ...dcl,
    ...dcr,
    ...xrc("slw", 31, 24, "ra,rs,rb"),
    ...xrc("srw", 31, 536, "ra,rs,rb"),
    ...xrc("sraw", 31, 792, "ra,rs,rb"),
    ...xrc("srawi", 31, 824, "ra,rs,sh"),
    ...xrc("sld", 31, 27, "ra,rs,rb"),
    ...xrc("srd", 31, 539, "ra,rs,rb"),
    ...xrc("srad", 31, 794, "ra,rs,rb"),
    ...xs(sradi, 413),
    ...xs(extswsli, 445),
  ];
}

function isel(): Row[] {
  // A-form: BC in bits 21–25, XO 15 in bits 26–30.
  // objdump checks the reserved bit 31 only for the simplified names.
  const base = row("isel", "A", { po: 31, me: 15 }, "rt,ra0,rb,bc", { ignore: 1 });
  return [
    simplified("isellt", base, { mb: 0, rc: 0 }, "rt,ra0,rb"),
    simplified("iselgt", base, { mb: 1, rc: 0 }, "rt,ra0,rb"),
    simplified("iseleq", base, { mb: 2, rc: 0 }, "rt,ra0,rb"),
    base,
  ];
}

export function fixedPointRows(): readonly Row[] {
  return [...arithmetic(), ...compares(), ...traps(), ...logical(), ...shifts(), ...isel()];
}

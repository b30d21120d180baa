/**
 * Branch facility (Power ISA v3.1 Book I §2.4): I-form `b`, B-form `bc` and the
 * XL-form branches to LR, CTR and TAR, with the BO/BI simplified mnemonics of
 * Appendix C.2 and the `+`/`-` static prediction suffixes (BO "at" bits 0b11 /
 * 0b10). BO values with non-zero "z" bits, or "at" = 0b01 where it is
 * reserved, are not valid and print as `.long`.
 */
import { type Fix, type Row, row, simplified } from "./row.ts";

/** Condition names for CR[BI] = 1 (BO = 011at) and = 0 (BO = 001at), by BI mod 4. */
const IF_TRUE = ["lt", "gt", "eq", "so"] as const;
const IF_FALSE = ["ge", "le", "ne", "ns"] as const;

const HINTS: readonly (readonly [string, number])[] = [
  ["-", 0b10],
  ["+", 0b11],
];

function iForm(): Row[] {
  return [
    row("b", "I", { po: 18, aa: 0, lk: 0 }, "li"),
    row("bl", "I", { po: 18, aa: 0, lk: 1 }, "li", { sem: "b" }),
    row("ba", "I", { po: 18, aa: 1, lk: 0 }, "li_abs", { sem: "b" }),
    row("bla", "I", { po: 18, aa: 1, lk: 1 }, "li_abs", { sem: "b" }),
  ];
}

/** B-form `bc` for one AA/LK combination. */
function bForm(aa: 0 | 1, lk: 0 | 1): Row[] {
  const sfx = (lk ? "l" : "") + (aa ? "a" : "");
  const target = aa ? "bd_abs" : "bd";
  const base = row(`bc${sfx}`, "B", { po: 16, aa, lk }, `bo,bi,${target}`, { sem: "bc" });
  const s = (m: string, fix: Fix, ops: string): Row => simplified(m, base, fix, ops);
  const out: Row[] = [];
  // CTR-only: BO = 1a00t / 1a01t, BI must be 0 for the simplified name; objdump
  // prints at = 0b01 without a hint here.
  for (const [name, bo] of [
    ["bdnz", 16],
    ["bdz", 18],
  ] as const) {
    out.push(s(`${name}${sfx}`, { bo4: bo >> 1, bi: 0 }, target));
    for (const [h, at] of HINTS)
      out.push(s(`${name}${sfx}${h}`, { bo: bo | ((at >> 1) << 3) | (at & 1), bi: 0 }, target));
  }
  // CTR and condition: BO = 0000z, 0001z, 0100z, 0101z (z ignored).
  for (const [name, bo4] of [
    ["bdnzf", 0],
    ["bdzf", 1],
    ["bdnzt", 4],
    ["bdzt", 5],
  ] as const)
    out.push(s(`${name}${sfx}`, { bo4 }, `bi,${target}`));
  // Condition only: BO = 001at (false) / 011at (true).
  for (let bit = 0; bit < 4; bit++) {
    for (const [names, bo] of [
      [IF_FALSE, 4],
      [IF_TRUE, 12],
    ] as const) {
      const c = names[bit]!;
      out.push(s(`b${c}${sfx}`, { bo4: bo >> 1, bi_bit: bit }, `bi_cr,${target}`));
      for (const [h, at] of HINTS)
        out.push(s(`b${c}${sfx}${h}`, { bo: (bo & ~3) | at, bi_bit: bit }, `bi_cr,${target}`));
    }
  }
  // The base form for the remaining valid BO values.
  for (const bo of [16, 18, 20]) out.push(s(`bc${sfx}`, { bo }, `bo,bi,${target}`));
  for (const bo of [24, 26]) out.push(s(`bc${sfx}-`, { bo }, `bo,bi,${target}`));
  for (const bo of [25, 27]) out.push(s(`bc${sfx}+`, { bo }, `bo,bi,${target}`));
  out.push(invalidBase(base));
  return out;
}

/** The base row kept for encoding and `sem`; it never matches (every valid BO has a row above). */
function invalidBase(base: Row): Row {
  return { ...base, rejects: [...base.rejects, () => true] };
}

/** XL-form branch to LR (`lr`, XO 16), CTR (`ctr`, XO 528) or TAR (`tar`, XO 560). */
function xlForm(to: "lr" | "ctr" | "tar", xo: number, lk: 0 | 1): Row[] {
  const sem = { lr: "bclr", ctr: "bcctr", tar: "bctar" }[to];
  const l = lk ? "l" : "";
  const base = row(`${sem}${l}`, "XL", { po: 19, xo10: xo, lk }, "bo,bi,bh", { sem });
  const s = (m: string, fix: Fix, ops: string): Row => simplified(m, base, fix, ops);
  const out: Row[] = [];
  if (to !== "ctr") {
    // Decrementing CTR is invalid for bcctr (ISA §2.4): no bdnzctr.
    for (const [name, bo] of [
      ["bdnz", 16],
      ["bdz", 18],
    ] as const) {
      out.push(s(`${name}${to}${l}`, { bo, bi: 0 }, "bh"));
      for (const [h, at] of HINTS)
        out.push(s(`${name}${to}${l}${h}`, { bo: bo | ((at >> 1) << 3) | (at & 1), bi: 0 }, "bh"));
    }
    for (const [name, bo] of [
      ["bdnzf", 0],
      ["bdzf", 2],
      ["bdnzt", 8],
      ["bdzt", 10],
    ] as const)
      out.push(s(`${name}${to}${l}`, { bo }, "bi,bh"));
  }
  for (let bit = 0; bit < 4; bit++) {
    for (const [names, bo] of [
      [IF_FALSE, 4],
      [IF_TRUE, 12],
    ] as const) {
      const c = names[bit]!;
      out.push(s(`b${c}${to}${l}`, { bo, bi_bit: bit }, "bi_cr,bh"));
      for (const [h, at] of HINTS)
        out.push(s(`b${c}${to}${l}${h}`, { bo: (bo & ~3) | at, bi_bit: bit }, "bi_cr,bh"));
    }
  }
  out.push(s(`b${to}${l}`, { bo: 20, bi: 0 }, "bh"));
  const plain = to === "ctr" ? [0, 2, 8, 10, 16, 18, 20] : [16, 18, 20];
  for (const bo of plain) out.push(s(`${sem}${l}`, { bo }, "bo,bi,bh"));
  for (const bo of [24, 26]) out.push(s(`${sem}${l}-`, { bo }, "bo,bi,bh"));
  for (const bo of [25, 27]) out.push(s(`${sem}${l}+`, { bo }, "bo,bi,bh"));
  out.push(invalidBase(base));
  return out;
}

export function branchRows(): readonly Row[] {
  return [
    ...iForm(),
    ...bForm(0, 0),
    ...bForm(0, 1),
    ...bForm(1, 0),
    ...bForm(1, 1),
    ...(["lr", "ctr", "tar"] as const).flatMap((to) => {
      const xo = { lr: 16, ctr: 528, tar: 560 }[to];
      return [...xlForm(to, xo, 0), ...xlForm(to, xo, 1)];
    }),
  ];
}

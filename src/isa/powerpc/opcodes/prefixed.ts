/**
 * Prefixed instructions (Power ISA v3.1 Book I §1.6.3): an 8-byte pair whose
 * prefix (primary opcode 1) carries the type (bits 6–7: 00 8LS, 01 8RR, 10 MLS,
 * 11 MRR), the R bit (11, PC-relative) and the high 18 bits of a 34-bit
 * displacement or immediate. With R = 1 the RA field must be 0 and objdump
 * prints the target as a `# address` comment instead of `(RA)`.
 */
import { type Fix, prefixed, type Row } from "./row.ts";

const PO1 = 1 << 26;
const TYPE_8LS = 0 << 24;
const TYPE_8RR = 1 << 24;
const TYPE_MLS = 2 << 24;
const TYPE_MRR = 3 << 24;
const R = 1 << 20;

/** A D-form load/store behind an MLS or 8LS prefix: the (RA) row and the PC-relative row. */
function loadStore(m: string, type: number, suffix: Fix, reg: string): Row[] {
  return [
    prefixed(m, type === TYPE_MLS ? "MLS" : "8LS", PO1 | type, suffix, `${reg},d34,ra0`),
    prefixed(
      m,
      type === TYPE_MLS ? "MLS" : "8LS",
      PO1 | type | R,
      { ...suffix, ra: 0 },
      `${reg},d34r`,
      {
        pcrel: true,
      },
    ),
  ];
}

/** MLS-prefixed D-form loads and stores: the suffix is the 4-byte instruction's word. */
const MLS_LOAD_STORE: readonly (readonly [string, number, string])[] = [
  ["plwz", 32, "rt"],
  ["plbz", 34, "rt"],
  ["pstw", 36, "rs"],
  ["pstb", 38, "rs"],
  ["plhz", 40, "rt"],
  ["plha", 42, "rt"],
  ["psth", 44, "rs"],
  ["plfs", 48, "frt"],
  ["plfd", 50, "frt"],
  ["pstfs", 52, "frs"],
  ["pstfd", 54, "frs"],
];

/** 8LS-prefixed loads and stores with their own suffix primary opcodes. */
const LS8_LOAD_STORE: readonly (readonly [string, number, string])[] = [
  ["plwa", 41, "rt"],
  ["plxsd", 42, "vrt"],
  ["plxssp", 43, "vrt"],
  ["pstxsd", 46, "vrs"],
  ["pstxssp", 47, "vrs"],
  ["plq", 56, "rtp_plq"],
  ["pld", 57, "rt"],
  ["pstq", 60, "rsp_p"],
  ["pstd", 61, "rs"],
  ["plxvp", 58, "xtp"],
  ["pstxvp", 62, "xsp"],
];

function paddi(): Row[] {
  const mls = PO1 | TYPE_MLS;
  return [
    prefixed("pli", "MLS", mls, { po: 14, ra: 0 }, "rt,si34", { sem: "paddi" }),
    prefixed("pla", "MLS", mls | R, { po: 14, ra: 0 }, "rt,d34r", { sem: "paddi", pcrel: true }),
    prefixed("paddi", "MLS", mls, { po: 14 }, "rt,ra,si34"),
  ];
}

/** plxv/pstxv: the suffix's primary opcode holds TX in its low bit (bit 5). */
function vsxVector(): Row[] {
  return [
    ...loadStore("plxv", TYPE_8LS, { po: 50 }, "xt_p"),
    ...loadStore("pstxv", TYPE_8LS, { po: 54 }, "xs_p"),
  ];
}

/** 8RR splat-immediate forms (suffix PO 32). */
function splatImmediate(): Row[] {
  const rr = PO1 | TYPE_8RR;
  // Bits 11–14 of the suffix select the operation; TX is bit 15.
  const op = (bits: number): Fix => ({ po: 32, ra: bits << 1 });
  return [
    prefixed("xxspltiw", "8RR", rr, op(0b0011), "xt_rr,imm32", { ignore: 0 }),
    prefixed("xxspltidp", "8RR", rr, op(0b0010), "xt_rr,imm32"),
    prefixed("xxsplti32dx", "8RR", rr, { po: 32, ra: 0 }, "xt_rr,ix,imm32"),
  ];
}

export function prefixedRows(): readonly Row[] {
  return [
    ...paddi(),
    ...MLS_LOAD_STORE.flatMap(([m, po, reg]) => loadStore(m, TYPE_MLS, { po }, reg)),
    ...LS8_LOAD_STORE.flatMap(([m, po, reg]) => loadStore(m, TYPE_8LS, { po }, reg)),
    ...vsxVector(),
    ...splatImmediate(),
    prefixed("pnop", "MRR", PO1 | TYPE_MRR, {}, "", { ignore: 0xffffffff, sem: "pnop" }),
  ];
}

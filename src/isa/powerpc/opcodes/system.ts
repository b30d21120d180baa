/**
 * Condition-register logic (Book I §2.5), special-purpose register moves,
 * system call and return, storage synchronisation and cache management (Book II
 * chapter 4), and the Book III MSR, TLB and SLB instructions.
 */
import { type Row, row, same, simplified, x } from "./row.ts";

function crLogic(): Row[] {
  const xl = (m: string, xo: number): Row => row(m, "XL", { po: 19, xo10: xo, rc: 0 }, "bt,ba,bb");
  const creqv = xl("creqv", 289);
  const crxor = xl("crxor", 193);
  const cror = xl("cror", 449);
  const crnor = xl("crnor", 33);
  return [
    simplified("crset", creqv, {}, "bt", [same("ba", "bt"), same("bb", "bt")]),
    creqv,
    simplified("crclr", crxor, {}, "bt", [same("ba", "bt"), same("bb", "bt")]),
    crxor,
    simplified("crmove", cror, {}, "bt,ba", [same("bb", "ba")]),
    cror,
    simplified("crnot", crnor, {}, "bt,ba", [same("bb", "ba")]),
    crnor,
    xl("crand", 257),
    xl("crandc", 129),
    xl("crnand", 225),
    xl("crorc", 417),
    row("mcrf", "XL", { po: 19, xo10: 0, rc: 0 }, "bf,bfa"),
  ];
}

/**
 * SPR numbers objdump prints with a named `mf<name>`/`mt<name>` mnemonic
 * (Power ISA v3.1 Book III §5.4.4 and the implementation SPRs of POWER8–10).
 * "mf"/"mt" says which direction has the name.
 */
const NAMED_SPRS: readonly (readonly [number, string, "both" | "mf" | "mt"])[] = [
  [1, "xer", "both"],
  [3, "udscr", "both"],
  [4, "rtcu", "mf"],
  [5, "rtcl", "mf"],
  [8, "lr", "both"],
  [9, "ctr", "both"],
  [13, "uamr", "both"],
  [17, "dscr", "both"],
  [18, "dsisr", "both"],
  [19, "dar", "both"],
  [20, "rtcu", "mt"],
  [21, "rtcl", "mt"],
  [22, "dec", "both"],
  [25, "sdr1", "both"],
  [26, "srr0", "both"],
  [27, "srr1", "both"],
  [28, "cfar", "both"],
  [29, "amr", "both"],
  [48, "pidr", "both"],
  [61, "iamr", "both"],
  [128, "tfhar", "mt"],
  [129, "tfiar", "mt"],
  [130, "texasr", "mt"],
  [131, "texasru", "mt"],
  [136, "ctrl", "mf"],
  [152, "ctrl", "mt"],
  [153, "fscr", "both"],
  [157, "uamor", "both"],
  [159, "pspb", "both"],
  [176, "dpdes", "both"],
  [180, "dawr0", "both"],
  [181, "dawr1", "both"],
  [186, "rpr", "both"],
  [187, "ciabr", "both"],
  [188, "dawrx0", "both"],
  [189, "dawrx1", "both"],
  [190, "hfscr", "both"],
  [256, "vrsave", "both"],
  [259, "usprg3", "mf"],
  [268, "tb", "mf"],
  [269, "tbu", "mf"],
  [280, "asr", "both"],
  [282, "ear", "both"],
  [284, "tbl", "mt"],
  [285, "tbu", "mt"],
  [286, "tbu40", "mt"],
  [287, "pvr", "mf"],
  [304, "hsprg0", "both"],
  [305, "hsprg1", "both"],
  [306, "hdisr", "both"],
  [307, "hdar", "both"],
  [308, "spurr", "both"],
  [309, "purr", "both"],
  [310, "hdec", "both"],
  [313, "hrmor", "both"],
  [314, "hsrr0", "both"],
  [315, "hsrr1", "both"],
  [318, "lpcr", "both"],
  [319, "lpidr", "both"],
  [336, "hmer", "both"],
  [337, "hmeer", "both"],
  [338, "pcr", "both"],
  [339, "heir", "both"],
  [349, "amor", "both"],
  [446, "tir", "mf"],
  [464, "ptcr", "both"],
  [496, "usprg0", "both"],
  [497, "usprg1", "both"],
  [505, "urmor", "both"],
  [506, "usrr0", "both"],
  [507, "usrr1", "both"],
  [511, "smfctrl", "both"],
  [736, "usier2", "mf"],
  [737, "usier3", "mf"],
  [738, "ummcr3", "mf"],
  [752, "sier2", "mt"],
  [753, "sier3", "mt"],
  [754, "mmcr3", "mt"],
  [768, "usier", "mf"],
  [769, "ummcr2", "both"],
  [770, "ummcra", "both"],
  [771, "upmc1", "both"],
  [772, "upmc2", "both"],
  [773, "upmc3", "both"],
  [774, "upmc4", "both"],
  [775, "upmc5", "both"],
  [776, "upmc6", "both"],
  [779, "ummcr0", "both"],
  [780, "usiar", "mf"],
  [781, "usdar", "mf"],
  [782, "ummcr1", "mf"],
  [784, "sier", "mt"],
  [786, "mmcra", "mt"],
  [787, "pmc1", "mt"],
  [788, "pmc2", "mt"],
  [789, "pmc3", "mt"],
  [790, "pmc4", "mt"],
  [791, "pmc5", "mt"],
  [792, "pmc6", "mt"],
  [795, "mmcr0", "mt"],
  [796, "siar", "mt"],
  [797, "sdar", "mt"],
  [798, "mmcr1", "mt"],
  [800, "bescrs", "both"],
  [801, "bescrsu", "both"],
  [802, "bescrr", "both"],
  [803, "bescrru", "both"],
  [804, "ebbhr", "both"],
  [805, "ebbrr", "both"],
  [806, "bescr", "both"],
  [815, "tar", "both"],
  [816, "asdr", "both"],
  [823, "psscr", "both"],
  [848, "ic", "both"],
  [849, "vtb", "both"],
  [855, "hpsscr", "both"],
  [896, "ppr", "both"],
  [898, "ppr32", "both"],
  [1023, "pir", "mf"],
];

/** SPRs named with an index operand: SPRG0–3 and the (obsolete) BATs. */
const INDEXED_SPRS: readonly (readonly [number, string])[] = [
  [272, "sprg"],
  [273, "sprg"],
  [274, "sprg"],
  [275, "sprg"],
  [528, "ibatu"],
  [529, "ibatl"],
  [530, "ibatu"],
  [531, "ibatl"],
  [532, "ibatu"],
  [533, "ibatl"],
  [534, "ibatu"],
  [535, "ibatl"],
  [536, "dbatu"],
  [537, "dbatl"],
  [538, "dbatu"],
  [539, "dbatl"],
  [540, "dbatu"],
  [541, "dbatl"],
  [542, "dbatu"],
  [543, "dbatl"],
];

/** The spr field with its two 5-bit halves in instruction order (bits 11–15 = spr[5:9]). */
function sprFix(spr: number): { ra: number; rb: number } {
  return { ra: spr & 31, rb: spr >> 5 };
}

function sprMoves(): Row[] {
  const mfspr = x("mfspr", 31, 339, "rt,spr");
  const mtspr = x("mtspr", 31, 467, "spr,rs");
  const out: Row[] = [];
  for (const [n, name, dir] of NAMED_SPRS) {
    if (dir !== "mt") out.push(simplified(`mf${name}`, mfspr, sprFix(n), "rt"));
    if (dir !== "mf") out.push(simplified(`mt${name}`, mtspr, sprFix(n), "rs"));
  }
  for (const [n, name] of INDEXED_SPRS) {
    const op = name === "sprg" ? "idx_sprg" : "idx_bat";
    out.push(simplified(`mf${name}`, mfspr, { rb: n >> 5 }, `rt,${op}`, [idxIs(n)]));
    out.push(simplified(`mt${name}`, mtspr, { rb: n >> 5 }, `${op},rs`, [idxIs(n)]));
  }
  out.push(mfspr, mtspr);
  // mfcr / mfocrf (bit 11 selects one field) and mtcrf / mtocrf.
  out.push(row("mfcr", "XFX", { po: 31, xo10: 19, rc: 0 }, "rt"));
  out.push(row("mfocrf", "XFX", { po: 31, xo10: 19, rc: 0, ra: 0b10000 }, "rt,fxm1"));
  const mtcrf = row("mtcrf", "XFX", { po: 31, xo10: 144, rc: 0, ra: 0 }, "fxm,rs", {
    ignore: 0x000f0000,
  });
  out.push(
    simplified("mtcr", mtcrf, { ra: 0b01111 }, "rs", [
      { holds: (w) => (w & 0xff000) === 0xff000, weight: 8 },
    ]),
  );
  out.push(mtcrf);
  out.push(row("mtocrf", "XFX", { po: 31, xo10: 144, rc: 0, ra: 0b10000 }, "fxm1,rs"));
  return out;
}

function idxIs(n: number): { holds: (w: number) => boolean; weight: number } {
  return { holds: (w) => ((w >>> 16) & 31) === (n & 31), weight: 5 };
}

function syncs(): Row[] {
  const sync = row("sync", "X", { po: 31, xo10: 598, rc: 0 }, "l_sync,sc_sync");
  const s = (m: string, l: number, sc: number): Row => simplified(m, sync, { l_sync: l, sc }, "");
  return [
    s("hwsync", 0, 0),
    s("lwsync", 1, 0),
    s("ptesync", 2, 0),
    s("phwsync", 4, 0),
    s("plwsync", 5, 0),
    s("stncisync", 1, 1),
    s("stcisync", 0, 2),
    s("stsync", 0, 3),
    sync,
    x("eieio", 31, 854, ""),
    row("isync", "XL", { po: 19, xo10: 150, rc: 0 }, ""),
    x("msgsync", 31, 886, ""),
  ];
}

function cache(): Row[] {
  const dcbf = x("dcbf", 31, 86, "ra0,rb,l_dcbf");
  const dcbt = x("dcbt", 31, 278, "ra0,rb,th");
  const dcbtst = x("dcbtst", 31, 246, "ra0,rb,th");
  const dcbz = x("dcbz", 31, 1014, "ra0,rb");
  const out: Row[] = [
    simplified("dcbfl", dcbf, { l_sync: 1 }, "ra0,rb"),
    simplified("dcbflp", dcbf, { l_sync: 3 }, "ra0,rb"),
    simplified("dcbfps", dcbf, { l_sync: 4 }, "ra0,rb"),
    simplified("dcbstps", dcbf, { l_sync: 6 }, "ra0,rb"),
    dcbf,
    x("dcbst", 31, 54, "ra0,rb"),
    simplified("dcbzl", dcbz, { rt: 1 }, "ra0,rb"),
    { ...dcbz, mask: (dcbz.mask | 0x03e00000) >>> 0 },
    x("dcbi", 31, 470, "ra0,rb"),
    x("icbi", 31, 982, "ra0,rb"),
    x("icbt", 31, 22, "ct,ra0,rb"),
  ];
  for (const [base, name] of [
    [dcbt, "dcbt"],
    [dcbtst, "dcbtst"],
  ] as const) {
    out.push(simplified(`${name}ct`, base, { th_hi: 0 }, "ra0,rb,th_ct"));
    out.push(simplified(`${name}ds`, base, { th_hi: 1 }, "ra0,rb,th_ds"));
    out.push(simplified(`${name}t`, base, { th: 16 }, "ra0,rb"));
    if (name === "dcbt") out.push(simplified("dcbna", base, { th: 17 }, "ra0,rb"));
    out.push(base);
  }
  return out;
}

function msrAndTranslation(): Row[] {
  return [
    x("mfmsr", 31, 83, "rt"),
    x("mtmsr", 31, 146, "rs,l_mtmsrd"),
    x("mtmsrd", 31, 178, "rs,l_mtmsrd"),
    x("tlbie", 31, 306, "rb,rs,ric,prs,r_tlbie"),
    x("tlbiel", 31, 274, "rb,rs_opt,ric,prs,r_tlbie"),
    x("tlbsync", 31, 566, ""),
    x("tlbia", 31, 370, ""),
    x("slbia", 31, 498, "ih"),
    x("slbie", 31, 434, "rb"),
    x("slbieg", 31, 466, "rs,rb"),
    x("slbiag", 31, 850, "rs,l_slbiag"),
    x("slbmte", 31, 402, "rs,rb"),
    x("slbmfee", 31, 915, "rt,rb"),
    x("slbmfev", 31, 851, "rt,rb"),
    row("slbfee.", "X", { po: 31, xo10: 979, rc: 1 }, "rt,rb"),
    x("slbsync", 31, 338, ""),
    x("cpabort", 31, 838, ""),
    // copy's L (bit 10) must be 1 (ISA v3.0).
    row("copy", "X", { po: 31, xo10: 774, rt: 1, rc: 0 }, "ra0,rb"),
    // objdump leaves bit 9 (reserved) unchecked.
    row("paste.", "X", { po: 31, xo10: 902, rc: 1 }, "ra0,rb,l_paste", { ignore: 0x0040_0000 }),
  ];
}

function systemCalls(): Row[] {
  return [
    // objdump leaves the reserved bits 16–19 and 27–29 of sc and scv unchecked.
    row("sc", "SC", { po: 17, aa: 1, lk: 0 }, "lev", { ignore: 0x0000f01c }),
    row("scv", "SC", { po: 17, aa: 0, lk: 1 }, "lev_scv", { ignore: 0x0000f01c }),
    row("rfid", "XL", { po: 19, xo10: 18, rc: 0 }, ""),
    row("hrfid", "XL", { po: 19, xo10: 274, rc: 0 }, ""),
    row("rfscv", "XL", { po: 19, xo10: 82, rc: 0 }, ""),
    row("stop", "XL", { po: 19, xo10: 370, rc: 0 }, ""),
  ];
}

export function systemRows(): readonly Row[] {
  return [
    ...crLogic(),
    ...sprMoves(),
    ...syncs(),
    ...cache(),
    ...msrAndTranslation(),
    ...systemCalls(),
  ];
}

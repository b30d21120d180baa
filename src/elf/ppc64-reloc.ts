/**
 * 64-bit PowerPC ELF facts: the `R_PPC64_*` relocation numbers, the `e_flags`
 * ABI field and the ELFv2 local-entry encoding in `st_other`. Numbers from the
 * 64-bit ELF V2 ABI specification (OpenPOWER) and GNU binutils
 * include/elf/ppc64.h.
 */

/** `EF_PPC64_ABI`: e_flags bits giving the ABI (1 = ELFv1 descriptors, 2 = ELFv2, 0 = unspecified). */
export const EF_PPC64_ABI = 3;

/** `STO_PPC64_LOCAL_BIT` / `STO_PPC64_LOCAL_MASK`: st_other bits 5-7. */
export const STO_PPC64_LOCAL_BIT = 5;
export const STO_PPC64_LOCAL_MASK = 7 << STO_PPC64_LOCAL_BIT;

/** The 3-bit local-entry field of `st_other`. */
export function ppc64LocalEntryField(other: number): number {
  return (other & STO_PPC64_LOCAL_MASK) >>> STO_PPC64_LOCAL_BIT;
}

/**
 * `PPC64_LOCAL_ENTRY_OFFSET(other)`: bytes from a function's global to its
 * local entry point. Field 0 (one entry, r2 preserved) and 1 (one entry, r2
 * not preserved) give 0; 2..6 give 4..64 (a power of two); 7 is reserved by the
 * ABI and decodes to 128 as binutils does.
 */
export function ppc64LocalEntryOffset(other: number): number {
  const field = ppc64LocalEntryField(other);
  return ((1 << field) >>> 2) << 2;
}

/** `R_PPC64_*` relocation types, by number. */
export const R_PPC64 = {
  NONE: 0,
  ADDR32: 1,
  ADDR24: 2,
  ADDR16: 3,
  ADDR16_LO: 4,
  ADDR16_HI: 5,
  ADDR16_HA: 6,
  ADDR14: 7,
  ADDR14_BRTAKEN: 8,
  ADDR14_BRNTAKEN: 9,
  REL24: 10,
  REL14: 11,
  REL14_BRTAKEN: 12,
  REL14_BRNTAKEN: 13,
  GOT16: 14,
  GOT16_LO: 15,
  GOT16_HI: 16,
  GOT16_HA: 17,
  COPY: 19,
  GLOB_DAT: 20,
  JMP_SLOT: 21,
  RELATIVE: 22,
  UADDR32: 24,
  UADDR16: 25,
  REL32: 26,
  PLT32: 27,
  PLTREL32: 28,
  PLT16_LO: 29,
  PLT16_HI: 30,
  PLT16_HA: 31,
  SECTOFF: 33,
  SECTOFF_LO: 34,
  SECTOFF_HI: 35,
  SECTOFF_HA: 36,
  REL30: 37,
  ADDR64: 38,
  ADDR16_HIGHER: 39,
  ADDR16_HIGHERA: 40,
  ADDR16_HIGHEST: 41,
  ADDR16_HIGHESTA: 42,
  UADDR64: 43,
  REL64: 44,
  PLT64: 45,
  PLTREL64: 46,
  TOC16: 47,
  TOC16_LO: 48,
  TOC16_HI: 49,
  TOC16_HA: 50,
  TOC: 51,
  PLTGOT16: 52,
  PLTGOT16_LO: 53,
  PLTGOT16_HI: 54,
  PLTGOT16_HA: 55,
  ADDR16_DS: 56,
  ADDR16_LO_DS: 57,
  GOT16_DS: 58,
  GOT16_LO_DS: 59,
  PLT16_LO_DS: 60,
  SECTOFF_DS: 61,
  SECTOFF_LO_DS: 62,
  TOC16_DS: 63,
  TOC16_LO_DS: 64,
  PLTGOT16_DS: 65,
  PLTGOT16_LO_DS: 66,
  TLS: 67,
  DTPMOD64: 68,
  TPREL16: 69,
  TPREL16_LO: 70,
  TPREL16_HI: 71,
  TPREL16_HA: 72,
  TPREL64: 73,
  DTPREL16: 74,
  DTPREL16_LO: 75,
  DTPREL16_HI: 76,
  DTPREL16_HA: 77,
  DTPREL64: 78,
  GOT_TLSGD16: 79,
  GOT_TLSGD16_LO: 80,
  GOT_TLSGD16_HI: 81,
  GOT_TLSGD16_HA: 82,
  GOT_TLSLD16: 83,
  GOT_TLSLD16_LO: 84,
  GOT_TLSLD16_HI: 85,
  GOT_TLSLD16_HA: 86,
  GOT_TPREL16_DS: 87,
  GOT_TPREL16_LO_DS: 88,
  GOT_TPREL16_HI: 89,
  GOT_TPREL16_HA: 90,
  GOT_DTPREL16_DS: 91,
  GOT_DTPREL16_LO_DS: 92,
  GOT_DTPREL16_HI: 93,
  GOT_DTPREL16_HA: 94,
  TPREL16_DS: 95,
  TPREL16_LO_DS: 96,
  TPREL16_HIGHER: 97,
  TPREL16_HIGHERA: 98,
  TPREL16_HIGHEST: 99,
  TPREL16_HIGHESTA: 100,
  DTPREL16_DS: 101,
  DTPREL16_LO_DS: 102,
  DTPREL16_HIGHER: 103,
  DTPREL16_HIGHERA: 104,
  DTPREL16_HIGHEST: 105,
  DTPREL16_HIGHESTA: 106,
  TLSGD: 107,
  TLSLD: 108,
  TOCSAVE: 109,
  ADDR16_HIGH: 110,
  ADDR16_HIGHA: 111,
  TPREL16_HIGH: 112,
  TPREL16_HIGHA: 113,
  DTPREL16_HIGH: 114,
  DTPREL16_HIGHA: 115,
  REL24_NOTOC: 116,
  ADDR64_LOCAL: 117,
  ENTRY: 118,
  PLTSEQ: 119,
  PLTCALL: 120,
  PLTSEQ_NOTOC: 121,
  PLTCALL_NOTOC: 122,
  PCREL_OPT: 123,
  REL24_P9NOTOC: 124,
  D34: 128,
  D34_LO: 129,
  D34_HI30: 130,
  D34_HA30: 131,
  PCREL34: 132,
  GOT_PCREL34: 133,
  PLT_PCREL34: 134,
  PLT_PCREL34_NOTOC: 135,
  ADDR16_HIGHER34: 136,
  ADDR16_HIGHERA34: 137,
  ADDR16_HIGHEST34: 138,
  ADDR16_HIGHESTA34: 139,
  REL16_HIGHER34: 140,
  REL16_HIGHERA34: 141,
  REL16_HIGHEST34: 142,
  REL16_HIGHESTA34: 143,
  D28: 144,
  PCREL28: 145,
  TPREL34: 146,
  DTPREL34: 147,
  GOT_TLSGD_PCREL34: 148,
  GOT_TLSLD_PCREL34: 149,
  GOT_TPREL_PCREL34: 150,
  GOT_DTPREL_PCREL34: 151,
  REL16_HIGH: 240,
  REL16_HIGHA: 241,
  REL16_HIGHER: 242,
  REL16_HIGHERA: 243,
  REL16_HIGHEST: 244,
  REL16_HIGHESTA: 245,
  REL16DX_HA: 246,
  JMP_IREL: 247,
  IRELATIVE: 248,
  REL16: 249,
  REL16_LO: 250,
  REL16_HI: 251,
  REL16_HA: 252,
  GNU_VTINHERIT: 253,
  GNU_VTENTRY: 254,
} as const;

const NAMES = new Map<number, string>(
  Object.entries(R_PPC64).map(([name, n]) => [n, `R_PPC64_${name}`]),
);

/** `R_PPC64_<NAME>` for a relocation type, or `R_PPC64_<n>?` for an unknown number. */
export function ppc64RelocName(type: number): string {
  return NAMES.get(type) ?? `R_PPC64_${type}?`;
}

/** The values a relocation is computed from (ELF V2 ABI §3.5.3 notation). */
export interface Ppc64RelocValues {
  /** S: the symbol's final address (for `.TOC.`, the TOC base). */
  readonly s: bigint;
  /** A: the addend. */
  readonly a: bigint;
  /** P: the final address of the place being relocated. */
  readonly p: bigint;
  /** .TOC.: the TOC base of the object's TOC (for TOC16_* types). */
  readonly toc: bigint;
}

const lo16 = (v: bigint): number => Number(BigInt.asUintN(16, v));
const hi16 = (v: bigint): number => Number(BigInt.asUintN(16, v >> 16n));
/** `#ha(v)`: the high half adjusted for the sign of the low half. */
const ha16 = (v: bigint): number => Number(BigInt.asUintN(16, (v + 0x8000n) >> 16n));

function fitsSigned(v: bigint, bits: number): boolean {
  return v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits - 1);
}

/**
 * Apply one `R_PPC64_*` relocation to the little-endian bytes of a section,
 * at `offset`, as a static linker would (ELF V2 ABI, "Relocation Types"):
 * the types GCC emits for kernel code built with -mcmodel=medium and no
 * pcrel — REL24 (calls), REL16_HA/LO/HI (the global entry's TOC setup),
 * TOC16 / TOC16_HA / TOC16_LO / TOC16_HI / TOC16_DS / TOC16_LO_DS (TOC-relative
 * data), ADDR16_*, ADDR32, ADDR64, REL32, REL64; and PCREL34 (POWER10 pcrel
 * code's prefixed D-form displacements). Returns null when applied, or
 * a one-line reason (unsupported type, value out of range, misalignment).
 */
export function applyPpc64Reloc(
  bytes: Uint8Array,
  offset: number,
  type: number,
  v: Ppc64RelocValues,
): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = () => view.getUint32(offset, true);
  const setHalf = (h: number) => view.setUint16(offset, h, true);
  const setDs = (x: bigint): string | null => {
    if ((x & 3n) !== 0n)
      return `${ppc64RelocName(type)}: value 0x${x.toString(16)} not a multiple of 4`;
    view.setUint16(offset, (lo16(x) & 0xfffc) | (view.getUint16(offset, true) & 3), true);
    return null;
  };
  const sa = v.s + v.a;
  const rel = sa - v.p;
  const toc = sa - v.toc;
  switch (type) {
    case R_PPC64.NONE:
      return null;
    case R_PPC64.REL24: {
      if ((rel & 3n) !== 0n || !fitsSigned(rel, 26)) {
        return `R_PPC64_REL24: branch displacement 0x${rel.toString(16)} out of range`;
      }
      view.setUint32(
        offset,
        ((word() & ~0x03ff_fffc) | (Number(BigInt.asUintN(32, rel)) & 0x03ff_fffc)) >>> 0,
        true,
      );
      return null;
    }
    case R_PPC64.REL16_LO:
      setHalf(lo16(rel));
      return null;
    case R_PPC64.REL16_HI:
      setHalf(hi16(rel));
      return null;
    case R_PPC64.REL16_HA:
      setHalf(ha16(rel));
      return null;
    case R_PPC64.TOC16:
      if (!fitsSigned(toc, 16)) return `R_PPC64_TOC16: offset 0x${toc.toString(16)} out of range`;
      setHalf(lo16(toc));
      return null;
    case R_PPC64.TOC16_LO:
      setHalf(lo16(toc));
      return null;
    case R_PPC64.TOC16_HI:
      setHalf(hi16(toc));
      return null;
    case R_PPC64.TOC16_HA:
      if (!fitsSigned(toc, 32))
        return `R_PPC64_TOC16_HA: offset 0x${toc.toString(16)} out of range`;
      setHalf(ha16(toc));
      return null;
    case R_PPC64.TOC16_DS:
      if (!fitsSigned(toc, 16))
        return `R_PPC64_TOC16_DS: offset 0x${toc.toString(16)} out of range`;
      return setDs(toc);
    case R_PPC64.TOC16_LO_DS:
      return setDs(toc);
    case R_PPC64.ADDR16_LO:
      setHalf(lo16(sa));
      return null;
    case R_PPC64.ADDR16_HI:
      setHalf(hi16(sa));
      return null;
    case R_PPC64.ADDR16_HA:
      setHalf(ha16(sa));
      return null;
    case R_PPC64.ADDR32:
      if (!fitsSigned(sa, 33) || sa < -(1n << 31n))
        return `R_PPC64_ADDR32: 0x${sa.toString(16)} out of range`;
      view.setUint32(offset, Number(BigInt.asUintN(32, sa)), true);
      return null;
    case R_PPC64.REL32:
      if (!fitsSigned(rel, 32)) return `R_PPC64_REL32: 0x${rel.toString(16)} out of range`;
      view.setUint32(offset, Number(BigInt.asUintN(32, rel)), true);
      return null;
    case R_PPC64.ADDR64:
      view.setBigUint64(offset, BigInt.asUintN(64, sa), true);
      return null;
    case R_PPC64.REL64:
      view.setBigUint64(offset, BigInt.asUintN(64, rel), true);
      return null;
    case R_PPC64.PCREL34: {
      // A prefixed D-form displacement: d0 (18 bits) in the prefix word, d1 (16) in the suffix.
      if (!fitsSigned(rel, 34)) return `R_PPC64_PCREL34: 0x${rel.toString(16)} out of range`;
      const d = BigInt.asUintN(34, rel);
      const d0 = Number(d >> 16n) & 0x3ffff;
      view.setUint32(offset, ((word() & ~0x3ffff) | d0) >>> 0, true);
      view.setUint16(offset + 4, Number(d & 0xffffn), true);
      return null;
    }
    default:
      return `${ppc64RelocName(type)}: relocation type not supported`;
  }
}

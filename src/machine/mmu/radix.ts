import { alignDown, INV_POW2, lowBits, POW2 } from "../../util/bits.ts";
import {
  DSISR_NOHPTE,
  DSISR_PROTFAULT,
  DSISR_UNSUPP_MMU,
  SRR1_ISI_N_G_OR_CIP,
} from "../registers.ts";
import { Access } from "./fault.ts";
import {
  EAA_EXEC,
  EAA_PRIV,
  EAA_READ,
  EAA_RW,
  PTCR_PATB,
  PTCR_PATS,
  PTE_ATT_LO,
  PTE_ATT_NI_IO_LO,
  PTE_C_LO,
  PTE_R_LO,
} from "./radix-format.ts";

/** Table memory the MMU reads and writes back R/C into (PhysMemory is one). */
export interface TableMemory {
  readBe32(pa: number): number;
  writeBe32(pa: number, value: number): void;
}

/**
 * How the walker reads table memory: big-endian words, as numbers (no BigInt
 * arithmetic on the walk). PhysMemory is one.
 */
export interface TableReader {
  /** The big-endian word at `pa` (an entry's high half at its address, low half at +4). */
  readBe32(pa: number): number;
}

const TWO32 = 2 ** 32;

/** PTCR decoded last (walks mostly use one): its table base and size in bytes. */
const PTCR_SEEN = { ptcr: -1n, patb: 0, patSize: 0 };

export interface RadixWalkOk {
  readonly ok: true;
  /** Real address of the byte at the EA. */
  readonly pa: number;
  /** log2 of the page size the leaf maps (12, 16, 21, 30 ...). */
  readonly shift: number;
  /** The leaf entry as read (before any R/C update): its high word ... */
  readonly pteHi: number;
  /** ... and its low word (permissions, ATT, R, C: what every access checks). */
  readonly flags: number;
  /** Real address of the leaf entry. */
  readonly pteAddr: number;
  /** Tree level of the leaf: 0 = PGD, 1 = PUD, 2 = PMD, 3 = PTE. */
  readonly level: number;
}

export interface RadixWalkFail {
  readonly ok: false;
  /** DSISR-style cause bits (NOHPTE, UNSUPP_MMU); 0 when `segment`. */
  readonly cause: number;
  /** The EA lies outside what the tree translates: a segment interrupt. */
  readonly segment: boolean;
}

export type RadixWalkResult = RadixWalkOk | RadixWalkFail;

const NOPTE: RadixWalkFail = { ok: false, cause: DSISR_NOHPTE, segment: false };
const BADCONFIG: RadixWalkFail = { ok: false, cause: DSISR_UNSUPP_MMU, segment: false };
const SEGMENT: RadixWalkFail = { ok: false, cause: 0, segment: true };

/**
 * The process-scoped Radix tree walk (Power ISA v3.1 Book III "Radix Tree
 * Translation"; QEMU target/ppc/mmu-radix64.c for the fault causes):
 * PTCR → partition-table entry for `lpid` → process-table entry for `pid` →
 * PGD → ... → leaf. `ea52` is the EA with the quadrant bits removed (< 2^52).
 * Pure: reads tables through `read`, writes nothing (R/C is `radixUpdateRc`).
 *
 * SIMPLIFICATION: no partition-scoped (nested) translation: table addresses are
 * real addresses, as for the bare-metal host (LPID 0, HR=1). No page-walk cache
 * and no cached process/partition-table entries: every walk reads memory.
 */
export function radixWalk(
  read: TableReader,
  ptcr: bigint,
  lpid: number,
  pid: number,
  ea52: number,
): RadixWalkResult {
  const seen = PTCR_SEEN;
  if (ptcr !== seen.ptcr) {
    seen.patb = Number(ptcr & PTCR_PATB);
    seen.patSize = 2 ** (12 + Number(ptcr & PTCR_PATS));
    seen.ptcr = ptcr;
  }
  const patb = seen.patb;
  if (lpid * 16 >= seen.patSize) return NOPTE;
  // Field masks as word masks: PATE0_HR, PATE1_PRTB/PRTS, RTS1/RTS2, RPDB/RPDS,
  // PDE_V/NLB/NLS, PTE_L/RPN (radix-format.ts), high word first.
  const pate0Hi = read.readBe32(patb + lpid * 16);
  const pate1Hi = read.readBe32(patb + lpid * 16 + 8);
  const pate1Lo = read.readBe32(patb + lpid * 16 + 12);
  if ((pate0Hi & 0x8000_0000) === 0) return BADCONFIG;
  const prtb = (pate1Hi & 0x0fff_ffff) * TWO32 + ((pate1Lo & 0xffff_f000) >>> 0);
  const prtSize = POW2[12 + (pate1Lo & 0x1f)]!;
  if (pid * 16 >= prtSize) return NOPTE;
  const rootHi = read.readBe32(prtb + pid * 16);
  const rootLo = read.readBe32(prtb + pid * 16 + 4);
  let remaining = (((rootHi >>> 26) & 0x18) | ((rootLo >>> 5) & 7)) + 31;
  if (ea52 >= POW2[remaining]!) return SEGMENT;
  let base = (rootHi & 0x0fff_ffff) * TWO32 + ((rootLo & 0xffff_ff00) >>> 0);
  let nls = rootLo & 0x1f;
  for (let level = 0; ; level++) {
    // A directory of fewer than 2^5 entries is an invalid configuration.
    if (nls < 5 || nls > remaining) return BADCONFIG;
    remaining -= nls;
    // Math.floor and scaling by powers of two, not `%`: see alignDown.
    const index = (Math.floor(ea52 * INV_POW2[remaining]!) >>> 0) & (POW2[nls]! - 1);
    const entryAddr = base + index * 8;
    const hi = read.readBe32(entryAddr);
    if ((hi & 0x8000_0000) === 0) return NOPTE;
    const lo = read.readBe32(entryAddr + 4);
    if ((hi & 0x4000_0000) !== 0) {
      const rpn = (hi & 0x01ff_ffff) * TWO32 + ((lo & 0xffff_f000) >>> 0);
      const pa = alignDown(rpn, remaining) + lowBits(ea52, remaining);
      return { ok: true, pa, shift: remaining, pteHi: hi, flags: lo, pteAddr: entryAddr, level };
    }
    base = (hi & 0x0fff_ffff) * TWO32 + ((lo & 0xffff_ff00) >>> 0);
    nls = lo & 0x1f;
  }
}

/**
 * Permission check of a leaf against an access (QEMU `ppc_radix64_check_prot`
 * semantics): a privileged PTE (EAA[0]) denies everything at PR=1; a load needs
 * Read or Read/Write, a store Read/Write, a fetch Execute; a fetch from
 * non-idempotent I/O storage is a guarded-storage ISI. `flags` is the leaf's
 * low word (EAA and ATT live there). Returns 0 when allowed, else the DSISR
 * (data) or SRR1 (instruction) cause bits.
 *
 * SIMPLIFICATION: AMR/IAMR (KUAP/KUEP) are not modelled.
 */
export function radixPermissionCause(flags: number, access: Access, pr: boolean): number {
  if (access === Access.IFETCH && (flags & PTE_ATT_LO) === PTE_ATT_NI_IO_LO) {
    return SRR1_ISI_N_G_OR_CIP;
  }
  const eaa = flags & 0xf;
  if (pr && (eaa & EAA_PRIV) !== 0) return DSISR_PROTFAULT;
  return eaaAllows(eaa, access) ? 0 : DSISR_PROTFAULT;
}

/** Does the EAA nibble grant this access type (privilege already checked)? */
export function eaaAllows(eaa: number, access: Access): boolean {
  switch (access) {
    case Access.LOAD:
      return (eaa & (EAA_READ | EAA_RW)) !== 0;
    case Access.STORE:
      return (eaa & EAA_RW) !== 0;
    default:
      return (eaa & EAA_EXEC) !== 0;
  }
}

/**
 * Reference/change recording after a successful walk: R always, C for a store.
 * The write-back is atomic against the entry as walked: if the entry changed
 * since (another CPU cleared it), nothing is written, so R/C recording never
 * resurrects a cleared PTE. Both bits live in the leaf's low word, so only
 * that word is written. Returns the low word now in memory for this leaf as
 * the walk sees it (`walked.flags` when nothing was written).
 */
export function radixUpdateRc(mem: TableMemory, walked: RadixWalkOk, access: Access): number {
  const lo = walked.flags;
  const want = (lo | PTE_R_LO | (access === Access.STORE ? PTE_C_LO : 0)) >>> 0;
  if (want === lo) return lo;
  const at = walked.pteAddr;
  if (mem.readBe32(at + 4) !== lo) return lo;
  if (mem.readBe32(at) !== walked.pteHi) return lo;
  mem.writeBe32(at + 4, want);
  return want;
}

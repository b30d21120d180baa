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
  PATE0_HR,
  PATE1_PRTB,
  PATE1_PRTS,
  PDE_NLB,
  PDE_NLS,
  PDE_V,
  PTCR_PATB,
  PTCR_PATS,
  PTE_ATT,
  PTE_ATT_NI_IO,
  PTE_C,
  PTE_L,
  PTE_R,
  PTE_RPN,
  RPDB,
  RPDS,
  rtsBits,
} from "./radix-format.ts";

/** Reads one big-endian table doubleword at a real address. */
export type EntryReader = (pa: number) => bigint;

export interface RadixWalkOk {
  readonly ok: true;
  /** Real address of the byte at the EA. */
  readonly pa: number;
  /** log2 of the page size the leaf maps (12, 16, 21, 30 ...). */
  readonly shift: number;
  /** The leaf entry as read (before any R/C update). */
  readonly pte: bigint;
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
  read: EntryReader,
  ptcr: bigint,
  lpid: number,
  pid: number,
  ea52: number,
): RadixWalkResult {
  const patb = Number(ptcr & PTCR_PATB);
  const patSize = 2 ** (12 + Number(ptcr & PTCR_PATS));
  if (lpid * 16 >= patSize) return NOPTE;
  const pate0 = read(patb + lpid * 16);
  const pate1 = read(patb + lpid * 16 + 8);
  if ((pate0 & PATE0_HR) === 0n) return BADCONFIG;
  const prtb = Number(pate1 & PATE1_PRTB);
  const prtSize = 2 ** (12 + Number(pate1 & PATE1_PRTS));
  if (pid * 16 >= prtSize) return NOPTE;
  const root = read(prtb + pid * 16);
  let remaining = rtsBits(root);
  if (ea52 >= 2 ** remaining) return SEGMENT;
  let base = Number(root & RPDB);
  let nls = Number(root & RPDS);
  for (let level = 0; ; level++) {
    // A directory of fewer than 2^5 entries is an invalid configuration.
    if (nls < 5 || nls > remaining) return BADCONFIG;
    remaining -= nls;
    const scale = 2 ** remaining;
    const index = Math.floor(ea52 / scale) % 2 ** nls;
    const entryAddr = base + index * 8;
    const entry = read(entryAddr);
    if ((entry & PDE_V) === 0n) return NOPTE;
    if ((entry & PTE_L) !== 0n) {
      const rpn = Number(entry & PTE_RPN);
      const pa = rpn - (rpn % scale) + (ea52 % scale);
      return { ok: true, pa, shift: remaining, pte: entry, pteAddr: entryAddr, level };
    }
    base = Number(entry & PDE_NLB);
    nls = Number(entry & PDE_NLS);
  }
}

/**
 * Permission check of a leaf against an access (QEMU `ppc_radix64_check_prot`
 * semantics): a privileged PTE (EAA[0]) denies everything at PR=1; a load needs
 * Read or Read/Write, a store Read/Write, a fetch Execute; a fetch from
 * non-idempotent I/O storage is a guarded-storage ISI. Returns 0 when allowed,
 * else the DSISR (data) or SRR1 (instruction) cause bits.
 *
 * SIMPLIFICATION: AMR/IAMR (KUAP/KUEP) are not modelled.
 */
export function radixPermissionCause(pte: bigint, access: Access, pr: boolean): number {
  if (access === Access.IFETCH && (pte & PTE_ATT) === PTE_ATT_NI_IO) return SRR1_ISI_N_G_OR_CIP;
  const eaa = Number(pte & 0xfn);
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
 * resurrects a cleared PTE. Returns the value now in memory for this leaf as
 * the walk sees it.
 */
export function radixUpdateRc(
  read: EntryReader,
  write: (pa: number, value: bigint) => void,
  pteAddr: number,
  walked: bigint,
  access: Access,
): bigint {
  const want = walked | PTE_R | (access === Access.STORE ? PTE_C : 0n);
  if (want === walked) return walked;
  if (read(pteAddr) !== walked) return walked;
  write(pteAddr, want);
  return want;
}

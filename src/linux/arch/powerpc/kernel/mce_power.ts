/**
 * The POWER9 machine-check decode of arch/powerpc/kernel/mce_power.c (v6.2):
 * `__machine_check_early_realmode_p9()` → `mce_handle_error()`, which reads
 * the cause from SRR1 (an instruction-side or asynchronous error, the
 * "ierror" table) or from DSISR (a load/store error, SRR1[42] set, the
 * "derror" table), then `save_mce_event()` (mce.ts).
 *
 * SIMPLIFICATION: only the table rows for the causes the machine raises are
 * kept — a real address with no memory behind it on a fetch, a load or a
 * store (src/machine/access.ts) — and none of them is one the handler can
 * correct (no SLB/ERAT/TLB flush, no UE with an exception-table fixup), so
 * the decode never reports the error handled. Any other cause falls through
 * to the tables' "unknown" default, as an unrecognised one does in the kernel.
 */
import type { PtRegs } from "./process.ts";

/** `enum MCE_Severity` (asm/mce.h). */
export const MCE_SEV_NO_ERROR = 0;
export const MCE_SEV_WARNING = 1;
export const MCE_SEV_SEVERE = 2;
export const MCE_SEV_FATAL = 3;

/** `enum MCE_Initiator`. */
export const MCE_INITIATOR_UNKNOWN = 0;
export const MCE_INITIATOR_CPU = 1;

/** `enum MCE_ErrorType`. */
export const MCE_ERROR_TYPE_UNKNOWN = 0;
export const MCE_ERROR_TYPE_RA = 6;

/** `enum MCE_ErrorClass`. */
export const MCE_ECLASS_UNKNOWN = 0;
export const MCE_ECLASS_HARDWARE = 1;
export const MCE_ECLASS_SOFTWARE = 3;

/** `enum MCE_RaErrorType`: indexes of mce.c's `mc_ra_types[]`. */
export const MCE_RA_ERROR_IFETCH = 1;
export const MCE_RA_ERROR_LOAD = 5;
export const MCE_RA_ERROR_STORE = 6;

/** `struct mce_error_info`: what the decode found. */
export interface MceErrorInfo {
  readonly errorType: number;
  /** The type-specific subtype (`u.ra_error_type`, ...). */
  readonly subtype: number;
  readonly errorClass: number;
  readonly severity: number;
  readonly initiator: number;
  readonly syncError: boolean;
}

/** What `mce_handle_error()` hands `save_mce_event()`. */
export interface MceDecode {
  /** Nonzero when the handler corrected the error. */
  readonly handled: number;
  readonly info: MceErrorInfo;
  /** The faulting effective address when the table says it is known, else 0. */
  readonly addr: bigint;
}

/** `PPC_BIT(42)` in SRR1: the machine check came from a load or store. */
const SRR1_MC_LOADSTORE_BIT = 0x0020_0000n;
const SRR1_MC_IFETCH_MASK = 0x081c_0000n;

/** `mce_p9_ierror_table[]` rows: SRR1 mask/value, whether NIP is the address. */
const P9_IERROR: readonly { value: bigint; nipValid: boolean; info: MceErrorInfo }[] = [
  {
    value: 0x080c_0000n,
    nipValid: true,
    info: {
      errorType: MCE_ERROR_TYPE_RA,
      subtype: MCE_RA_ERROR_IFETCH,
      errorClass: MCE_ECLASS_SOFTWARE,
      severity: MCE_SEV_SEVERE,
      initiator: MCE_INITIATOR_CPU,
      syncError: true,
    },
  },
  {
    // "ASYNC is fatal"
    value: 0x0814_0000n,
    nipValid: false,
    info: {
      errorType: MCE_ERROR_TYPE_RA,
      subtype: MCE_RA_ERROR_STORE,
      errorClass: MCE_ECLASS_HARDWARE,
      severity: MCE_SEV_FATAL,
      initiator: MCE_INITIATOR_CPU,
      syncError: false,
    },
  },
];

/** `mce_p9_derror_table[]` rows: DSISR bit, whether DAR is the address. */
const P9_DERROR: readonly { dsisr: bigint; darValid: boolean; info: MceErrorInfo }[] = [
  {
    dsisr: 0x40n,
    darValid: true,
    info: {
      errorType: MCE_ERROR_TYPE_RA,
      subtype: MCE_RA_ERROR_LOAD,
      errorClass: MCE_ECLASS_HARDWARE,
      severity: MCE_SEV_SEVERE,
      initiator: MCE_INITIATOR_CPU,
      syncError: true,
    },
  },
];

/** The tables' default: "This must be ... an MCE we don't recognise". */
const UNKNOWN: MceErrorInfo = {
  errorType: MCE_ERROR_TYPE_UNKNOWN,
  subtype: 0,
  errorClass: MCE_ECLASS_UNKNOWN,
  severity: MCE_SEV_SEVERE,
  initiator: MCE_INITIATOR_CPU,
  syncError: true,
};

/**
 * Models `__machine_check_early_realmode_p9(regs)` and `mce_handle_error()`
 * for the kept rows. A store's bad real address comes asynchronously with
 * SRR1[42] set but its cause in SRR1, so the kernel clears bit 42 to send it
 * to the ierror table; a DSISR of exactly 0x02000000 on a load/store is the
 * spurious paste machine check of POWER9 DD2.1, reported handled.
 */
export function machineCheckEarlyRealmodeP9(regs: PtRegs): MceDecode {
  let srr1 = regs.msr;
  if ((srr1 & SRR1_MC_LOADSTORE_BIT) !== 0n && regs.dsisr === 0x0200_0000n) {
    return { handled: 1, info: UNKNOWN, addr: 0n };
  }
  const cause = srr1 & SRR1_MC_IFETCH_MASK;
  if ((srr1 & SRR1_MC_LOADSTORE_BIT) !== 0n && (cause === 0x0814_0000n || cause === 0x0818_0000n)) {
    srr1 &= ~SRR1_MC_LOADSTORE_BIT;
  }
  if ((srr1 & SRR1_MC_LOADSTORE_BIT) !== 0n) {
    // mce_handle_derror(): the first matching DSISR bit wins.
    const row = P9_DERROR.find((r) => (regs.dsisr & r.dsisr) !== 0n);
    if (row === undefined) return { handled: 0, info: UNKNOWN, addr: 0n };
    return { handled: 0, info: row.info, addr: row.darValid ? regs.dar : 0n };
  }
  // mce_handle_ierror()
  const row = P9_IERROR.find((r) => (srr1 & SRR1_MC_IFETCH_MASK) === r.value);
  if (row === undefined) return { handled: 0, info: UNKNOWN, addr: 0n };
  return { handled: 0, info: row.info, addr: row.nipValid ? regs.nip : 0n };
}

/**
 * Machine-check events, arch/powerpc/kernel/mce.c (v6.2): the real-mode
 * `machine_check_early()` decodes the error (mce_power.ts) and saves an event
 * in the CPU's `mce_info`; the virtual-mode handlers get it back
 * (`get_mce_event()`) and print it (`machine_check_print_event_info()`).
 */
import type { Ctx } from "../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../core/kernel.ts";
import {
  LOGLEVEL_ERR,
  LOGLEVEL_INFO,
  LOGLEVEL_WARNING,
  type LogLevel,
  type PrintkLine,
} from "../../../kernel/printk.ts";
import {
  MCE_ERROR_TYPE_RA,
  MCE_INITIATOR_CPU,
  MCE_SEV_NO_ERROR,
  MCE_SEV_SEVERE,
  MCE_SEV_WARNING,
  type MceErrorInfo,
  machineCheckEarlyRealmodeP9,
} from "./mce_power.ts";
import { MSR_RI, type PtRegs } from "./process.ts";

/** `enum MCE_Disposition`. */
export const MCE_DISPOSITION_RECOVERED = 0;
export const MCE_DISPOSITION_NOT_RECOVERED = 1;

/** `struct machine_check_event` (version MCE_V1), for the error types decoded. */
export interface MachineCheckEvent extends MceErrorInfo {
  readonly srr0: bigint;
  readonly srr1: bigint;
  readonly cpu: number;
  readonly disposition: number;
  /** `u.*_error.effective_address` when provided, else 0. */
  readonly effectiveAddress: bigint;
}

/** `MAX_MC_EVT`: events a CPU can hold while machine checks nest. */
const MAX_MC_EVT = 10;

/** Each CPU's `paca->mce_info->mce_event[]`, `mce_nest_count` its length. */
const MCE_INFO = defineSlot("mce-info", (): MachineCheckEvent[][] => []);

function mceEvents(k: Kernel, cpu: number): MachineCheckEvent[] {
  const all = k.slot(MCE_INFO);
  let events = all[cpu];
  if (events === undefined) {
    events = [];
    all[cpu] = events;
  }
  return events;
}

/**
 * Models `save_mce_event(regs, handled, &mce_err, nip, addr, phys_addr)`:
 * recovered only when handled with MSR[RI] set.
 * SIMPLIFICATION: an event beyond MAX_MC_EVT is dropped without counting it
 * (the kernel's mce_nest_count runs past the array); the irq work that logs
 * unrecovered events later is not modelled (the kernel goes down first).
 */
export function saveMceEvent(
  c: Ctx,
  regs: PtRegs,
  handled: number,
  info: MceErrorInfo,
  nip: bigint,
  addr: bigint,
): void {
  const events = mceEvents(c.k, c.cpu.id);
  if (events.length >= MAX_MC_EVT) return;
  events.push({
    ...info,
    srr0: nip,
    srr1: regs.msr,
    cpu: c.cpu.id,
    disposition:
      handled !== 0 && (regs.msr & MSR_RI) !== 0n
        ? MCE_DISPOSITION_RECOVERED
        : MCE_DISPOSITION_NOT_RECOVERED,
    effectiveAddress: addr,
  });
}

/** Models `get_mce_event(&evt, MCE_EVENT_RELEASE)`: the newest event, its slot freed; null when none. */
export function getMceEvent(c: Ctx): MachineCheckEvent | null {
  return mceEvents(c.k, c.cpu.id).pop() ?? null;
}

/**
 * Models `machine_check_early(regs)` on PowerNV: `ppc_md.machine_check_early`
 * is `pnv_machine_check_early()`, which calls the CPU's
 * `machine_check_early` — `__machine_check_early_realmode_p9()` on POWER9 —
 * decoding the error and saving the event. Returns `handled`.
 * SIMPLIFICATION: hv_nmi_check_nonrecoverable() is not modelled (the machine
 * checks modelled never hit the HV interrupt entry code).
 */
export function machineCheckEarly(c: Ctx, regs: PtRegs): number {
  const d = machineCheckEarlyRealmodeP9(regs);
  saveMceEvent(c, regs, d.handled, d.info, regs.nip, d.addr);
  return d.handled;
}

/** `mc_ra_types[]`, by `enum MCE_RaErrorType`. */
const MC_RA_TYPES = [
  "Indeterminate",
  "Instruction fetch (bad)",
  "Instruction fetch (foreign/control memory)",
  "Page table walk ifetch (bad)",
  "Page table walk ifetch (foreign/control memory)",
  "Load (bad)",
  "Store (bad)",
  "Page table walk Load/Store (bad)",
  "Page table walk Load/Store (foreign/control memory)",
  "Load/Store (foreign/control memory)",
];

/** `mc_error_class[]`, by `enum MCE_ErrorClass`. */
const MC_ERROR_CLASS = [
  "Unknown",
  "Hardware error",
  "Probable Hardware error (some chance of software cause)",
  "Software error",
  "Probable Software error (some chance of hardware cause)",
];

const hex16 = (v: bigint): string => v.toString(16).padStart(16, "0");

/**
 * Models `machine_check_print_event_info(evt, user_mode, in_guest)` for a
 * host kernel-mode event (user_mode and in_guest false): the severity, error
 * type and subtype with the load/store address, the NIP with its symbol
 * (`%pS`), the initiator and the error class — four `MCE: CPU<n>:` lines at
 * the severity's level.
 * SIMPLIFICATION: only the real-address error type and the unknown one are
 * named (the decode produces no other); the physical address is never known
 * (it is only for UE errors).
 */
export function machineCheckPrintEventInfo(k: Kernel, evt: MachineCheckEvent): PrintkLine[] {
  let level: LogLevel;
  let sevstr: string;
  if (evt.severity === MCE_SEV_NO_ERROR) {
    level = LOGLEVEL_INFO;
    sevstr = "Harmless";
  } else if (evt.severity === MCE_SEV_WARNING) {
    level = LOGLEVEL_WARNING;
    sevstr = "Warning";
  } else {
    level = LOGLEVEL_ERR;
    sevstr = evt.severity === MCE_SEV_SEVERE ? "Severe" : "Fatal";
  }
  const initiator = evt.initiator === MCE_INITIATOR_CPU ? "CPU" : "Unknown";
  let errType = "Unknown";
  let subtype = "";
  let ea = 0n;
  if (evt.errorType === MCE_ERROR_TYPE_RA) {
    errType = "Real address";
    subtype = MC_RA_TYPES[evt.subtype] ?? "Unknown";
    ea = evt.effectiveAddress;
  }
  // Load/Store address
  const darStr = ea !== 0n && evt.srr0 !== ea ? `DAR: ${hex16(ea)} ` : "";
  const disposition = evt.disposition === MCE_DISPOSITION_RECOVERED ? "Recovered" : "Not recovered";
  const cpu = `MCE: CPU${evt.cpu}:`;
  return [
    {
      level,
      text: `${cpu} machine check (${sevstr})  ${errType} ${subtype} ${darStr}[${disposition}]`,
    },
    { level, text: `${cpu} NIP: [${hex16(evt.srr0)}] ${k.kallsyms.sprintSymbol(evt.srr0)}` },
    { level, text: `${cpu} Initiator ${initiator}` },
    { level, text: `${cpu} ${MC_ERROR_CLASS[evt.errorClass] ?? "Unknown"}` },
  ];
}

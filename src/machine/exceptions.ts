import type { Cpu } from "./cpu.ts";
import { Access, type Fault, FaultKind } from "./mmu/fault.ts";
import {
  AIL2_BASE,
  AIL3_BASE,
  LPCR_AIL_MASK,
  LPCR_AIL_SHIFT,
  LPCR_ILE,
  MSR_DR,
  MSR_HI_HV,
  MSR_HI_SF,
  MSR_IR,
  MSR_LE,
  MSR_ME,
  MSR_S,
  SRR1_CAUSE_MASK_LO,
  VEC,
} from "./registers.ts";

/** What an interrupt writes besides SRR0/SRR1 (isa.md §15). */
export interface InterruptExtras {
  /** SRR1 interrupt-specific bits (value bits 16..21, 27..30). */
  readonly srr1Cause?: number;
  readonly dar?: bigint;
  readonly dsisr?: number;
  /** A hypervisor interrupt: HSRR0/HSRR1 instead of SRR0/SRR1, and MSR[HV] set. */
  readonly hv?: boolean;
}

/**
 * The effective address an interrupt at `offset` goes to: real `offset`, or
 * with LPCR[AIL]=3 and the interrupted context relocated (IR=DR=1)
 * 0xc000_0000_0000_4000 + offset (AIL=2: 0x18000 + offset). System reset and
 * machine check never use AIL. (Book III "Interrupts"; isa.md §15.)
 */
export function interruptVector(cpu: Cpu, offset: number): { ea: bigint; relocate: boolean } {
  const ail = Number((cpu.lpcr & LPCR_AIL_MASK) >> BigInt(LPCR_AIL_SHIFT));
  const relocated = (cpu.msrLo & (MSR_IR | MSR_DR)) === (MSR_IR | MSR_DR);
  const exempt = offset === VEC.SYSTEM_RESET || offset === VEC.MACHINE_CHECK;
  if (relocated && !exempt && ail === 3) return { ea: AIL3_BASE + BigInt(offset), relocate: true };
  if (relocated && !exempt && ail === 2) return { ea: AIL2_BASE + BigInt(offset), relocate: true };
  return { ea: BigInt(offset), relocate: false };
}

/**
 * Interrupt entry (Power ISA Book III "Interrupt Processing"; isa.md §14-15):
 * SRR0 ← `srr0`; SRR1 ← the MSR's copied bits | cause bits; the new MSR has
 * SF=1, EE=PR=RI=0, IR/DR as AIL decides, LE = LPCR[ILE], ME/S/HV kept (HV set
 * for a hypervisor interrupt); NIA ← the vector. An interrupt is context
 * synchronising, so the CPU's stale icache lines are dropped.
 *
 * SIMPLIFICATION: FP/VEC/VSX/TM and other facility MSR bits are simply cleared.
 */
export function deliverInterrupt(
  cpu: Cpu,
  offset: number,
  srr0: bigint,
  x: InterruptExtras = {},
): void {
  const srr1Lo =
    ((cpu.msrLo & ~SRR1_CAUSE_MASK_LO) | ((x.srr1Cause ?? 0) & SRR1_CAUSE_MASK_LO)) >>> 0;
  const srr1 = (BigInt(cpu.msrHi >>> 0) << 32n) | BigInt(srr1Lo);
  if (x.hv === true) {
    cpu.hsrr0 = srr0;
    cpu.hsrr1 = srr1;
  } else {
    cpu.srr0 = srr0;
    cpu.srr1 = srr1;
  }
  if (x.dar !== undefined) cpu.dar = x.dar;
  if (x.dsisr !== undefined) cpu.dsisr = x.dsisr >>> 0;
  const vector = interruptVector(cpu, offset);
  cpu.msrHi = (MSR_HI_SF | (cpu.msrHi & MSR_HI_HV) | (x.hv === true ? MSR_HI_HV : 0)) >>> 0;
  cpu.msrLo =
    (cpu.msrLo & (MSR_ME | MSR_S)) |
    ((cpu.lpcr & LPCR_ILE) !== 0n ? MSR_LE : 0) |
    (vector.relocate ? MSR_IR | MSR_DR : 0);
  cpu.nia = vector.ea;
  cpu.icache?.contextSynchronize();
}

/**
 * Turn a translation fault of the instruction at `cia` into its interrupt:
 * DSI (DAR = EA, DSISR), data segment (DAR), ISI (SRR1 cause, SRR0 = the
 * address that could not be fetched), instruction segment, machine check.
 * Returns the vector offset.
 */
export function raiseFault(cpu: Cpu, fault: Fault, cia: bigint): number {
  switch (fault.kind) {
    case FaultKind.DSI:
      deliverInterrupt(cpu, VEC.DATA_STORAGE, cia, { dar: fault.ea, dsisr: fault.dsisr });
      return VEC.DATA_STORAGE;
    case FaultKind.DSEG:
      deliverInterrupt(cpu, VEC.DATA_SEGMENT, cia, { dar: fault.ea });
      return VEC.DATA_SEGMENT;
    case FaultKind.ISI:
      deliverInterrupt(cpu, VEC.INST_STORAGE, fault.ea, { srr1Cause: fault.srr1 });
      return VEC.INST_STORAGE;
    case FaultKind.ISEG:
      deliverInterrupt(cpu, VEC.INST_SEGMENT, fault.ea);
      return VEC.INST_SEGMENT;
    default:
      // A bad real address (access.ts): SRR1 cause bits; a data access also
      // sets DAR, a load DSISR.
      if (fault.access === Access.IFETCH) {
        deliverInterrupt(cpu, VEC.MACHINE_CHECK, fault.ea, { srr1Cause: fault.srr1 });
      } else {
        deliverInterrupt(cpu, VEC.MACHINE_CHECK, cia, {
          srr1Cause: fault.srr1,
          dar: fault.ea,
          ...(fault.access === Access.LOAD ? { dsisr: fault.dsisr } : {}),
        });
      }
      return VEC.MACHINE_CHECK;
  }
}

/** Program interrupt (0x700) for the instruction at `cia` with an SRR1 reason (SRR1_PROG*). */
export function programInterrupt(cpu: Cpu, cia: bigint, reason: number): void {
  deliverInterrupt(cpu, VEC.PROGRAM, cia, { srr1Cause: reason });
}

/**
 * MSR[SE] (single-step trace enable, value bit 10; asm/reg.h MSR_SE). Kept
 * here, beside the trace interrupt it enables.
 */
export const MSR_SE = 0x400;

/**
 * Trace interrupt (0xD00, Power ISA Book III "Trace Interrupt") after an
 * instruction completed with MSR[SE]=1: SRR0 = the address of the next
 * instruction that would have executed (`next`); SRR1 copies the MSR, SE
 * included; the new MSR has SE=0, so the handler is not traced.
 * SIMPLIFICATION: SRR1 bits 33:36 and 42:47 (the POWER9 trace-kind bits)
 * stay 0; the kernel's single_step_exception does not read them.
 */
export function traceInterrupt(cpu: Cpu, next: bigint): void {
  deliverInterrupt(cpu, VEC.TRACE, next);
}

/** System call (0xC00): SRR0 is the instruction after the `sc`. */
export function systemCall(cpu: Cpu, cia: bigint): void {
  deliverInterrupt(cpu, VEC.SYSTEM_CALL, cia + 4n);
}

/**
 * `rfid` (isa.md §10): MSR ← SRR1 except the cause bits; without hypervisor
 * state MSR[HV] and MSR[ME] are unchanged; NIA ← SRR0 & ~3. Context synchronising.
 */
export function rfid(cpu: Cpu): void {
  const srr1 = cpu.srr1;
  let hi = Number((srr1 >> 32n) & 0xffff_ffffn);
  let lo = Number(srr1 & 0xffff_ffffn) & ~SRR1_CAUSE_MASK_LO;
  if (!cpu.hv) {
    hi = (hi & ~MSR_HI_HV) | (cpu.msrHi & MSR_HI_HV);
    lo = (lo & ~MSR_ME) | (cpu.msrLo & MSR_ME);
  }
  cpu.msrHi = hi >>> 0;
  cpu.msrLo = lo >>> 0;
  cpu.nia = cpu.srr0 & ~3n;
  cpu.icache?.contextSynchronize();
}

/**
 * The register frame of an interrupt taken in kernel code, and the return
 * from it: what the common prologue of arch/powerpc/kernel/exceptions-64s.S
 * (`__GEN_COMMON_BODY`: GPRs, NIP = SRR0, MSR = SRR1, CTR, LR, XER, CCR,
 * SOFTE, TRAP) saves into `struct pt_regs`, and what `interrupt_return`
 * (interrupt_64.S, kernel case) restores before `rfid`, at v6.2. Handlers
 * change the frame (a kprobe moves NIP to its slot and sets MSR[SE]); the
 * return makes those changes architected state.
 */
import type { Cpu } from "../../../../machine/cpu.ts";
import { rfid } from "../../../../machine/exceptions.ts";
import { MSR_DR, MSR_IR } from "../../../../machine/registers.ts";
import type { Ctx } from "../../../core/ctx.ts";
import { irqSoftMaskReturn } from "../include/asm/hw_irq.ts";
import type { PtRegs } from "./process.ts";
import { INT_FRAME_SIZE, STACK_FRAME_OVERHEAD } from "./stacktrace.ts";

/**
 * The prologue's switch to virtual mode: handlers run with relocation on.
 * With LPCR[AIL]=3 (set by cpu_ready_for_interrupts() in HV mode) the
 * hardware enters relocated; without it, the real-mode prologue `rfid`s to
 * the virtual-mode handler. Either way the handler sees MSR[IR,DR]=1.
 */
export function interruptEnterVirtual(cpu: Cpu): void {
  cpu.msrLo = (cpu.msrLo | MSR_IR | MSR_DR) >>> 0;
}

/** `struct pt_regs` as handlers see it: writable, like the frame on the stack. */
export type InterruptRegs = { -readonly [K in keyof PtRegs]: PtRegs[K] } & { gpr: bigint[] };

/**
 * The frame the prologue saves for interrupt `trap` (0x700, 0xd00 ...) that
 * the machine just delivered on `c.cpu` (SRR0/SRR1 set, registers as the
 * interrupted code left them).
 * SIMPLIFICATION: CFAR is not modelled; `orig_gpr3` (which holds it for a
 * kernel-mode interrupt) is 0.
 */
export function interruptRegs(c: Ctx, trap: number): InterruptRegs {
  const cpu = c.cpu;
  const sp = cpu.gpr[1]!;
  return {
    gpr: Array.from(cpu.gpr),
    nip: cpu.srr0,
    msr: cpu.srr1,
    origGpr3: 0n,
    ctr: cpu.ctr,
    link: cpu.lr,
    xer: BigInt(cpu.xer >>> 0),
    ccr: BigInt(cpu.cr >>> 0),
    softe: BigInt(irqSoftMaskReturn(c.k, cpu.id)),
    trap,
    dar: cpu.dar,
    dsisr: BigInt(cpu.dsisr >>> 0),
    address: sp - BigInt(INT_FRAME_SIZE) + BigInt(STACK_FRAME_OVERHEAD),
  };
}

/**
 * Models `interrupt_return` to kernel code: restore the registers from the
 * frame, SRR0 = regs->nip, SRR1 = regs->msr, `rfid`.
 */
export function interruptReturn(cpu: Cpu, regs: InterruptRegs): void {
  cpu.gpr.set(regs.gpr);
  cpu.lr = regs.link;
  cpu.ctr = regs.ctr;
  cpu.xer = Number(regs.xer & 0xffff_ffffn);
  cpu.cr = Number(regs.ccr & 0xffff_ffffn);
  cpu.srr0 = regs.nip;
  cpu.srr1 = regs.msr;
  rfid(cpu);
}

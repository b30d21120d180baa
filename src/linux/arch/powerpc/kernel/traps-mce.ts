/**
 * A machine check taken in kernel code, from the vector to the handler's end:
 * the entry of arch/powerpc/kernel/exceptions-64s.S (v6.2,
 * `machine_check_early_common`: the real-mode `machine_check_early()`, then,
 * for a kernel-mode machine check that is unrecoverable (MSR[RI]=0) or was
 * not handled, `unrecoverable_mce`: MSR[ME] off, relocation on, and the NMI
 * handler `machine_check_exception()`), and that handler with
 * `unrecoverable_exception()` from traps.c (split from the same file, as
 * die.ts and traps-single-step.ts are).
 *
 * On PowerNV `machine_check_exception()` asks `opal_machine_check()`, which
 * prints the event and — for every error the machine raises (a bad real
 * address) taken in kernel mode — reboots the platform through a panic:
 * the store's is fatal, and a load's or fetch's would be handled by die(),
 * which would crash the kernel anyway in the NMI (`die_will_crash()`).
 *
 * SIMPLIFICATION: these handlers are not given kallsyms entries (no `kfunc`),
 * so as not to move the image's other functions: their frames show in no
 * stack dump. User-mode machine checks (queued for the async handler) and
 * handled ones (which return to the interrupted code) are not modelled: no
 * decoded error is handled.
 */

import { raiseFault } from "../../../../machine/exceptions.ts";
import type { Fault } from "../../../../machine/mmu/fault.ts";
import { OpKind } from "../../../../machine/ops.ts";
import { MSR_ME as MSR_ME_LO, VEC } from "../../../../machine/registers.ts";
import { visible } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { type Frame, siteOffset } from "../../../core/kfunc.ts";
import { addTaintTo, TAINT_MACHINE_CHECK } from "../../../kernel/panic.ts";
import { LOGLEVEL_EMERG } from "../../../kernel/printk.ts";
import { opalMachineCheck } from "../platforms/powernv/opal.ts";
import { die, dieMce, nmiEnter, SIGABRT, SIGBUS } from "./die.ts";
import { interruptEnterVirtual, interruptRegs } from "./interrupt.ts";
import { machineCheckEarly } from "./mce.ts";
import { MSR_RI, type PtRegs } from "./process.ts";
import { functionAddress, innermostFrameSp } from "./stacktrace.ts";

/**
 * Models `machine_check_exception()` (DEFINE_INTERRUPT_HANDLER_NMI: its
 * wrapper enters NMI context, relocation being on) →
 * `__machine_check_exception()`: taint M, the platform's handler
 * (`ppc_md.machine_check_exception` = opal_machine_check on PowerNV), and
 * if it did not recover, `die_mce("Machine check")`; an unrecoverable
 * interrupted context (MSR[RI]=0) dies in any case.
 */
function* machineCheckException(c: Ctx, regs: PtRegs, stack: readonly Frame[]): KGen<void> {
  nmiEnter(c);
  addTaintTo(c.k, TAINT_MACHINE_CHECK);
  const recover = yield* opalMachineCheck(c, regs, stack);
  // debugger_fault_handler(): no debugger; check_io_access(): PPC32 only.
  if (recover <= 0) yield* dieMce(c, "Machine check", regs, SIGBUS, stack);
  // bail:
  if ((regs.msr & MSR_RI) === 0n)
    yield* dieMce(c, "Unrecoverable Machine check", regs, SIGBUS, stack);
}

/** Models `unrecoverable_exception(regs)`: print and die. */
function* unrecoverableException(c: Ctx, regs: PtRegs, stack: readonly Frame[]): KGen<never> {
  const hex = (v: bigint) => v.toString(16);
  c.k.printk.printLines(
    [
      {
        level: LOGLEVEL_EMERG,
        text: `Unrecoverable exception ${hex(BigInt(regs.trap))} at ${hex(regs.nip)} (msr=${hex(regs.msr)})`,
      },
    ],
    c.current.pid,
  );
  return yield* die(c, "Unrecoverable exception", regs, SIGABRT, stack);
}

/**
 * The machine check the CPU just took (SRR0/SRR1/DAR/DSISR set) in kernel
 * code whose call stack was `stack`, as exceptions-64s.S handles it: the
 * frame, `machine_check_early()`, then for kernel mode `unrecoverable_mce`.
 * "We will not reach here. Even if we did, there is no way out":
 * `unrecoverable_exception()`. Never returns.
 */
export function* machineCheckInterrupt(c: Ctx, stack: readonly Frame[]): KGen<never> {
  const cpu = c.cpu;
  const regs = interruptRegs(c, VEC.MACHINE_CHECK);
  machineCheckEarly(c, regs);
  // unrecoverable_mce: disable_machine_check, then mtmsrd of the kernel MSR
  // without ME — relocation on for the C handler.
  cpu.msrLo = (cpu.msrLo & ~MSR_ME_LO) >>> 0;
  interruptEnterVirtual(cpu);
  yield* machineCheckException(c, regs, stack);
  return yield* unrecoverableException(c, regs, stack);
}

/**
 * A load or store of modelled kernel code (a `ld`/`st` task operation) that
 * machine-checked (`fault.kind === FaultKind.MCE`): the CPU takes the
 * interrupt at an address inside the function on top of the call stack —
 * `site` names the access there, for a stable offset — with r1 and LR as
 * that function left them, and the kernel handles it. Never returns.
 */
export function* machineCheckOnAccess(c: Ctx, fault: Fault, site: string): KGen<never> {
  const k = c.k;
  const cpu = c.cpu;
  const stack = c.current.stack.slice();
  const top = stack[stack.length - 1];
  if (top === undefined) throw new Error("machine check outside any kernel function");
  const base = functionAddress(k, top.fn);
  const off = siteOffset(top.fn, `mce ${site}`);
  const nip = base + BigInt(off);
  yield* visible(cpu, OpKind.OTHER, "machine check", nip);
  const sp = innermostFrameSp(c.current, stack);
  if (sp !== undefined) cpu.gpr[1] = sp;
  cpu.lr = base + BigInt(Math.max(16, off - 16));
  raiseFault(cpu, fault, nip);
  return yield* machineCheckInterrupt(c, stack);
}

/**
 * Synchronous interrupts raised by compiled kernel code running in the
 * interpreter, taken the way the kernel's vectors take them
 * (arch/powerpc/kernel/exceptions-64s.S at v6.2: `program_check_common` →
 * program_check_exception, `emulation_assist_common` →
 * emulation_assist_interrupt, `machine_check_early_common` → traps-mce.ts,
 * `single_step_common` → single_step_exception):
 * the guest stops at the interrupt, the CPU takes it (SRR0, SRR1, MSR), the
 * handler runs on the saved frame and returns from it, and the guest resumes
 * wherever that return sent the CPU — after a WARN, at a kprobe's slot with
 * MSR[SE] set, or after the probed instruction.
 * SIMPLIFICATION: other interrupts raised by compiled code go to their
 * vectors as the interpreter delivers them (no handlers are modelled there).
 */

import {
  deliverInterrupt,
  programInterrupt,
  raiseFault,
  traceInterrupt,
} from "../../../../machine/exceptions.ts";
import type { RaisedInterrupt } from "../../../../machine/exec/context.ts";
import { type CpuModel, Guest } from "../../../../machine/interp.ts";
import { OpKind } from "../../../../machine/ops.ts";
import { VEC } from "../../../../machine/registers.ts";
import { visible } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import type { GuestRunner } from "../../../image/call-compiled.ts";
import { emulationAssistInterrupt, programCheckException } from "./die.ts";
import { interruptEnterVirtual, interruptRegs } from "./interrupt.ts";
import { machineCheckInterrupt } from "./traps-mce.ts";
import { singleStepException } from "./traps-single-step.ts";

export interface KernelGuestOptions {
  /** The CPU the kernel is built for (-mcpu). */
  readonly cpuModel: CpuModel;
  /** Instructions one compiled call may run, interrupts included. */
  readonly maxInsns: number;
}

/** The interrupts of compiled code the kernel's handlers take (the others go to their vectors). */
function handled(info: RaisedInterrupt): boolean {
  const v = info.vector;
  return (
    v === VEC.PROGRAM ||
    v === VEC.TRACE ||
    v === VEC.HV_EMU_ASSIST ||
    (v === VEC.MACHINE_CHECK && info.fault !== undefined)
  );
}

/**
 * Take interrupt `info` (program check, emulation assistance, machine check
 * or trace) on `c.cpu` and run its handler.
 */
function* synchronousInterrupt(c: Ctx, info: RaisedInterrupt): KGen<void> {
  const cpu = c.cpu;
  yield* visible(cpu, OpKind.OTHER, "interrupt");
  const stack = c.current.stack.slice();
  if (info.vector === VEC.PROGRAM) {
    programInterrupt(cpu, info.cia, info.srr1Cause);
    interruptEnterVirtual(cpu);
    yield* programCheckException(c, interruptRegs(c, VEC.PROGRAM), stack);
  } else if (info.vector === VEC.HV_EMU_ASSIST) {
    // EXC_REAL_BEGIN(emulation_assist, 0xe40): an HSRR interrupt (IHSRR=1),
    // so the frame's NIP and MSR come from HSRR0/HSRR1.
    deliverInterrupt(cpu, VEC.HV_EMU_ASSIST, info.cia, { hv: true });
    interruptEnterVirtual(cpu);
    const regs = interruptRegs(c, VEC.HV_EMU_ASSIST);
    regs.nip = cpu.hsrr0;
    regs.msr = cpu.hsrr1;
    yield* emulationAssistInterrupt(c, regs, stack);
  } else if (info.fault !== undefined && info.vector === VEC.MACHINE_CHECK) {
    raiseFault(cpu, info.fault, info.cia);
    yield* machineCheckInterrupt(c, stack);
  } else {
    // The interpreter left NIA at the next instruction: SRR0 of a trace.
    traceInterrupt(cpu, cpu.nia);
    interruptEnterVirtual(cpu);
    yield* singleStepException(c, interruptRegs(c, VEC.TRACE), stack);
  }
}

/**
 * The guest runner for compiled kernel code (`setGuestRunner`): run until
 * control returns to `returnTo`, taking program checks and trace interrupts
 * through the kernel's handlers on the way. False when the call did not
 * return (a fault delivered elsewhere, the instruction budget).
 */
export function kernelGuestRunner(opts: KernelGuestOptions): GuestRunner {
  return new KernelGuestRunner(opts);
}

/** The runner's options are its fields, not captured: a fork of the kernel holds a copy. */
class KernelGuestRunner implements GuestRunner {
  private readonly opts: KernelGuestOptions;

  constructor(opts: KernelGuestOptions) {
    this.opts = opts;
  }

  *run(c: Ctx, returnTo: bigint): KGen<boolean> {
    const opts = this.opts;
    let budget = opts.maxInsns;
    for (;;) {
      const raised: { info: RaisedInterrupt | null } = { info: null };
      const g = new Guest(c.k.machine, c.cpu, {
        cpuModel: opts.cpuModel,
        stopAt: returnTo,
        maxInsns: budget,
        hooks: {
          interrupt: (_x, info) => {
            if (!handled(info)) return false;
            raised.info = info;
            return true;
          },
        },
      });
      yield* g.task();
      budget -= g.insns;
      if (g.status === "returned") return true;
      if (g.status !== "stopped" || raised.info === null || budget <= 0) return false;
      yield* synchronousInterrupt(c, raised.info);
    }
  }
}

/**
 * `single_step_exception()` of arch/powerpc/kernel/traps.c (v6.2), split
 * from the file's program-check path (die.ts): the handler of the trace
 * interrupt (0xd00) that follows an instruction executed with MSR[SE]=1.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { type Frame, kfunc } from "../../../core/kfunc.ts";
import { die, SIGTRAP } from "./die.ts";
import { type InterruptRegs, interruptReturn } from "./interrupt.ts";
import { kprobePostHandler } from "./kprobes-handler.ts";
import { MSR_BE, MSR_SE } from "./process.ts";

/**
 * Models `single_step_exception(regs)`: clear the trace bits in the frame
 * (`clear_single_step`, `clear_br_trace`), let kprobes claim the step
 * (`kprobe_post_handler`); otherwise no notifier or debugger claims it and
 * `_exception(SIGTRAP, regs, TRAP_TRACE, nip)` in kernel mode dies.
 * `stack` is the task's call stack at the interrupt.
 */
export const singleStepException = kfunc(
  { name: "single_step_exception", file: "arch/powerpc/kernel/traps.c", size: 0x90 },
  function* (c: Ctx, regs: InterruptRegs, stack: readonly Frame[]): KGen<void> {
    regs.msr &= ~(MSR_SE | MSR_BE);
    if (yield* kprobePostHandler(c, regs)) {
      interruptReturn(c.cpu, regs);
      return;
    }
    return yield* die(c, "Exception in kernel mode", regs, SIGTRAP, stack);
  },
);

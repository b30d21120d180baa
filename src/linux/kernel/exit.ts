/**
 * How a task dies. Models `make_task_dead()` and the part of `do_exit()`
 * that matters here (kernel/exit.c at v6.2): a dying kernel task never
 * returns, so `doExit` unwinds the task's generator stack with a `TaskExit`
 * signal that `runKernelThread` (the task's outermost frame) absorbs. Locks
 * the task held stay held, as in the kernel.
 */

import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import { doPanic } from "./panic-flow.ts";
import { LOGLEVEL_INFO } from "./printk.ts";

/** Thrown by `doExit` to end the current task; caught by `runKernelThread`. */
export class TaskExit {
  readonly pid: number;
  readonly code: number;
  constructor(pid: number, code: number) {
    this.pid = pid;
    this.code = code;
  }
}

/**
 * Runs a kernel task body so that `do_exit()` inside it ends the task
 * cleanly (the generator returns). The boot code wraps every task in it.
 * Returns the exit code, or undefined when the body returned normally.
 */
export function* runKernelThread(c: Ctx, body: (c: Ctx) => KGen<void>): KGen<number | undefined> {
  try {
    yield* body(c);
    return undefined;
  } catch (e) {
    if (e instanceof TaskExit && e.pid === c.current.pid) return e.code;
    throw e;
  }
}

/**
 * Models `do_exit(code)`: the global init (PID 1) dying panics with
 * "Attempted to kill init! exitcode=0x%08x"; any other task just ends.
 * SIMPLIFICATION: no exit notification, no reaping, no mm teardown.
 */
export const doExit = kfunc(
  { name: "do_exit", file: "kernel/exit.c", size: 0x9a0 },
  function* (c: Ctx, code: number): KGen<never> {
    if (c.current.pid === 1) {
      yield* doPanic(
        c,
        `Attempted to kill init! exitcode=0x${(code >>> 0).toString(16).padStart(8, "0")}\n`,
      );
    }
    throw new TaskExit(c.current.pid, code);
  },
);

/**
 * Models `make_task_dead(signr)` (v6.2): panic for an interrupt handler or
 * the idle task (PID 0); report and reset a leftover preempt count; then
 * `do_exit`. (The "exited with irqs disabled" note arrived in v6.3; the
 * oops_limit check is not modelled: it needs 10000 oopses.)
 */
export const makeTaskDead = kfunc(
  { name: "make_task_dead", file: "kernel/exit.c", size: 0x150 },
  function* (c: Ctx, signr: number, inInterrupt = false): KGen<never> {
    if (inInterrupt) yield* doPanic(c, "Aiee, killing interrupt handler!");
    if (c.current.pid === 0) yield* doPanic(c, "Attempted to kill the idle task!");
    if (c.current.preemptCount !== 0) {
      c.k.printk.printLines(
        [
          {
            level: LOGLEVEL_INFO,
            text: `note: ${c.current.comm}[${c.current.pid}] exited with preempt_count ${c.current.preemptCount}`,
          },
        ],
        c.current.pid,
      );
      c.current.preemptCount = 0;
    }
    return yield* doExit(c, signr);
  },
);

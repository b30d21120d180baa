/**
 * The atomic-sleep checker. Models `__might_sleep()` / `__might_resched()`
 * (kernel/sched/core.c, v6.2) under CONFIG_DEBUG_ATOMIC_SLEEP: a function
 * that may sleep, called with interrupts disabled, with a non-zero preempt
 * count (a spinlock held) or from the idle task, prints
 * "BUG: sleeping function called from invalid context at FILE:LINE", the
 * context line, the preempt count line and a stack dump, and taints W.
 * Silent while the system is booting or shutting down and during an oops;
 * rate-limited to once per second (HZ jiffies) of simulated time.
 */

import { irqsDisabled } from "../../arch/powerpc/include/asm/hw_irq.ts";
import { dumpStack } from "../../arch/powerpc/kernel/stacktrace.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import { kfunc } from "../../core/kfunc.ts";
import { TB_TICKS_PER_SEC } from "../../include/linux/delay.ts";
import { addTaintTo, panicState, TAINT_WARN } from "../panic.ts";
import { LOGLEVEL_ERR } from "../printk.ts";

const MIGHT_SLEEP = defineSlot("might-sleep", () => ({ prevReportTb: -1, reports: 0 }));

/** Who hears of every might_sleep() in atomic context, whatever the configuration (a checker). */
export interface AtomicSleepWatcher {
  mightSleepInAtomic(c: Ctx, file: string, line: number): void;
}

const ATOMIC_SLEEP_WATCH = defineSlot("atomic-sleep-watch", () => ({
  watcher: null as AtomicSleepWatcher | null,
}));

/** Install (or remove, with null) the kernel's atomic-sleep watcher. */
export function setAtomicSleepWatcher(k: Kernel, w: AtomicSleepWatcher | null): void {
  k.slot(ATOMIC_SLEEP_WATCH).watcher = w;
}

/** How many "sleeping function called from invalid context" reports were printed. */
export function mightSleepReports(c: Pick<Ctx, "k">): number {
  return c.k.slot(MIGHT_SLEEP).reports;
}

/** Would sleeping be a bug here (the checker's condition, without the reporting filters)? */
export function inAtomicContext(c: Ctx): boolean {
  return c.current.preemptCount !== 0 || irqsDisabled(c) || c.current.pid === 0;
}

/**
 * Models `__might_sleep(file, line)` → `__might_resched(file, line, 0)`.
 * Without CONFIG_DEBUG_ATOMIC_SLEEP `might_sleep()` checks nothing.
 */
export const __mightSleep = kfunc(
  { name: "__might_resched", file: "kernel/sched/core.c", size: 0x2d0 },
  function* (c: Ctx, file: string, line: number): KGen<void> {
    const k = c.k;
    if (!inAtomicContext(c)) return;
    if (k.systemState === "booting" || k.systemState === "halt" || k.systemState === "panic")
      return;
    if (panicState(k).panicCpu !== -1) return;
    const st = k.slot(MIGHT_SLEEP);
    const tb = k.machine.tb;
    if (st.prevReportTb >= 0 && tb < st.prevReportTb + TB_TICKS_PER_SEC) return;
    st.prevReportTb = tb;
    st.reports++;
    const t = c.current;
    const err = (text: string) => ({ level: LOGLEVEL_ERR as typeof LOGLEVEL_ERR, text });
    k.printk.printLines(
      [
        err(`BUG: sleeping function called from invalid context at ${file}:${line}`),
        err(
          `in_atomic(): ${t.preemptCount !== 0 ? 1 : 0}, irqs_disabled(): ${irqsDisabled(c) ? 1 : 0}, non_block: 0, pid: ${t.pid}, name: ${t.comm}`,
        ),
        err(`preempt_count: ${t.preemptCount.toString(16)}, expected: 0`),
      ],
      t.pid,
    );
    yield* dumpStack(c);
    addTaintTo(k, TAINT_WARN);
  },
);

/** Models `might_sleep()` at `file:line` (a no-op without CONFIG_DEBUG_ATOMIC_SLEEP). */
export function* mightSleep(c: Ctx, file: string, line: number): KGen<void> {
  const watch = c.k.slot(ATOMIC_SLEEP_WATCH);
  if (watch.watcher !== null && inAtomicContext(c)) watch.watcher.mightSleepInAtomic(c, file, line);
  if (c.k.config.bool("DEBUG_ATOMIC_SLEEP")) yield* __mightSleep(c, file, line);
}

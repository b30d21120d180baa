/**
 * might-sleep: nothing that may sleep runs with interrupts disabled or a
 * spinlock held — above all no GFP_KERNEL allocation inside
 * patch_instruction (interrupts off) or under the alias's PTE lock. What
 * CONFIG_DEBUG_ATOMIC_SLEEP's __might_resched() reports, here whatever the
 * configuration: might_sleep() tells the kernel's atomic-sleep watcher
 * (src/linux/kernel/sched/core.ts) every time it runs in atomic context, and
 * the finding is reported at the end of that step. Silent where
 * __might_resched() is: while the system is booting, after it stopped
 * running, during an oops.
 */

import { irqsDisabled } from "../../linux/arch/powerpc/include/asm/hw_irq.ts";
import type { Ctx } from "../../linux/core/ctx.ts";
import { panicState } from "../../linux/kernel/panic.ts";
import { setAtomicSleepWatcher } from "../../linux/kernel/sched/core.ts";
import type { ExecState } from "../execution.ts";
import type { Invariant } from "./invariant.ts";

interface Seen {
  readonly message: string;
}

function pending(x: ExecState): Map<number, Seen> {
  return x.scratch.get("might-sleep") as Map<number, Seen>;
}

function describe(c: Ctx, file: string, line: number): string {
  const t = c.current;
  const calls = t.stack
    .map((f) => f.fn.name)
    .reverse()
    .slice(0, 4)
    .join(" < ");
  const why: string[] = [];
  if (irqsDisabled(c)) why.push("interrupts disabled");
  if (t.preemptCount !== 0) why.push(`preempt_count ${t.preemptCount} (a spinlock held)`);
  if (t.pid === 0) why.push("in the idle task");
  return `CPU ${c.cpu.id} may sleep at ${file}:${line} (in ${calls}) with ${why.join(" and ")}`;
}

export const mightSleep: Invariant = {
  name: "might-sleep",
  summary: "nothing that may sleep runs with interrupts disabled or a spinlock held",
  start(x) {
    const seen = new Map<number, Seen>();
    x.scratch.set("might-sleep", seen);
    setAtomicSleepWatcher(x.k, {
      mightSleepInAtomic(c, file, line) {
        const k = c.k;
        if (k.systemState === "booting" || k.systemState === "halt" || k.systemState === "panic")
          return;
        if (panicState(k).panicCpu !== -1) return;
        if (!seen.has(c.cpu.id)) seen.set(c.cpu.id, { message: describe(c, file, line) });
      },
    });
  },
  step(x, s) {
    const seen = pending(x);
    if (seen.size === 0) return;
    const f = seen.get(s.cpu);
    if (f === undefined) return;
    seen.delete(s.cpu);
    x.fail("might-sleep", s.cpu, f.message);
  },
};

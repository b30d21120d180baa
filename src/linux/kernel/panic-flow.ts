/**
 * The control flow of `panic()` (kernel/panic.c at v6.2); its text comes
 * from panic.ts. After a panic the simulated machine stops: every other CPU
 * is taken offline (`smp_send_stop()`), and the panicking CPU goes offline
 * and spins forever, so a run ends with `k.systemState === "panic"` and no
 * runnable CPU.
 */
import { OpKind } from "../../machine/ops.ts";
import { visible, waitUntil } from "../../machine/task-ops.ts";
import { dumpStack } from "../arch/powerpc/kernel/stacktrace.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import { panic, panicState, TAINT_DIE, testTaint } from "./panic.ts";

/**
 * Models `panic(fmt, ...)` with the message already formatted: print
 * `Kernel panic - not syncing: <msg>`, a stack dump unless an oops already
 * printed one (taint D), stop the other CPUs, print the end marker (or
 * `Rebooting in <n> seconds..` with a panic timeout), and never return.
 * A second CPU that panics meanwhile just stops (`panic_smp_self_stop()`).
 */
export const doPanic = kfunc(
  { name: "panic", file: "kernel/panic.c", size: 0x3a0 },
  function* (c: Ctx, msg: string): KGen<never> {
    const k = c.k;
    const s = panicState(k);
    yield* visible(c.cpu, OpKind.OTHER, "panic");
    if (s.panicCpu !== -1 && s.panicCpu !== c.cpu.id) yield* haltForever(c);
    s.panicCpu = c.cpu.id;
    const withStack = !testTaint(s.taint, TAINT_DIE);
    const [first, ...rest] = panic(msg, { taint: s.taint, panicTimeout: s.panicTimeout });
    k.printk.printLines([first!], c.current.pid);
    if (withStack) yield* dumpStack(c);
    k.systemState = "panic";
    // smp_send_stop(): the other CPUs stop where they are.
    for (const cpu of k.machine.cpus) if (cpu !== c.cpu) cpu.online = false;
    k.printk.printLines(rest, c.current.pid);
    return yield* haltForever(c);
  },
);

/** The CPU stops for good: offline, and blocked on a condition that never holds. */
function* haltForever(c: Ctx): KGen<never> {
  c.cpu.online = false;
  yield* waitUntil(c.cpu, () => false, "halted");
  throw new Error(`CPU ${c.cpu.id} ran after halting`);
}

/**
 * Busy-wait delays in simulated time. Models `mdelay()` (include/linux/delay.h):
 * the CPU spins, so the only effect visible to the model is that the shared
 * timebase (and with it the printk clock) moves on.
 */
import { OpKind } from "../../../machine/ops.ts";
import { visible } from "../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import type { PrintkClock } from "../../kernel/printk.ts";

/**
 * `tb_ticks_per_sec`: the timebase frequency. The machine's default step is
 * 512 ticks = 1 µs, i.e. 512 MHz (the POWER9 timebase frequency).
 */
export const TB_TICKS_PER_SEC = 512_000_000;

/** Simulated nanoseconds since boot at timebase value `tb` (what a printk clock reads). */
export function tbToNs(tb: number): bigint {
  return (BigInt(tb) * 1_000_000_000n) / BigInt(TB_TICKS_PER_SEC);
}

/**
 * The printk clock (`local_clock()`, the timebase on powerpc) of a machine:
 * an object holding the machine rather than a closure over it, so a forked
 * kernel's clock is a copy reading the fork's machine (src/util/clone.ts).
 */
export class TimebaseClock implements PrintkClock {
  readonly machine: { readonly tb: number };

  constructor(machine: { readonly tb: number }) {
    this.machine = machine;
  }

  now(): bigint {
    return tbToNs(this.machine.tb);
  }
}

/**
 * Models `mdelay(ms)`. SIMPLIFICATION: the whole spin is one step that
 * advances the shared timebase; other CPUs do not run "during" it.
 */
export function* mdelay(c: Ctx, ms: number): KGen<void> {
  yield* visible(c.cpu, OpKind.OTHER, "mdelay");
  c.k.machine.tb += ms * (TB_TICKS_PER_SEC / 1000);
}

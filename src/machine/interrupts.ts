/**
 * Asynchronous interrupts at step boundaries: whether one is pending on a
 * CPU, offering it to Choices (which decides whether it arrives at this step
 * or later), and delivering it — architected state through
 * ./exceptions.ts, then the kernel model's handler task pushed above the
 * interrupted one. Apart from the run loop because this is the one place a
 * step can start somewhere other than where the CPU's task stopped.
 */
import type { Choices } from "../util/choices.ts";
import type { Cpu } from "./cpu.ts";
import { deliverInterrupt } from "./exceptions.ts";
import { pushTask } from "./frames.ts";
import type { Machine } from "./machine.ts";
import type { Task } from "./ops.ts";
import { VEC } from "./registers.ts";

/**
 * Produces the handler task a delivered asynchronous interrupt runs (the
 * kernel model's interrupt entry), or null to only change architected state
 * (an interpreter continues at the vector by itself).
 */
export type InterruptEntry = (m: Machine, cpu: Cpu, vector: number) => Task | null;

/** Is an external or decrementer interrupt pending on `cpu` at timebase `tb`, and MSR[EE]=1? */
export function interruptPending(cpu: Cpu, tb: number): boolean {
  return (cpu.externalPending || cpu.readDec(tb) < 0) && cpu.ee;
}

/**
 * Offer `cpu`'s pending interrupt to Choices; if it accepts, deliver it: the
 * handler task (if the interrupt entry gives one) runs in this same step.
 */
export function offerInterrupt(m: Machine, cpu: Cpu, choices: Choices): void {
  // External before decrementer: the architected priority order.
  const external = cpu.externalPending;
  if (!choices.deliverInterrupt(cpu.id, external ? "external" : "decrementer")) return;
  const vector = external ? VEC.EXTERNAL : VEC.DECREMENTER;
  // SIMPLIFICATION: delivery consumes an external assertion (edge-triggered).
  if (external) cpu.externalPending = false;
  deliverInterrupt(cpu, vector, cpu.nia);
  const handler = m.interruptEntry?.(m, cpu, vector) ?? null;
  if (handler !== null) pushTask(cpu, handler);
}

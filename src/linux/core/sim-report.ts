/**
 * What the model saw that the kernel would not: an operation whose effect in
 * the real kernel is silent memory corruption (a write to a freed object, a
 * second free), with no oops or warning to show for it. Kernel code that
 * models such an operation does what the kernel does (the decrement lands in
 * freed memory, nothing is printed) and records a report here, so that the
 * caller of the run (`textpoke boot`, the interleaving checker) can say what
 * happened instead of the simulator stopping with an internal error.
 *
 * The reports live in a kernel slot: plain data, so a forked kernel carries
 * its parent's reports.
 */
import { defineSlot, type Kernel } from "./kernel.ts";

/** One silent corruption the model saw. */
export interface SimReport {
  /** What went wrong, e.g. `use-after-free`, `double-free`, `bad-access`. */
  readonly kind: "use-after-free" | "double-free" | "bad-access" | string;
  /** The CPU that performed the operation. */
  readonly cpu: number;
  /** What was accessed and how, e.g. "mmput(mm#1): mm_users of a freed mm_struct decremented". */
  readonly message: string;
}

const REPORTS = defineSlot("sim-reports", (): SimReport[] => []);

/** Record that `cpu` just did something whose real effect is silent corruption. */
export function reportToSim(
  k: Kernel,
  cpu: number,
  kind: SimReport["kind"],
  message: string,
): void {
  k.slot(REPORTS).push({ kind, cpu, message });
}

/** The reports of this kernel so far, oldest first. */
export function simReports(k: Kernel): readonly SimReport[] {
  return k.slot(REPORTS);
}

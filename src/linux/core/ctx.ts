/**
 * How simulated kernel code runs. Kernel functions are generator functions
 * that take the execution context first and call each other with `yield*`;
 * they yield (through src/machine/task-ops.ts) exactly before each
 * shared-state operation, so the scheduler can interleave CPUs there and
 * nowhere else (architecture.md §3).
 */
import type { Cpu } from "../../machine/cpu.ts";
import type { OpKind } from "../../machine/ops.ts";
import type { TaskStruct } from "../include/linux/sched.ts";
import type { Kernel } from "./kernel.ts";

/** A kernel function's generator: yields machine operations, returns T. */
export type KGen<T> = Generator<OpKind, T, void>;

/**
 * The execution context of running kernel code: the kernel instance, the CPU
 * it runs on (`smp_processor_id()`), and `current`.
 */
export interface Ctx {
  readonly k: Kernel;
  readonly cpu: Cpu;
  readonly current: TaskStruct;
}

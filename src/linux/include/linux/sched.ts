/**
 * `struct task_struct` as far as the model needs it (include/linux/sched.h):
 * identity, address spaces, and the shadow call stack kfunc maintains.
 */
import type { Frame } from "../../core/kfunc.ts";

/** Opaque here; `struct mm_struct` is defined by the mm model. */
export interface MmRef {
  readonly name: string;
}

export interface TaskStruct {
  readonly pid: number;
  /** `comm`, at most 15 characters as TASK_COMM_LEN allows. */
  comm: string;
  /** User address space; null for kernel threads. */
  mm: MmRef | null;
  /** The mm whose tables are live while this task runs (init_mm for kernel threads). */
  activeMm: MmRef | null;
  /** Shadow call stack, outermost first. */
  readonly stack: Frame[];
  /** Top of this task's kernel stack (THREAD_SIZE bytes below it). */
  readonly stackTop: bigint;
  /** `preempt_count()`. */
  preemptCount: number;
}

export function createTask(pid: number, comm: string, stackTop: bigint): TaskStruct {
  return {
    pid,
    comm: comm.slice(0, 15),
    mm: null,
    activeMm: null,
    stack: [],
    stackTop,
    preemptCount: 0,
  };
}

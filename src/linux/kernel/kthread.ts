/**
 * Task creation for kernel threads and idle tasks (kernel/kthread.c,
 * kernel/fork.c `fork_idle`, kernel/pid.c `alloc_pid`), as far as boot and
 * hotplug need it: a PID, a comm, and a kernel stack (THREAD_SIZE bytes from
 * the page allocator).
 */
import type { Choices } from "../../util/choices.ts";
import { __va } from "../arch/powerpc/kernel/vmlinux.ts";
import { defineSlot, type Kernel, runChoices } from "../core/kernel.ts";
import { createTask, type TaskStruct } from "../include/linux/sched.ts";
import { frameAllocator } from "../mm/page_alloc.ts";

/** `THREAD_SIZE` on ppc64 (THREAD_SHIFT 14). */
export const THREAD_SIZE = 16384;

interface PidState {
  /** The next PID `alloc_pid` hands out. */
  nextPid: number;
  /** Kernel stacks currently allocated (for leak checks). */
  stacks: number;
}

const PIDS = defineSlot<PidState>("pid", () => ({ nextPid: 0, stacks: 0 }));

// SIMPLIFICATION: kernel-stack allocation at boot and hotplug is not a failure
// site (the model has no OOM handling for thread creation).
const NEVER_FAIL = (c: Choices): Choices => ({
  pickCpu: (r) => c.pickCpu(r),
  deliverInterrupt: (cpu, kind) => c.deliverInterrupt(cpu, kind),
  failAllocation: () => false,
  random: (b) => c.random(b),
});

/** A kernel stack: THREAD_SIZE bytes from the page allocator; returns its top (linear map). */
function allocThreadStack(k: Kernel): bigint {
  const frames = frameAllocator(k);
  const order = Math.max(0, Math.log2(THREAD_SIZE / frames.frameSize));
  const pa = frames.alloc(NEVER_FAIL(runChoices(k)), "thread_stack", order);
  if (pa === null) throw new Error("out of memory for kernel stacks");
  k.slot(PIDS).stacks++;
  return __va(pa + Math.max(THREAD_SIZE, frames.frameSize));
}

/** Models `alloc_pid()`: PIDs in creation order (no reuse: nothing exits here). */
export function allocPid(k: Kernel): number {
  return k.slot(PIDS).nextPid++;
}

/** The number of PIDs handed out so far (the next PID). */
export function pidsAllocated(k: Kernel): number {
  return k.slot(PIDS).nextPid;
}

/** Kernel stacks allocated so far. */
export function threadStacks(k: Kernel): number {
  return k.slot(PIDS).stacks;
}

/** `init_task`: PID 0, "swapper/0", the boot CPU's task and later its idle task. */
export function createInitTask(k: Kernel): TaskStruct {
  const pid = allocPid(k);
  if (pid !== 0) throw new Error("init_task must be the first task");
  const t = createTask(0, "swapper/0", allocThreadStack(k));
  k.tasks.set(0, t);
  return t;
}

/** Models `kernel_thread()`/`kthread_create()`: a new kernel thread with its own PID. */
export function createKthread(k: Kernel, comm: string): TaskStruct {
  const t = createTask(allocPid(k), comm, allocThreadStack(k));
  k.tasks.set(t.pid, t);
  return t;
}

/**
 * Models `fork_idle(cpu)`: the idle task of a secondary CPU — PID 0 like
 * init_task (idle tasks share PID 0), comm "swapper/<cpu>". Not in the PID
 * table, as idle tasks are not hashed.
 */
export function forkIdle(k: Kernel, cpu: number): TaskStruct {
  return createTask(0, `swapper/${cpu}`, allocThreadStack(k));
}

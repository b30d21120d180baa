/**
 * Sleeping locks (include/linux/mutex.h, kernel/locking/mutex.c). Unlike a
 * spinlock a mutex does not disable preemption, so sleeping allocations
 * under it are legal. Acquire and release are visible operations; a task
 * waiting for a held mutex is blocked until the owner releases it.
 * SIMPLIFICATION: a blocked task keeps its CPU (no scheduler to run another
 * task meanwhile); no optimistic spinning or handoff.
 */
import { OpKind } from "../../../machine/ops.ts";
import { visible, waitUntil } from "../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";

/** `struct mutex`: the owning task's PID, or -1 when free. */
export interface Mutex {
  readonly name: string;
  owner: number;
}

/** Models `mutex_init()` / `DEFINE_MUTEX()`. */
export function mutexInit(name: string): Mutex {
  return { name, owner: -1 };
}

/** Models `mutex_lock()`. Re-acquiring a mutex the task holds deadlocks, as in the kernel. */
export function* mutexLock(c: Ctx, lock: Mutex): KGen<void> {
  yield* visible(c.cpu, OpKind.LOCK, lock);
  yield* waitUntil(c.cpu, () => lock.owner === -1, lock);
  lock.owner = c.current.pid;
}

/** Models `mutex_unlock()`; unlocking a mutex the task does not hold is a simulator bug. */
export function* mutexUnlock(c: Ctx, lock: Mutex): KGen<void> {
  yield* visible(c.cpu, OpKind.UNLOCK, lock);
  if (lock.owner !== c.current.pid) {
    throw new Error(`mutex_unlock(${lock.name}) by PID ${c.current.pid}, owner ${lock.owner}`);
  }
  lock.owner = -1;
}

/** Models `mutex_is_locked()`. */
export function mutexIsLocked(lock: Mutex): boolean {
  return lock.owner !== -1;
}

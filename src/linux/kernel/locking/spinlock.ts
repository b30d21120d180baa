/**
 * Spinlocks (include/linux/spinlock.h, kernel/locking/spinlock.c). Acquire and
 * release are visible operations: the scheduler may switch CPUs right before
 * each. A CPU spinning on a held lock is blocked (not runnable) until the
 * owner releases it, so a lock cycle is reported as a deadlock by the machine.
 */
import { OpKind } from "../../../machine/ops.ts";
import { visible, waitUntil } from "../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";

/** `spinlock_t`: the owning CPU, or -1 when free. */
export interface Spinlock {
  readonly name: string;
  owner: number;
}

/** Models `spin_lock_init()`. */
export function spinLockInit(name: string): Spinlock {
  return { name, owner: -1 };
}

/**
 * Models `spin_lock()`: disables preemption, then spins until the lock is
 * free. SIMPLIFICATION: no fairness (qspinlock queueing) — which waiter gets a
 * released lock is the scheduler's choice.
 */
export function* spinLock(c: Ctx, lock: Spinlock): KGen<void> {
  c.current.preemptCount++;
  yield* visible(c.cpu, OpKind.LOCK, lock);
  // waitUntil takes no step when the condition holds: no predicate to make then.
  if (lock.owner !== -1) yield* waitUntil(c.cpu, () => lock.owner === -1, lock);
  lock.owner = c.cpu.id;
}

/** Models `spin_unlock()`. Releasing a lock this CPU does not hold is a simulator bug. */
export function* spinUnlock(c: Ctx, lock: Spinlock): KGen<void> {
  yield* visible(c.cpu, OpKind.UNLOCK, lock);
  if (lock.owner !== c.cpu.id) {
    throw new Error(`spin_unlock(${lock.name}) on CPU ${c.cpu.id}, owner ${lock.owner}`);
  }
  lock.owner = -1;
  c.current.preemptCount--;
}

/** Models `spin_is_locked()` (by anyone). */
export function spinIsLocked(lock: Spinlock): boolean {
  return lock.owner !== -1;
}

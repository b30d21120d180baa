// Mutual exclusion under random schedules: CPUs increment a shared counter
// with a non-atomic read-modify-write — read, a step other CPUs may take
// (`visible`), write — inside a lock's critical section. The lock is correct
// when no two CPUs are ever inside at once and no increment is lost.
import type { Ctx, KGen } from "../../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../../src/linux/core/kernel.ts";
import { runKernelThread } from "../../../../src/linux/kernel/exit.ts";
import { RandomChoices } from "../../../../src/machine/choices/random.ts";
import { OpKind } from "../../../../src/machine/ops.ts";
import { visible } from "../../../../src/machine/task-ops.ts";
import { task, testKernel } from "../../helpers/kernel.ts";

/** What one schedule did. */
export interface ExclusionRun {
  readonly status: string;
  /** The counter after the run. */
  readonly count: number;
  /** The most CPUs ever inside the critical section at once. */
  readonly maxInside: number;
}

export interface Lock {
  acquire(c: Ctx): KGen<void>;
  release(c: Ctx): KGen<void>;
}

/** `cpus` CPUs, each `rounds` times: lock; v = count; (step); count = v + 1; unlock. */
export function runExclusion(
  seed: number,
  cpus: number,
  rounds: number,
  makeLock: (k: Kernel) => Lock | null,
): ExclusionRun {
  const k = testKernel({ cpus });
  const lock = makeLock(k);
  const shared = { count: 0, inside: 0, maxInside: 0 };
  for (let id = 0; id < cpus; id++) {
    const c: Ctx = { k, cpu: k.machine.cpu(id), current: task(k, 10 + id, `worker/${id}`) };
    k.machine.spawn(
      id,
      (function* () {
        yield* runKernelThread(c, function* (c) {
          for (let i = 0; i < rounds; i++) {
            if (lock !== null) yield* lock.acquire(c);
            shared.inside++;
            shared.maxInside = Math.max(shared.maxInside, shared.inside);
            const v = shared.count;
            yield* visible(c.cpu, OpKind.OTHER, "read-modify-write");
            shared.count = v + 1;
            shared.inside--;
            if (lock !== null) yield* lock.release(c);
          }
        });
      })(),
    );
  }
  let status: string;
  try {
    status = k.machine.run(new RandomChoices(seed), { maxSteps: 1_000_000 }).status;
  } catch (e) {
    // A broken lock may also trip the unlock's owner check: report what was seen.
    status = `threw: ${(e as Error).message}`;
  }
  return { status, count: shared.count, maxInside: shared.maxInside };
}

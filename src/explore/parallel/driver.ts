/**
 * The dpor search with executions computed ahead by a `JobExecutor`: the
 * search commits results in its depth-first order exactly as a
 * single-threaded check does, runs the job it needs next itself unless the
 * executor has it, and keeps the executor busy with the jobs it will
 * certainly run later (`DporTree.upcoming`). A job's result depends on the
 * job alone, so the verdict, the counterexample, its token and the count of
 * executions are those of the single-threaded check, for any executor.
 */
import {
  type CheckRequest,
  DporSearch,
  type JobResult,
  runJob,
  type ScenarioResult,
} from "../check.ts";
import type { Scenario } from "../scenario.ts";
import type { DporJob } from "../strategies/dpor.ts";
import type { JobExecutor } from "./executor.ts";

/** Jobs asked for ahead and not yet computed, per unit of executor width. */
const AHEAD = 4;
/** Results computed ahead and kept for later, at most (memory). */
const STORED = 4096;

/** How the executions of a search were shared out. */
export interface Shares {
  /** Run by the search itself (needed at once). */
  here: number;
  /** Computed ahead by the executor. */
  ahead: number;
}

/** One scenario's dpor search, with `exec` computing ahead. */
export async function dporOn(
  r: CheckRequest,
  scenario: Scenario,
  exec: JobExecutor,
  shares: Shares = { here: 0, ahead: 0 },
): Promise<ScenarioResult> {
  const search = new DporSearch(r, scenario);
  let job: DporJob | null = search.tree.begin();
  while (job !== null && !search.atLimit()) {
    const claimed = exec.claim(job);
    let result: JobResult;
    if (claimed === null) {
      result = runJob(r, scenario, job).result;
      shares.here++;
      // Let the executor hear from its workers (their results, that they are free).
      await new Promise(setImmediate);
    } else {
      result = await claimed;
      shares.ahead++;
    }
    if (search.commit(job, result) !== null) {
      // The counterexample is built from the execution, run again here (it is the same one).
      return search.violation(runJob(r, scenario, job).o);
    }
    job = search.next;
    if (job === null) break;
    const limit = exec.width * AHEAD;
    if (exec.pending < limit && exec.stored < STORED) {
      // The job needed next is this thread's; the ones after it, the executor's.
      for (const j of search.tree.upcoming(64, (k) => exec.peek(k)?.trace)) {
        if (exec.pending >= limit) break;
        exec.ahead(j);
      }
    }
  }
  return search.result(job !== null);
}

/**
 * Where a dpor search's executions run ahead of it: worker threads, or other
 * machines through a job queue. The search runs the job it needs now itself
 * unless a result for it is in or on its way, and commits results in its own
 * order (src/explore/parallel/driver.ts); an executor only computes the jobs
 * the search will need later. A job's result depends on the job alone, so no
 * executor can change what the search finds.
 */
import type { JobResult } from "../check.ts";
import type { DporJob } from "../strategies/dpor.ts";

export interface JobExecutor {
  /** Jobs it runs at once: the search keeps a few times this many asked for ahead. */
  readonly width: number;
  /** Jobs asked for and not yet computed. */
  readonly pending: number;
  /** Results computed and not yet claimed. */
  readonly stored: number;
  /** The result of `job` if it is computed already (it stays unclaimed). */
  peek(job: DporJob): JobResult | undefined;
  /** Compute `job` when there is time (asking twice is asking once). */
  ahead(job: DporJob): void;
  /**
   * The search needs `job` now: its result if it is computed or being
   * computed (then it stays the executor's to finish), else null — the job
   * is dropped, and the search runs it itself.
   */
  claim(job: DporJob): Promise<JobResult> | null;
  /** Stop: jobs under way are dropped (their results are no longer wanted). */
  close(): Promise<void>;
}

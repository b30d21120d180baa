/**
 * A `JobExecutor` over a job queue that worker processes on other machines
 * take jobs from (`textpoke check --queue`; the queue itself is the CLI's,
 * src/cli/queue/). The search gets only results that have come back: a job
 * still waiting or under way when the search needs it is withdrawn and run by
 * the search itself, so a slow or dead worker never holds the search up.
 */
import type { JobResult } from "../check.ts";
import { type DporJob, jobKey } from "../strategies/dpor.ts";
import type { JobExecutor } from "./executor.ts";

/** The coordinator's end of a job queue. */
export interface JobQueue {
  /** Workers taking this search's jobs, as last seen (0: none seen yet). */
  readonly workers: number;
  /** Queue `job` under `key` (a key queued twice is queued once). */
  add(key: string, job: DporJob): void;
  /** Take `key` back if no worker has started it (when one has, its result is ignored). */
  withdraw(key: string): void;
  /** Tell the workers the search is over and let go of the queue. */
  close(): Promise<void>;
}

/** What the queue reports to its executor. */
export interface QueueReports {
  done(key: string, result: JobResult): void;
  /** The job will not come back (it failed on a worker). */
  failed(key: string): void;
  /** The queue is gone (its server lost): nothing more comes back. */
  lost(): void;
}

export class QueueExecutor implements JobExecutor {
  private readonly queue: JobQueue;
  /** Queued and not yet back. */
  private readonly asked = new Set<string>();
  /** Back and not yet claimed. */
  private readonly results = new Map<string, JobResult>();
  private gone = false;

  /** `open` builds the queue, given where to report. */
  constructor(open: (reports: QueueReports) => JobQueue) {
    this.queue = open({
      done: (key, result) => {
        if (this.asked.delete(key)) this.results.set(key, result);
      },
      failed: (key) => {
        this.asked.delete(key);
      },
      lost: () => {
        this.gone = true;
        this.asked.clear();
      },
    });
  }

  get width(): number {
    return Math.max(1, this.queue.workers);
  }

  get pending(): number {
    return this.asked.size;
  }

  get stored(): number {
    return this.results.size;
  }

  peek(job: DporJob): JobResult | undefined {
    return this.results.get(jobKey(job));
  }

  ahead(job: DporJob): void {
    if (this.gone) return;
    const key = jobKey(job);
    if (this.asked.has(key) || this.results.has(key)) return;
    this.asked.add(key);
    this.queue.add(key, job);
  }

  claim(job: DporJob): Promise<JobResult> | null {
    const key = jobKey(job);
    const r = this.results.get(key);
    if (r !== undefined) {
      this.results.delete(key);
      return Promise.resolve(r);
    }
    // Not back yet: it may be with a worker that died, so this thread runs it.
    if (this.asked.delete(key)) this.queue.withdraw(key);
    return null;
  }

  async close(): Promise<void> {
    this.gone = true;
    this.asked.clear();
    this.results.clear();
    await this.queue.close();
  }
}

/**
 * Worker threads (node:worker_threads) computing dpor jobs ahead of the
 * search: each worker builds the same kernel and scenario from `init` (it
 * boots its own copy, which is deterministic), then runs the jobs it is
 * sent. Jobs wait in one queue, the deepest first; an idle worker takes the
 * next.
 */
import { Worker } from "node:worker_threads";
import type { JobResult } from "../../explore/check.ts";
import { decodeTrace, encodeJob } from "../../explore/parallel/encode.ts";
import type { JobExecutor } from "../../explore/parallel/executor.ts";
import { type DporJob, jobKey } from "../../explore/strategies/dpor.ts";

/** Parent → worker. */
export type ToWorker = {
  readonly type: "job";
  readonly id: number;
  /** The job, encoded (encode.ts). */
  readonly job: Float64Array;
};
/** Worker → parent. */
export type FromWorker =
  | { readonly type: "ready" }
  | {
      readonly type: "result";
      readonly id: number;
      /** The result, its trace encoded (encode.ts). */
      readonly result: Omit<JobResult, "trace">;
      readonly trace: Float64Array;
    }
  | { readonly type: "error"; readonly message: string };

interface Entry {
  readonly id: number;
  readonly key: string;
  readonly job: DporJob;
  readonly result: Promise<JobResult>;
  resolve(r: JobResult): void;
  reject(e: Error): void;
  started: boolean;
  /** The result, once it is in. */
  value?: JobResult;
}

export interface ThreadPoolOptions {
  readonly threads: number;
  /** The worker's script (it calls `serveJobs`). */
  readonly entry: string | URL;
  /** Whatever the worker needs to build its kernel and scenario (structured-clonable). */
  readonly init: unknown;
}

export class ThreadPool implements JobExecutor {
  readonly width: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private readonly byId = new Map<number, Entry>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(o: ThreadPoolOptions) {
    this.width = o.threads;
    for (let i = 0; i < o.threads; i++) {
      const w = new Worker(o.entry, { workerData: o.init });
      w.on("message", (m: FromWorker) => this.onMessage(w, m));
      w.on("error", (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`a check worker thread exited (code ${code})`));
      });
      this.workers.push(w);
    }
  }

  get pending(): number {
    return this.byId.size;
  }

  get stored(): number {
    return this.byKey.size - this.byId.size;
  }

  private fail(e: Error): void {
    if (this.failure !== null) return;
    this.failure = e;
    for (const entry of this.byKey.values()) entry.reject(e);
    this.byId.clear();
    this.queue.length = 0;
  }

  private onMessage(w: Worker, m: FromWorker): void {
    if (m.type === "error") {
      this.fail(new Error(m.message));
      return;
    }
    if (m.type === "result") {
      const e = this.byId.get(m.id);
      this.byId.delete(m.id);
      if (e !== undefined) {
        e.value = { ...m.result, trace: decodeTrace(m.trace) };
        e.resolve(e.value);
      }
    }
    this.idle.push(w);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.shift()!;
      const e = this.queue.shift()!;
      e.started = true;
      const job = encodeJob(e.job);
      const msg: ToWorker = { type: "job", id: e.id, job };
      w.postMessage(msg, [job.buffer as ArrayBuffer]);
    }
  }

  ahead(job: DporJob): void {
    if (this.failure !== null) return;
    const key = jobKey(job);
    if (this.byKey.has(key)) return;
    let resolve!: (r: JobResult) => void;
    let reject!: (e: Error) => void;
    const result = new Promise<JobResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A job never claimed (the search stopped first) must not count as an unhandled rejection.
    result.catch(() => {});
    const e: Entry = { id: this.nextId++, key, job, result, resolve, reject, started: false };
    this.byKey.set(key, e);
    this.byId.set(e.id, e);
    // Deeper jobs (longer prefixes) are needed sooner.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.job.prefix.length < job.prefix.length) i--;
    this.queue.splice(i, 0, e);
    this.dispatch();
  }

  peek(job: DporJob): JobResult | undefined {
    return this.byKey.get(jobKey(job))?.value;
  }

  claim(job: DporJob): Promise<JobResult> | null {
    if (this.failure !== null) return Promise.reject(this.failure);
    const key = jobKey(job);
    const e = this.byKey.get(key);
    if (e === undefined) return null;
    this.byKey.delete(key);
    if (e.started) return e.result;
    this.queue.splice(this.queue.indexOf(e), 1);
    this.byId.delete(e.id);
    return null;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

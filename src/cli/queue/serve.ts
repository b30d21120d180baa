/**
 * `textpoke worker`: take the jobs of every run on the queue (./layout.ts),
 * each with a BullMQ worker of its own, and return their results. A run's
 * kernel and scenario are built on its first job from its init, as
 * `check --jobs` threads build theirs (src/cli/check-worker.ts).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { contentHash, type DporJob, type JobResult, jobRunner } from "../../api/check.ts";
import { EXIT } from "../../util/user-error.ts";
import { loadVariant } from "../load-variant.ts";
import type { Io } from "../main.ts";
import { VERSION } from "../version.ts";
import type { RedisAddress } from "./address.ts";
import {
  initKey,
  PREFIX,
  type QueueJobData,
  queueName,
  RUNS,
  type RunInit,
  stopKey,
  versionLine,
} from "./layout.ts";
import { connectionOptions, connectRedis, message, within } from "./redis.ts";

/** How often the worker looks for new runs and for runs that ended (ms). */
const POLL_MS = 200;
/**
 * A job's lock: a worker killed mid-job is noticed within about this plus
 * STALLED_MS, and its job goes back to the queue. Jobs take milliseconds.
 */
const LOCK_MS = 4000;
const STALLED_MS = 2000;

export interface ServeOptions {
  /** Stop (status 0) after this many seconds without a job. */
  readonly idleExit?: number;
}

type Runner = (job: DporJob) => JobResult;

interface Serving {
  readonly init: RunInit;
  readonly worker: Worker;
  runner: Promise<Runner> | null;
}

/** Build a run's job runner, refusing a variant module that is not the coordinator's file. */
async function buildRunner(init: RunInit): Promise<Runner> {
  const ref = init.options.variantRef;
  if (typeof ref === "object") {
    let text: string;
    try {
      text = readFileSync(ref.path, "utf8");
    } catch (e) {
      throw new Error(`cannot read the variant module ${ref.path}: ${message(e)}`);
    }
    if (contentHash(text) !== ref.hash)
      throw new Error(`the variant module ${ref.path} here is not the coordinator's`);
  }
  const variant = await loadVariant(init.variantName);
  return jobRunner({ ...init.options, variant }, init.scenarioIndex);
}

class QueueWorker {
  private readonly serving = new Map<string, Serving>();
  /** Runs over, refused or failed here: not taken again. */
  private readonly passed = new Set<string>();
  private busy = 0;
  private lastJob = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | null = null;
  private status: number = EXIT.OK;
  private done!: (status: number) => void;
  readonly finished = new Promise<number>((resolve) => {
    this.done = resolve;
  });
  private lastNote = "";
  private lastNoteAt = 0;
  private redisDown = false;

  private readonly redis: Redis;
  private readonly address: RedisAddress;
  private readonly o: ServeOptions;
  private readonly io: Io;

  /** Connections retry until the worker stops (then a retry would only keep the process alive). */
  readonly reconnect = () => this.stopping === null;

  constructor(redis: Redis, address: RedisAddress, o: ServeOptions, io: Io) {
    this.redis = redis;
    this.address = address;
    this.o = o;
    this.io = io;
  }

  private say(line: string): void {
    this.io.err(`textpoke worker: ${line}\n`);
  }

  /** A problem worth a line, at most once in a while (connection errors repeat). */
  private note(line: string): void {
    const now = Date.now();
    if (line === this.lastNote && now - this.lastNoteAt < 10_000) return;
    this.lastNote = line;
    this.lastNoteAt = now;
    this.say(line);
  }

  start(): void {
    this.say(`taking jobs from ${this.address.text}`);
    const tick = async () => {
      try {
        await this.poll();
        if (this.redisDown) this.say(`Redis at ${this.address.text} is back`);
        this.redisDown = false;
      } catch (e) {
        if (!this.redisDown) this.say(`lost Redis at ${this.address.text}: ${message(e)}`);
        this.redisDown = true;
      }
      const idle = this.o.idleExit;
      if (idle !== undefined && this.busy === 0 && Date.now() - this.lastJob >= idle * 1000)
        void this.stop(EXIT.OK);
      if (this.stopping === null) this.timer = setTimeout(tick, POLL_MS);
    };
    this.timer = setTimeout(tick, 0);
  }

  private async poll(): Promise<void> {
    const runs = new Set(await this.redis.smembers(RUNS));
    for (const [run] of this.serving) {
      const over =
        !runs.has(run) ||
        (await this.redis.exists(stopKey(run))) === 1 ||
        (await this.redis.exists(initKey(run))) === 0;
      if (over) {
        await this.leave(run, false);
        await this.sweep(run);
      }
    }
    for (const run of runs) {
      if (this.stopping !== null) return;
      if (this.serving.has(run) || this.passed.has(run)) continue;
      const text = await this.redis.get(initKey(run));
      if (text === null) {
        // A run is listed and its init written at once: this one's coordinator is gone.
        await this.redis.srem(RUNS, run);
        continue;
      }
      if ((await this.redis.exists(stopKey(run))) === 1) continue;
      let init: RunInit;
      try {
        init = JSON.parse(text) as RunInit;
      } catch {
        this.passed.add(run);
        this.say(`run ${run}: unreadable init, passed over`);
        continue;
      }
      if (init.version !== VERSION) return this.refuse(init.version);
      this.join(run, init);
    }
  }

  /** A coordinator of another textpoke: its results could differ, so this worker stops. */
  private refuse(theirs: string): void {
    if (this.stopping !== null) return;
    this.io.err(`${versionLine(theirs, VERSION)}\n`);
    void this.stop(EXIT.USAGE);
  }

  private join(run: string, init: RunInit): void {
    const worker = new Worker(queueName(run), (job: Job) => this.process(run, job), {
      connection: connectionOptions(this.address, this.reconnect),
      prefix: PREFIX,
      name: `${hostname()}-${process.pid}`,
      concurrency: 1,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_MS,
      maxStalledCount: 3,
      drainDelay: 1,
    });
    worker.on("error", (e) => {
      // A job withdrawn or a run ended while this worker had it: expected.
      if (/Missing (lock|key)/.test(e.message)) return;
      // A Redis that is down is told once, by the poll.
      if (this.redisDown) return;
      this.note(`run ${run}: ${message(e)}`);
    });
    this.serving.set(run, { init, worker, runner: null });
  }

  /**
   * Stop taking `run`'s jobs. `finish`: hand in the result of the job in hand
   * first (when Redis is up); else it is dropped, as a run that is over
   * wants nothing more, and a job taken back goes to another worker when its
   * lock expires.
   */
  private async leave(run: string, finish: boolean): Promise<void> {
    const s = this.serving.get(run);
    if (s === undefined) return;
    this.serving.delete(run);
    this.passed.add(run);
    await within(3000, s.worker.close(!finish || this.redisDown)).catch(() =>
      s.worker.disconnect(),
    );
  }

  /**
   * Delete what is left of an ended run's queue: BullMQ workers still on it
   * after the coordinator deleted it may write a key or two again.
   */
  private async sweep(run: string): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        "MATCH",
        `${PREFIX}:${queueName(run)}:*`,
        "COUNT",
        1000,
      );
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  }

  private async process(run: string, job: Job): Promise<JobResult> {
    const data = job.data as QueueJobData;
    const s = this.serving.get(run);
    if (data.version !== VERSION) {
      this.refuse(data.version);
      throw new UnrecoverableError(versionLine(data.version, VERSION));
    }
    if (s === undefined) throw new UnrecoverableError("the run is over here");
    this.busy++;
    this.lastJob = Date.now();
    try {
      if (s.runner === null) {
        this.say(`run ${run}: ${s.init.scenario}, variant ${s.init.variantName}: first job`);
        s.runner = buildRunner(s.init);
      }
      let runner: Runner;
      try {
        runner = await s.runner;
      } catch (e) {
        // This machine cannot do the run: its jobs are the other workers' (or the coordinator's).
        this.say(`run ${run}: ${message(e)}; passed over`);
        void this.leave(run, false);
        throw new UnrecoverableError(message(e));
      }
      return runner(data.job);
    } finally {
      this.busy--;
      this.lastJob = Date.now();
    }
  }

  /** Stop taking jobs, let the runs' workers finish the job in hand, disconnect. */
  stop(status: number): Promise<void> {
    if (this.stopping === null) {
      this.status = status;
      clearTimeout(this.timer);
      this.stopping = (async () => {
        await Promise.allSettled([...this.serving.keys()].map((run) => this.leave(run, true)));
        if (this.redisDown) this.redis.disconnect();
        else await within(2000, this.redis.quit()).catch(() => this.redis.disconnect());
        this.done(this.status);
      })();
    }
    return this.stopping;
  }
}

/** Serve the queue at `address` until a signal, `--idle-exit` or a version mismatch; the exit status. */
export async function serveQueue(address: RedisAddress, o: ServeOptions, io: Io): Promise<number> {
  let worker: QueueWorker | undefined;
  const redis = await connectRedis(address, () => worker?.reconnect() ?? false);
  const w = new QueueWorker(redis, address, o, io);
  worker = w;
  const onSignal = () => void w.stop(EXIT.OK);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    w.start();
    return await w.finished;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

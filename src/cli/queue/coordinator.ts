/**
 * The coordinator's side of `textpoke check --queue`: each dpor scenario is
 * a run with a BullMQ queue of its own (./layout.ts); `textpoke worker`
 * processes take its jobs, and their results come back as the queue's
 * completed events. Once connected, a lost Redis is not an error: the search
 * goes on in this process, with the same verdict.
 */
import { createHash, randomBytes } from "node:crypto";
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import {
  type CheckOptions,
  type CheckResult,
  checkOn,
  type DporJob,
  type JobExecutor,
  type JobResult,
  type Shares,
} from "../../api/check.ts";
import { type JobQueue, QueueExecutor, type QueueReports } from "../../explore/parallel/queue.ts";
import { VERSION } from "../version.ts";
import type { RedisAddress } from "./address.ts";
import {
  INIT_TTL,
  initKey,
  PREFIX,
  type QueueJobData,
  queueName,
  RUNS,
  type RunInit,
  stopKey,
} from "./layout.ts";
import { connectionOptions, connectRedis, message, within } from "./redis.ts";

/** BullMQ's highest priority number (the lowest priority). */
const LOWEST = 2 ** 21;
/** Events the queue keeps: far more than the jobs out at once, as results wait there to be read. */
const EVENTS_KEPT = 2000;
/** Seconds a stop key stays. */
const STOP_TTL = 3600;

/** A BullMQ job id for a job key of `run` (a key can be long; an id is a Redis key's part). */
const jobId = (run: string, key: string) =>
  `j${createHash("sha256").update(`${run}/${key}`).digest("base64url").slice(0, 24)}`;

/** Close a BullMQ object, or drop its connections if closing takes too long. */
async function shut(o: { close(): Promise<void>; disconnect(): Promise<void> }): Promise<void> {
  try {
    await within(3000, o.close());
  } catch {
    await o.disconnect().catch(() => {});
  }
}

class Coordinator {
  lost = false;
  /** This check's id: its runs are `ID-N`, N the scenario's index. */
  readonly id = randomBytes(6).toString("hex");
  readonly open = new Set<BullQueue>();
  readonly redis: Redis;
  readonly address: RedisAddress;
  private readonly warn: (line: string) => void;

  constructor(redis: Redis, address: RedisAddress, warn: (line: string) => void) {
    this.redis = redis;
    this.address = address;
    this.warn = warn;
    redis.on("error", (e) => this.lose(e));
  }

  lose(e: unknown): void {
    if (this.lost) return;
    this.lost = true;
    this.warn(
      `textpoke: lost Redis at ${this.address.text} (${message(e)}); the check goes on in this process`,
    );
    for (const q of this.open) q.reports.lost();
  }

  async executor(init: RunInit): Promise<JobExecutor> {
    let q!: BullQueue;
    const exec = new QueueExecutor((reports) => {
      q = new BullQueue(this, `${this.id}-${init.scenarioIndex}`, reports);
      return q;
    });
    await q.start(init);
    return exec;
  }

  async close(): Promise<void> {
    await within(2000, this.redis.quit()).catch(() => this.redis.disconnect());
  }
}

/** One run's queue, as the coordinator sees it. */
class BullQueue implements JobQueue {
  workers = 0;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** BullMQ id → job key, of the jobs out. */
  private readonly out = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;
  private readonly c: Coordinator;
  readonly run: string;
  readonly reports: QueueReports;

  constructor(c: Coordinator, run: string, reports: QueueReports) {
    this.c = c;
    this.run = run;
    this.reports = reports;
    const connection = connectionOptions(c.address, () => false);
    const name = queueName(run);
    this.queue = new Queue(name, {
      connection: { ...connection, maxRetriesPerRequest: 1 },
      prefix: PREFIX,
      streams: { events: { maxLen: EVENTS_KEPT } },
    });
    // From the stream's start: no result can come before the reader is up.
    this.events = new QueueEvents(name, { connection, prefix: PREFIX, lastEventId: "0" });
    const onError = (e: Error) => {
      if (!this.closing) c.lose(e);
    };
    this.queue.on("error", onError);
    this.events.on("error", onError);
    this.events.on("completed", ({ jobId, returnvalue }) => {
      const key = this.take(jobId);
      if (key === undefined) return;
      const r = returnvalue as unknown as JobResult | null;
      if (typeof r === "object" && r !== null && Array.isArray(r.trace?.decisions))
        reports.done(key, r);
      else reports.failed(key);
    });
    this.events.on("failed", ({ jobId }) => {
      const key = this.take(jobId);
      if (key !== undefined) reports.failed(key);
    });
    c.open.add(this);
  }

  private take(id: string): string | undefined {
    const key = this.out.get(id);
    this.out.delete(id);
    return key;
  }

  /** Wait for the queue's connections, then publish the run for the workers. */
  async start(init: RunInit): Promise<void> {
    if (this.c.lost) {
      this.reports.lost();
      return;
    }
    try {
      await within(5000, this.events.waitUntilReady());
      await within(5000, this.queue.waitUntilReady());
      await within(
        3000,
        this.c.redis
          .multi()
          .set(initKey(this.run), JSON.stringify(init), "EX", INIT_TTL)
          .sadd(RUNS, this.run)
          .exec(),
      );
    } catch (e) {
      this.c.lose(e);
      return;
    }
    const every = (ms: number, f: () => void) => {
      f();
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every((INIT_TTL * 1000) / 3, () => {
      this.c.redis.expire(initKey(this.run), INIT_TTL).catch((e) => this.c.lose(e));
    });
    every(1000, () => {
      this.queue.getWorkersCount().then(
        (n) => {
          this.workers = n;
        },
        () => {},
      );
    });
  }

  add(key: string, job: DporJob): void {
    if (this.c.lost) return;
    const id = jobId(this.run, key);
    this.out.set(id, key);
    const data: QueueJobData = { version: VERSION, run: this.run, job };
    this.queue
      .add("job", data, {
        jobId: id,
        // Deeper jobs (longer prefixes) are needed sooner.
        priority: Math.max(1, LOWEST - job.prefix.length),
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: true,
      })
      .catch((e) => this.c.lose(e));
  }

  withdraw(key: string): void {
    const id = jobId(this.run, key);
    this.out.delete(id);
    // 0 when a worker has it (locked): its result is then ignored.
    if (!this.c.lost) this.queue.remove(id).catch(() => {});
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    this.c.open.delete(this);
    await shut(this.events);
    if (!this.c.lost) {
      try {
        await within(
          3000,
          this.c.redis
            .multi()
            .set(stopKey(this.run), "1", "EX", STOP_TTL)
            .srem(RUNS, this.run)
            .del(initKey(this.run))
            .exec(),
        );
        // The jobs left waiting go; one under way finishes into nothing.
        await within(5000, this.queue.obliterate({ force: true }));
      } catch {
        // Redis went away at the end: the run's keys expire or are left behind.
      }
    }
    await shut(this.queue);
  }
}

/**
 * `checkOn` with each dpor scenario's executions computed ahead by the
 * workers of the queue at `address`. Unreachable at the start: UserError.
 */
export async function checkWithQueue(
  options: CheckOptions,
  variantName: string,
  address: RedisAddress,
  shares: Shares,
  warn: (line: string) => void,
): Promise<CheckResult> {
  const c = new Coordinator(await connectRedis(address, () => false), address, warn);
  const { variant: _v, progress: _p, observe: _o, ...rest } = options;
  try {
    return await checkOn(
      options,
      (scenarioIndex, scenario) =>
        c.executor({
          version: VERSION,
          options: rest,
          variantName,
          scenarioIndex,
          scenario: scenario.name,
        }),
      shares,
    );
  } finally {
    await c.close();
  }
}

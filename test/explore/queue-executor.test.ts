// QueueExecutor's bookkeeping over a fake queue: only results that are back
// are claimed; a job not back is withdrawn and left to the search; a lost
// queue takes no more jobs. (test/cli/queue.test.ts runs it on BullMQ and Redis.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobResult } from "../../src/explore/check.ts";
import {
  type JobQueue,
  QueueExecutor,
  type QueueReports,
} from "../../src/explore/parallel/queue.ts";
import { type DporJob, jobKey } from "../../src/explore/strategies/dpor.ts";

class FakeQueue implements JobQueue {
  workers = 0;
  readonly added: string[] = [];
  readonly withdrawn: string[] = [];
  closed = false;
  reports!: QueueReports;
  add(key: string): void {
    this.added.push(key);
  }
  withdraw(key: string): void {
    this.withdrawn.push(key);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup() {
  const q = new FakeQueue();
  const exec = new QueueExecutor((reports) => {
    q.reports = reports;
    return q;
  });
  return { q, exec };
}

const job = (...prefix: number[]): DporJob => ({ prefix, sleep: [] });
const result = (status: string): JobResult => ({
  trace: { decisions: [], explored: [], races: [] } as unknown as JobResult["trace"],
  status,
  violation: null,
  suppressed: [],
  paths: [],
});

describe("QueueExecutor", () => {
  it("queues a job once, and gives its result only once it is back", async () => {
    const { q, exec } = setup();
    const a = job(0, 1);
    exec.ahead(a);
    exec.ahead(a);
    assert.deepEqual(q.added, [jobKey(a)]);
    assert.equal(exec.pending, 1);
    const r = result("done");
    q.reports.done(jobKey(a), r);
    assert.equal(exec.pending, 0);
    assert.equal(exec.stored, 1);
    assert.equal(exec.peek(a), r);
    assert.equal(await exec.claim(a), r);
    assert.equal(exec.stored, 0);
    assert.equal(exec.claim(a), null);
  });

  it("a job not back when needed is withdrawn and the search's; its late result is dropped", () => {
    const { q, exec } = setup();
    const a = job(1);
    exec.ahead(a);
    assert.equal(exec.claim(a), null);
    assert.deepEqual(q.withdrawn, [jobKey(a)]);
    assert.equal(exec.pending, 0);
    q.reports.done(jobKey(a), result("late"));
    assert.equal(exec.stored, 0);
    // A job never asked for is not withdrawn.
    assert.equal(exec.claim(job(2)), null);
    assert.deepEqual(q.withdrawn, [jobKey(a)]);
  });

  it("a job failed on a worker is no longer pending", () => {
    const { q, exec } = setup();
    exec.ahead(job(3));
    q.reports.failed(jobKey(job(3)));
    assert.equal(exec.pending, 0);
    assert.equal(exec.claim(job(3)), null);
  });

  it("after the queue is lost, nothing more is queued; results already back are still claimed", async () => {
    const { q, exec } = setup();
    const r = result("back");
    exec.ahead(job(4));
    exec.ahead(job(5));
    q.reports.done(jobKey(job(4)), r);
    q.reports.lost();
    assert.equal(exec.pending, 0);
    exec.ahead(job(6));
    assert.deepEqual(q.added, [jobKey(job(4)), jobKey(job(5))]);
    assert.equal(await exec.claim(job(4)), r);
    assert.equal(exec.claim(job(5)), null);
  });

  it("width follows the workers seen, at least 1; close closes the queue", async () => {
    const { q, exec } = setup();
    assert.equal(exec.width, 1);
    q.workers = 6;
    assert.equal(exec.width, 6);
    await exec.close();
    assert.ok(q.closed);
  });
});

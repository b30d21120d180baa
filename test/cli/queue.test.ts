// `textpoke check --queue` and `textpoke worker` on a real Redis (Debian's
// redis-server, installed by scripts/install-oracles.sh), on 127.0.0.1 only:
// the verdict line byte for byte as a check in one process, with a worker
// killed mid-run; the seed bug's violation and token; one-line errors for a
// bad URL, an unreachable Redis and a worker of another version.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { initKey, PREFIX, queueName, RUNS, versionLine } from "../../src/cli/queue/layout.ts";
import { loadQueueModule } from "../../src/cli/queue/load.ts";
import { VERSION } from "../../src/cli/version.ts";
import { UserError } from "../../src/util/user-error.ts";
import { runCli } from "./run-cli.ts";

const BIN = new URL("../../bin/textpoke", import.meta.url).pathname;
const ARGS = ["--cpus", "5", "--scenario", "concurrent-patch"];
const SEED = [
  "--variant",
  "c28c15b6d28a",
  "--set",
  "CONFIG_DEBUG_VM=n",
  "--scenario",
  "concurrent-patch",
];

/** A port nothing listens on now (bound once by the kernel's choice, then closed). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, "127.0.0.1", res));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** A spawned process with its output so far and a way to wait for a line or the end. */
class Proc {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly waiters: (() => void)[] = [];

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d) => {
      this.stdout += d;
      this.poke();
    });
    this.child.stderr!.on("data", (d) => {
      this.stderr += d;
      this.poke();
    });
    this.exited = new Promise((res) =>
      this.child.on("exit", (code, signal) => res({ code, signal })),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `re` matches stdout + stderr; fails after `ms`. */
  async waitFor(re: RegExp, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!re.test(this.stdout + this.stderr)) {
      if (!this.running) throw new Error(`exited before ${re}: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${re} in ${ms} ms: ${this.stderr}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.running) this.child.kill(signal);
  }
}

const textpoke = (...args: string[]) => new Proc(process.execPath, [BIN, ...args]);

async function finished(
  p: Proc,
  ms: number,
): Promise<{ code: number | null; signal: string | null }> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`still running after ${ms} ms: ${p.stderr}`)), ms);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(t);
  }
}

function single(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "check", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout };
}

describe("check --queue and worker on Redis", () => {
  let redis: Proc;
  let url: string;
  let port: number;
  const started: Proc[] = [];
  const worker = (...extra: string[]) => {
    // --idle-exit: a worker the test loses track of still ends.
    const w = textpoke("worker", "--queue", url, "--idle-exit", "120", ...extra);
    started.push(w);
    return w;
  };

  before(async () => {
    const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
    if (probe.error !== undefined)
      throw new Error(
        "redis-server not found: these tests need Debian's redis-server (bash scripts/install-oracles.sh)",
      );
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = new Proc("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
    await redis.waitFor(/Ready to accept connections/, 10_000);
  });

  after(async () => {
    for (const p of started) p.kill();
    await Promise.all(started.map((p) => p.exited));
    redis?.kill("SIGTERM");
    if (redis !== undefined) await redis.exited;
  });

  it("the verdict line and exit status of one process, with a worker killed at its first job", async () => {
    const want = single(...ARGS);
    assert.equal(want.status, 0);
    assert.match(want.stdout, /^clean concurrent-patch: every schedule, .*\(dpor: \d+ executions/);
    const a = worker();
    const b = worker();
    await Promise.all([a, b].map((w) => w.waitFor(/taking jobs from/, 30_000)));
    const coordinator = textpoke("check", "--queue", url, ...ARGS);
    started.push(coordinator);
    const first = await Promise.race(
      [a, b].map((w) => w.waitFor(/: first job/, 60_000).then(() => w)),
    );
    first.kill("SIGKILL");
    const killedMidRun = coordinator.running;
    const end = await finished(coordinator, 120_000);
    assert.ok(killedMidRun, "the worker was killed after the check ended");
    assert.equal(end.code, want.status, coordinator.stderr);
    assert.equal(coordinator.stdout, want.stdout);
    assert.match(
      coordinator.stderr,
      /^textpoke: \d+ executions run by the coordinator, \d+ computed ahead by the queue's workers$/m,
    );
    // The survivor stops cleanly on SIGTERM.
    const survivor = first === a ? b : a;
    survivor.kill("SIGTERM");
    assert.deepEqual(await finished(survivor, 15_000), { code: 0, signal: null });
  });

  it("the seed bug: the same violation and replay token as in one process", async () => {
    const want = single(...SEED);
    assert.equal(want.status, 1);
    assert.match(want.stdout, /^VIOLATION lock-discipline: scenario concurrent-patch/m);
    assert.match(want.stdout, /replay: textpoke replay tp1\./);
    const w = worker();
    await w.waitFor(/taking jobs from/, 30_000);
    const coordinator = textpoke("check", "--queue", url, ...SEED);
    started.push(coordinator);
    const end = await finished(coordinator, 120_000);
    assert.equal(end.code, 1, coordinator.stderr);
    assert.equal(coordinator.stdout, want.stdout);
    w.kill("SIGTERM");
    assert.equal((await finished(w, 15_000)).code, 0);
  });

  it("a worker of another version: one line, exit 2, and the job left in the queue", async () => {
    const other = "0.0.0-other";
    const run = "versiontest-0";
    const conn = { host: "127.0.0.1", port };
    const r = new Redis(conn);
    const q = new Queue(queueName(run), { connection: conn, prefix: PREFIX });
    try {
      const init = { version: other, options: {}, variantName: "980411a4d1bb", scenarioIndex: 0 };
      await r.multi().set(initKey(run), JSON.stringify(init)).sadd(RUNS, run).exec();
      await q.add("job", { version: other, run, job: { prefix: [], sleep: [] } }, { jobId: "j1" });
      const w = worker();
      const end = await finished(w, 30_000);
      assert.equal(end.code, 2, w.stderr);
      const lines = w.stderr.split("\n").filter((l) => l !== "" && !/taking jobs from/.test(l));
      assert.deepEqual(lines, [versionLine(other, VERSION)]);
      assert.equal(
        versionLine(other, VERSION),
        `textpoke worker: job from textpoke ${other}, this is ${VERSION}`,
      );
      assert.equal(await q.getJobState("j1"), "waiting");
    } finally {
      await q.obliterate({ force: true });
      await r.multi().del(initKey(run)).srem(RUNS, run).exec();
      await q.close();
      r.disconnect();
    }
  });

  it("--idle-exit: a worker with nothing to do exits 0", async () => {
    const w = textpoke("worker", "--queue", url, "--idle-exit", "1");
    started.push(w);
    assert.deepEqual(await finished(w, 30_000), { code: 0, signal: null });
  });

  it("an unreachable Redis: one line, exit 2, within a few seconds (check and worker)", async () => {
    const closed = await freePort();
    for (const cmd of [
      ["check", "--queue", `redis://127.0.0.1:${closed}`, ...ARGS],
      ["worker", "--queue", `redis://127.0.0.1:${closed}`],
    ]) {
      const t0 = Date.now();
      const p = textpoke(...cmd);
      started.push(p);
      const end = await finished(p, 20_000);
      // Start-up included (the sources through tsx when the bundle is stale).
      assert.ok(Date.now() - t0 < 10_000, `${cmd[0]} took ${Date.now() - t0} ms`);
      assert.equal(end.code, 2);
      assert.equal(p.stdout, "");
      assert.equal(
        p.stderr,
        `textpoke: error: cannot reach Redis at 127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}\n`,
      );
    }
  });
});

describe("--queue input errors", () => {
  for (const bad of [
    "http://x",
    "redis://",
    "redis://127.0.0.1",
    "redis://127.0.0.1:99999",
    "redis://h:0",
  ]) {
    it(`--queue ${bad}: one line, exit 2`, async () => {
      for (const cmd of ["check", "worker"]) {
        const r = await runCli(cmd, "--queue", bad);
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.equal(
          r.stderr,
          `textpoke: error: bad --queue '${bad}': expected redis://HOST:PORT\n`,
        );
      }
    });
  }

  it("--queue with --jobs: one line, exit 2", async () => {
    const r = await runCli("check", "--queue", "redis://127.0.0.1:1", "--jobs", "2");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^textpoke: error: --jobs and --queue do not go together: .*\n$/);
  });

  it("bullmq that cannot be loaded: one line", async () => {
    await assert.rejects(
      loadQueueModule(() =>
        Promise.reject(new Error("Cannot find package 'bullmq'\n  at somewhere")),
      ),
      (e: unknown) =>
        e instanceof UserError &&
        e.message === "--queue needs the bullmq and ioredis packages: Cannot find package 'bullmq'",
    );
  });
});

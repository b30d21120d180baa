/**
 * The checker: executions per second from the booted snapshot (and the fork
 * alone, against a boot), the whole-process time to find the seed bug with
 * no hint, and the exhaustive check of the fix on patch-vs-hotplug with 2,
 * 3 and 4 CPUs — time, executions, peak memory — beside Spin 6.5.2 on
 * ../shared/anchors/spin/patching.pml (a hand-written abstract model of the
 * same protocol), run in the same bench run (Spin with 4 CPUs under a time
 * and memory limit: how far it gets). Then what symmetry saves, and the
 * speed-up of --jobs 2 over --jobs 1 on the same check. Only the ratios mean
 * anything across days: absolute times drift several-fold on these machines.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKernel, runBoot } from "../src/api/boot.ts";
import { check } from "../src/api/check.ts";
import { snapshotKernel } from "../src/explore/snapshot.ts";
import { type BenchRow, median, wallMs } from "./harness.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SPIN_MODEL = join(ROOT, "../shared/anchors/spin/patching.pml");

/** Install a Debian package if its command is missing (the bench needs spin, gcc and GNU time). */
function ensure(command: string, pkg: string): void {
  if (spawnSync("sh", ["-c", `command -v ${command}`]).status === 0) return;
  const apt = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg];
  const [cmd, ...args] = process.getuid?.() === 0 ? apt : ["sudo", "-n", ...apt];
  execFileSync(cmd!, args, {
    stdio: "ignore",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

interface Timed {
  readonly seconds: number;
  readonly peakMiB: number;
  readonly stdout: string;
}

/** A command's wall time and peak RSS, by GNU time. */
function timed(cmd: string, args: readonly string[], cwd = ROOT): Timed {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", cmd, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (m === null) throw new Error(`bench: ${cmd} ${args.join(" ")}: ${r.stderr.slice(-400)}`);
  return { seconds: Number(m[1]), peakMiB: Number(m[2]) / 1024, stdout: r.stdout };
}

/** Spin's exhaustive safety check of the fix with `ncpu` CPUs. */
function spin(ncpu: number): Timed & { states: number } {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-spin-"));
  copyFileSync(SPIN_MODEL, join(dir, "patching.pml"));
  execFileSync("spin", ["-a", `-DNCPU=${ncpu}`, "-DFIXED=1", "patching.pml"], {
    cwd: dir,
    stdio: "ignore",
  });
  execFileSync("gcc", ["-O2", "-DSAFETY", "-o", "pan", "pan.c"], { cwd: dir, stdio: "ignore" });
  const t = timed("./pan", [], dir);
  const states = Number(/(\d+) states, stored/.exec(t.stdout)?.[1] ?? Number.NaN);
  if (!/errors: 0/.test(t.stdout)) throw new Error(`spin found errors with NCPU=${ncpu}`);
  return { ...t, states };
}

/** Spin with 4 CPUs does not finish: run it under a time and memory limit and say how far it got. */
function spinLimited(ncpu: number, seconds: number, mib: number): { states: number; why: string } {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-spin-"));
  copyFileSync(SPIN_MODEL, join(dir, "patching.pml"));
  execFileSync("spin", ["-a", `-DNCPU=${ncpu}`, "-DFIXED=1", "patching.pml"], {
    cwd: dir,
    stdio: "ignore",
  });
  execFileSync("gcc", ["-O2", "-DSAFETY", `-DMEMLIM=${mib}`, "-o", "pan", "pan.c"], {
    cwd: dir,
    stdio: "ignore",
  });
  const r = spawnSync("timeout", [String(seconds), "./pan"], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const out = `${r.stdout}${r.stderr}`;
  const states = [...out.matchAll(/(?:Depth=\s*\d+ States=\s*([\d.e+]+))|(\d+) states, stored/g)]
    .map((m) => Number(m[1] ?? m[2]))
    .filter((n) => Number.isFinite(n))
    .at(-1);
  const why =
    r.status === 124
      ? `not finished in ${seconds} s`
      : /reached -DMEMLIM bound|out of memory|Search not completed/.test(out)
        ? `not finished: stopped at its ${mib} MiB memory limit`
        : /errors: 0/.test(out)
          ? "finished"
          : `stopped (exit ${r.status})`;
  return { states: states ?? Number.NaN, why };
}

/** A whole-process textpoke check: its time, memory, executions and verdict. */
function textpokeCheck(args: readonly string[]): Timed & { executions: number; verdict: string } {
  const t = timed("./bin/textpoke", ["check", ...args, "--no-progress", "--executions", "2000000"]);
  const executions = Number(/dpor: (\d+) executions/.exec(t.stdout)?.[1] ?? Number.NaN);
  return { ...t, executions, verdict: t.stdout.trim().split(" ")[0] ?? "?" };
}

/** The exhaustive check of patch-vs-hotplug with `cpus` CPUs, median of `runs` runs. */
function textpokeHotplug(
  cpus: number,
  runs: number,
): Timed & { executions: number; verdict: string } {
  const args = ["--cpus", String(cpus), "--scenario", "patch-vs-hotplug"];
  const all = Array.from({ length: runs }, () =>
    textpokeCheck([...args, "--suppress", "no-leak@put_patching_mm"]),
  );
  return {
    ...all[0]!,
    seconds: median(all.map((t) => t.seconds)),
    peakMiB: median(all.map((t) => t.peakMiB)),
  };
}

export async function checkBench(): Promise<BenchRow[]> {
  ensure("spin", "spin");
  ensure("gcc", "gcc");
  ensure("/usr/bin/time", "time");
  if (!existsSync(SPIN_MODEL)) throw new Error(`bench: no Spin model at ${SPIN_MODEL}`);

  // Executions per second from the snapshot, on the scenario the seed bug is in.
  const booted = runBoot(createKernel({ cpus: 2 }));
  const snap = snapshotKernel(booted.kernel);
  const bootMs = wallMs(() => runBoot(createKernel({ cpus: 2 })), 7, 1);
  const forkMs =
    wallMs(
      () => {
        for (let i = 0; i < 100; i++) snap.fork();
      },
      7,
      1,
    ) / 100;
  const perSecond: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const r = check({ cpus: 5, scenarios: ["concurrent-patch"], executions: 2000 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    perSecond.push(r.results[0]!.executions / s);
  }

  // The seed bug with no hint: every built-in scenario, as a user types it.
  const seed: number[] = [];
  for (let i = 0; i < 5; i++)
    seed.push(
      timed("./bin/textpoke", [
        "check",
        "--variant",
        "c28c15b6d28a",
        "--set",
        "CONFIG_DEBUG_VM=n",
        "--cpus",
        "2",
        "--no-progress",
      ]).seconds,
    );

  const rows: BenchRow[] = [
    { name: "boot, 2 CPUs (baseline)", median: bootMs, unit: "ms" },
    {
      name: "fork of the booted snapshot",
      median: forkMs * 1000,
      unit: "µs",
      ratio: { value: bootMs / forkMs, against: "faster than a boot" },
    },
    {
      name: "executions/s, concurrent-patch, 5 CPUs (dpor, first 2,000)",
      median: median(perSecond),
      unit: "exec/s",
    },
    { name: "seed bug found, no hint (whole process)", median: median(seed), unit: "s" },
  ];
  for (const cpus of [2, 3]) {
    const s = spin(cpus);
    const t = textpokeHotplug(cpus, 5);
    rows.push(
      { name: `Spin, ${cpus} CPUs: states stored`, median: s.states, unit: "states" },
      { name: `Spin, ${cpus} CPUs: time`, median: s.seconds, unit: "s" },
      { name: `Spin, ${cpus} CPUs: peak memory`, median: s.peakMiB, unit: "MiB" },
      {
        name: `textpoke patch-vs-hotplug, ${cpus} CPUs: executions (${t.verdict})`,
        median: t.executions,
        unit: "exec",
      },
      {
        name: `textpoke patch-vs-hotplug, ${cpus} CPUs: time`,
        median: t.seconds,
        unit: "s",
        ratio: { value: t.seconds / Math.max(s.seconds, 0.01), against: "Spin" },
      },
      {
        name: `textpoke patch-vs-hotplug, ${cpus} CPUs: peak memory`,
        median: t.peakMiB,
        unit: "MiB",
        ratio: { value: t.peakMiB / s.peakMiB, against: "Spin" },
      },
    );
  }
  // 4 CPUs: textpoke completes; Spin, given 2 minutes and 4 GiB, does not.
  const t4 = textpokeHotplug(4, 5);
  const s4 = spinLimited(4, 120, 4096);
  rows.push(
    {
      name: `textpoke patch-vs-hotplug, 4 CPUs: executions (${t4.verdict})`,
      median: t4.executions,
      unit: "exec",
    },
    { name: "textpoke patch-vs-hotplug, 4 CPUs: time", median: t4.seconds, unit: "s" },
    { name: "textpoke patch-vs-hotplug, 4 CPUs: peak memory", median: t4.peakMiB, unit: "MiB" },
    { name: `Spin, 4 CPUs: states stored (${s4.why})`, median: s4.states, unit: "states" },
  );

  // Symmetry: the executions it saves where CPUs play one role.
  const same = ["--cpus", "5", "--scenario", "patch-same-word"];
  const symOff = textpokeCheck([...same, "--no-symmetry"]);
  const symOn = textpokeCheck(same);
  rows.push(
    {
      name: "patch-same-word, 5 CPUs, no symmetry: executions",
      median: symOff.executions,
      unit: "exec",
    },
    {
      name: "patch-same-word, 5 CPUs, symmetry: executions",
      median: symOn.executions,
      unit: "exec",
      ratio: { value: symOff.executions / symOn.executions, against: "fewer than without" },
    },
  );

  // What two cores give here: two independent checks side by side against one alone.
  const small = ["check", "--cpus", "4", "--scenario", "concurrent-patch", "--no-progress"];
  const aloneS: number[] = [];
  const pairS: number[] = [];
  for (let i = 0; i < 3; i++) {
    aloneS.push(timed("./bin/textpoke", small).seconds);
    const t0 = process.hrtime.bigint();
    await Promise.all(
      [0, 1].map(
        () =>
          new Promise<void>((done) => {
            spawn("./bin/textpoke", small, { cwd: ROOT, stdio: "ignore" }).on("exit", () => done());
          }),
      ),
    );
    pairS.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  rows.push(
    { name: "one check alone (concurrent-patch, 4 CPUs)", median: median(aloneS), unit: "s" },
    {
      name: "two such checks side by side",
      median: median(pairS),
      unit: "s",
      ratio: {
        value: (2 * median(aloneS)) / median(pairS),
        against: "the throughput of one: what 2 cores give",
      },
    },
  );

  // --jobs 2 against --jobs 1 on the same exhaustive check (2 cores here).
  const work = ["--cpus", "5", "--scenario", "concurrent-patch"];
  const one: number[] = [];
  const two: number[] = [];
  let counts = "";
  for (let i = 0; i < 3; i++) {
    const a = textpokeCheck([...work, "--jobs", "1"]);
    const b = textpokeCheck([...work, "--jobs", "2"]);
    if (a.stdout !== b.stdout)
      throw new Error("bench: --jobs 2 printed another result than --jobs 1");
    one.push(a.seconds);
    two.push(b.seconds);
    counts = `${a.executions} executions`;
  }
  rows.push(
    { name: `concurrent-patch, 5 CPUs, --jobs 1 (${counts})`, median: median(one), unit: "s" },
    {
      name: "concurrent-patch, 5 CPUs, --jobs 2 (the same output)",
      median: median(two),
      unit: "s",
      ratio: { value: median(one) / median(two), against: "speed-up over --jobs 1" },
    },
  );
  return rows;
}

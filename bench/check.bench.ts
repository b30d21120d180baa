/**
 * The checker: executions per second from the booted snapshot (and the fork
 * alone, against a boot), the whole-process time to find the seed bug with
 * no hint, and the exhaustive check of the fix on patch-vs-hotplug with 2
 * and 3 CPUs — time, executions, peak memory — beside Spin 6.5.2 on
 * ../shared/anchors/spin/patching.pml (a hand-written abstract model of the
 * same protocol), run in the same bench run. Only the ratios mean anything
 * across days: absolute times drift several-fold on these machines.
 */
import { execFileSync, spawnSync } from "node:child_process";
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

/** The whole-process exhaustive check of patch-vs-hotplug with `cpus` CPUs. */
function textpokeHotplug(cpus: number): Timed & { executions: number; verdict: string } {
  const t = timed("./bin/textpoke", [
    "check",
    "--cpus",
    String(cpus),
    "--scenario",
    "patch-vs-hotplug",
    "--suppress",
    "no-leak@put_patching_mm",
    "--no-progress",
    "--executions",
    "2000000",
  ]);
  const executions = Number(/dpor: (\d+) executions/.exec(t.stdout)?.[1] ?? Number.NaN);
  return { ...t, executions, verdict: t.stdout.trim().split(" ")[0] ?? "?" };
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
    const r = check({ scenarios: ["concurrent-patch"], executions: 2000 });
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
      name: "executions/s, concurrent-patch, 2 CPUs (dpor)",
      median: median(perSecond),
      unit: "exec/s",
    },
    { name: "seed bug found, no hint (whole process)", median: median(seed), unit: "s" },
  ];
  for (const cpus of [2, 3]) {
    const s = spin(cpus);
    const t = textpokeHotplug(cpus);
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
  return rows;
}

/**
 * `npm run bench [suite...]`: runs the benchmark suites and prints medians, with
 * ratios against baselines measured in the same run. Suites: decode, machine,
 * interp, boot, patch, check, snapshot (those present). Timing lives here, never in tests.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type BenchRow, formatRows } from "./harness.ts";

interface Suite {
  name: string;
  file: string;
  fn: string;
}

const SUITES: Suite[] = [
  { name: "decode", file: "./decode.bench.ts", fn: "decodeBench" },
  { name: "machine", file: "./machine.bench.ts", fn: "machineBench" },
  { name: "interp", file: "./interp.bench.ts", fn: "interpBench" },
  { name: "boot", file: "./boot.bench.ts", fn: "bootBench" },
  { name: "patch", file: "./patch.bench.ts", fn: "patchBench" },
  { name: "check", file: "./check.bench.ts", fn: "checkBench" },
  { name: "snapshot", file: "./snapshot.bench.ts", fn: "snapshotBench" },
];

/** Suites return either BenchRow[] or the decode suite's {name, medianWordsPerSec}. */
function normalise(rows: unknown[]): BenchRow[] {
  return rows.map((r) => {
    const row = r as Partial<BenchRow> & { medianWordsPerSec?: number };
    if (row.medianWordsPerSec !== undefined) {
      return { name: row.name ?? "?", median: row.medianWordsPerSec, unit: "words/s" };
    }
    return row as BenchRow;
  });
}

// Whole-process timings must run the bundle the user runs, not a stale one.
execFileSync(process.execPath, [new URL("../scripts/build.mjs", import.meta.url).pathname], {
  stdio: "inherit",
});

const CHILD = new URL("./suite-child.mjs", import.meta.url).pathname;
const wanted = process.argv.slice(2);
for (const s of SUITES) {
  if (wanted.length && !wanted.includes(s.name)) continue;
  const source = new URL(s.file, import.meta.url);
  if (!existsSync(source)) continue;
  // Each suite runs bundled, as the CLI bundle runs the model (not through
  // tsx's loader); beside its source, so its relative paths hold.
  const bundled = new URL(s.file.replace(/\.ts$/, ".bundle.mjs"), import.meta.url);
  await build({
    entryPoints: [source.pathname],
    outfile: bundled.pathname,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  // Each suite in a fresh process (bench/suite-child.mjs says why).
  const out = join(mkdtempSync(join(tmpdir(), "textpoke-bench-")), "rows.json");
  execFileSync(process.execPath, ["--expose-gc", CHILD, bundled.pathname, s.fn, out], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const rows = JSON.parse(readFileSync(out, "utf8")) as unknown[];
  process.stdout.write(formatRows(s.name, normalise(rows)));
}

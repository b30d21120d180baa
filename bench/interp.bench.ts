/**
 * Interpreter throughput in MIPS (guest instructions executed / wall time,
 * median of 7 runs after 2 warm-up runs) per corpus program and for a longer
 * synthetic workload compiled here, side by side with qemu-ppc64le on the
 * same binary, both with `-singlestep` (one instruction per translation
 * block: the closest thing to an interpreter) and normal TCG.
 *
 * Fairness: our figure is the whole in-process run (ELF load, address space,
 * stack, execution). qemu's is whole-process wall time minus the median wall
 * time of an almost empty program (fixtures/programs/exitcode) under the same
 * flags, so process start-up and qemu's own initialisation cancel out; the
 * instruction count is ours (both execute the same deterministic stream). For
 * the short corpus programs that difference is a few milliseconds and noisy;
 * the synthetic workload (~50M instructions) gives the stable comparison.
 *
 * Run: `npm run bench interp` or `node --import ./scripts/register.mjs bench/interp.bench.ts`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runUserProgram } from "../src/linux-user/process.ts";
import { type BenchRow, median } from "./harness.ts";

const CORPUS = new URL("../fixtures/programs/", import.meta.url).pathname;
const RUNS = 7;
const WARMUP = 2;

/** A longer integer workload (xorshift fill, then mixing passes over 32 KiB). */
const SPIN_C = `#include "${CORPUS}rt.h"
static u64 data[4096];
int main(void)
{
	u64 x = opaque(0x9e3779b97f4a7c15UL), acc = 0;
	for (int i = 0; i < 4096; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; data[i] = x; }
	for (int r = 0; r < (int)opaque(1000); r++) {
		for (int i = 0; i < 4096; i++) {
			u64 v = data[i];
			acc += (v * 0x100000001b3UL) ^ (acc >> 3);
			if (v & 1) acc ^= v >> 5; else acc -= v << 2;
			data[i] = v + acc;
		}
	}
	kv_x("acc", acc);
	return 0;
}
`;

interface Program {
  readonly name: string;
  readonly file: string;
  readonly cpu: "power9" | "power10";
}

function buildSpin(): Program[] {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-bench-"));
  writeFileSync(join(dir, "spin.c"), SPIN_C);
  const out: Program[] = [];
  for (const cpu of ["power9", "power10"] as const) {
    const file = join(dir, `spin.${cpu === "power9" ? "p9" : "p10"}`);
    const r = spawnSync("powerpc64le-linux-gnu-gcc", [
      "-O2",
      "-static",
      "-nostdlib",
      "-ffreestanding",
      `-mcpu=${cpu}`,
      "-Wl,--build-id=none",
      "-Wl,-z,max-page-size=0x1000",
      "-o",
      file,
      join(dir, "spin.c"),
    ]);
    if (r.status === 0 && existsSync(file))
      out.push({ name: `spin.${cpu === "power9" ? "p9" : "p10"}`, file, cpu });
    else
      process.stderr.write(
        "interp bench: powerpc64le-linux-gnu-gcc unavailable; no synthetic workload\n",
      );
  }
  return out;
}

function ours(p: Program): { mips: number; insns: number } | null {
  const bytes = new Uint8Array(readFileSync(p.file));
  const once = (): { insns: number; ms: number } => {
    const t0 = process.hrtime.bigint();
    const r = runUserProgram(bytes, { argv: [p.file], cpu: p.cpu, sink: { write: () => {} } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { insns: r.kind === "exit" ? r.insns : -1, ms };
  };
  if (once().insns < 0) {
    process.stderr.write(`interp bench: ${p.name} does not run to its exit here; skipped\n`);
    return null;
  }
  for (let i = 1; i < WARMUP; i++) once();
  const runs = Array.from({ length: RUNS }, once);
  const insns = runs[0]!.insns;
  return { mips: insns / median(runs.map((r) => r.ms)) / 1000, insns };
}

/** Median whole-process wall time (ms) of qemu-ppc64le on `file`. */
function qemuMs(file: string, cpu: string, singlestep: boolean): number {
  const args = ["-cpu", cpu, ...(singlestep ? ["-singlestep"] : []), file];
  const ms: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync("qemu-ppc64le", args, { stdio: "ignore" });
    if (r.error) throw new Error(`qemu-ppc64le not runnable: ${r.error.message}`);
    if (i > 0) ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ms);
}

/** qemu run time (net of an empty program) below which its rate is start-up noise. */
const MIN_QEMU_MS = 20;

export async function interpBench(): Promise<BenchRow[]> {
  const programs: Program[] = readdirSync(CORPUS)
    .filter((f) => /\.p(9|10)$/.test(f) && !f.startsWith("exitcode"))
    .sort()
    .map((f) => ({
      name: f,
      file: join(CORPUS, f),
      cpu: f.endsWith(".p9") ? "power9" : "power10",
    }));
  programs.push(...buildSpin());
  const rows: BenchRow[] = [];
  const baseline = new Map<string, number>();
  const base = (cpu: string, ss: boolean): number => {
    const key = `${cpu}/${ss}`;
    let v = baseline.get(key);
    if (v === undefined) {
      v = qemuMs(join(CORPUS, cpu === "power9" ? "exitcode.p9" : "exitcode.p10"), cpu, ss);
      baseline.set(key, v);
    }
    return v;
  };
  for (const p of programs) {
    const o = ours(p);
    if (o === null) continue;
    const ssMs = qemuMs(p.file, p.cpu, true) - base(p.cpu, true);
    const tcgMs = qemuMs(p.file, p.cpu, false) - base(p.cpu, false);
    const name = `${p.name} textpoke (${(o.insns / 1e6).toFixed(1)}M insns)`;
    // A run shorter than qemu's own start-up jitter gives no meaningful rate: show ours only.
    if (ssMs < MIN_QEMU_MS || tcgMs < MIN_QEMU_MS) {
      rows.push({ name: `${name}, too short to time qemu`, median: o.mips, unit: "MIPS" });
      continue;
    }
    const ss = o.insns / ssMs / 1000;
    const tcg = o.insns / tcgMs / 1000;
    rows.push({
      name,
      median: o.mips,
      unit: "MIPS",
      ratio: { value: o.mips / ss, against: "qemu -singlestep" },
    });
    rows.push({ name: `${p.name} qemu-ppc64le -singlestep`, median: ss, unit: "MIPS" });
    rows.push({
      name: `${p.name} qemu-ppc64le (TCG)`,
      median: tcg,
      unit: "MIPS",
      ratio: { value: o.mips / tcg, against: "qemu TCG" },
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatRows } = await import("./harness.ts");
  process.stdout.write(formatRows("interp", await interpBench()));
}

/**
 * Machine-layer benchmarks: translation throughput (TLB hit / miss), steps per
 * second of the stepping loop with 2 CPUs, and the heap of an idle 2048-CPU
 * machine. Run through bench/run.ts or directly: `node --import ./scripts/register.mjs bench/machine.bench.ts`.
 */
import { translate } from "../src/machine/access.ts";
import { DefaultChoices } from "../src/machine/choices/default.ts";
import { RandomChoices } from "../src/machine/choices/random.ts";
import { Machine } from "../src/machine/machine.ts";
import { Access } from "../src/machine/mmu/fault.ts";
import { OpKind, type Task } from "../src/machine/ops.ts";
import { PAGE_KERNEL, RadixTables } from "../test/machine/helpers/radix-tables.ts";

interface Result {
  name: string;
  median: number;
  unit: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeOps(runs: number, ops: number, fn: () => void): number {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    rates.push(ops / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

function mappedMachine() {
  const m = new Machine({ cpus: 2, memoryBytes: 256 << 20 });
  const t = new RadixTables(m.mem, 16);
  const kpgd = t.initPartition();
  for (let i = 0; i < 256; i++) {
    t.map(
      kpgd,
      0xc000_0000_0000_0000n + BigInt(i) * 0x1_0000n,
      0x200_0000 + i * 0x1_0000,
      PAGE_KERNEL,
    );
  }
  for (const c of m.cpus) {
    c.ptcr = t.ptcr;
    c.msr = 0x9000_0000_0000_1033n;
  }
  return m;
}

export async function machineBench(): Promise<Result[]> {
  const out: Result[] = [];
  const m = mappedMachine();
  const c = m.cpu(0);
  const N = 200_000;
  out.push({
    name: "translate, TLB hit (same page)",
    median: timeOps(7, N, () => {
      for (let i = 0; i < N; i++)
        translate(m, c, 0xc000_0000_0000_0000n + BigInt(i & 0xff8), Access.LOAD);
    }),
    unit: "ops/s",
  });
  const eas = Array.from({ length: 256 }, (_, i) => 0xc000_0000_0000_0000n + BigInt(i) * 0x1_0000n);
  out.push({
    name: "translate, TLB hit (256 pages)",
    median: timeOps(7, N, () => {
      for (let i = 0; i < N; i++) translate(m, c, eas[i & 255]!, Access.LOAD);
    }),
    unit: "ops/s",
  });
  const M = 20_000;
  out.push({
    name: "translate, TLB miss (walk + fill)",
    median: timeOps(7, M, () => {
      for (let i = 0; i < M; i++) {
        m.tlbiel(c, 0x400n, 0n, 0, true, true);
        translate(m, c, eas[i & 255]!, Access.LOAD);
      }
    }),
    unit: "ops/s",
  });
  const S = 200_000;
  out.push({
    name: "stepping loop, 2 CPUs (random choices)",
    median: timeOps(5, S, () => {
      const mm = new Machine({ cpus: 2, memoryBytes: 1 << 20 });
      const task = function* (): Task {
        for (let i = 0; i < S / 2 - 1; i++) yield OpKind.OTHER;
      };
      mm.spawn(0, task());
      mm.spawn(1, task());
      mm.run(new RandomChoices(1));
    }),
    unit: "steps/s",
  });
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  const before = process.memoryUsage().heapUsed;
  const big = new Machine({ cpus: 2048, memoryBytes: 1 << 30 });
  big.run(new DefaultChoices());
  g?.();
  const after = process.memoryUsage().heapUsed;
  out.push({
    name: "heap of an idle 2048-CPU machine",
    median: (after - before) / 2 ** 20,
    unit: "MiB",
  });
  if (big.cpus.length !== 2048) throw new Error("unreachable");
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await machineBench()) console.log(`${r.name}: ${r.median.toFixed(2)} ${r.unit}`);
}

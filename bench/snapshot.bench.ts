/**
 * Starting executions from a snapshot (src/explore/snapshot.ts) against
 * booting for each: a warm boot of two CPUs, a fork of the booted snapshot,
 * and a small execution on a fork — one patch_instruction on CPU 0, and one
 * on each CPU under random scheduling, as the checker runs them.
 */
import { boot } from "../src/api/boot.ts";
import { snapshotKernel } from "../src/explore/snapshot.ts";
import { ppcInst } from "../src/isa/powerpc/inst.ts";
import { patchingOps } from "../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../src/linux/core/kernel.ts";
import { imageSymbol } from "../src/linux/image/build.ts";
import { runKernelThread } from "../src/linux/kernel/exit.ts";
import { createKthread } from "../src/linux/kernel/kthread.ts";
import { RandomChoices } from "../src/machine/choices/random.ts";
import { type BenchRow, median } from "./harness.ts";

/** Median microseconds of `fn` over `runs` timed calls, after `warmup` untimed ones. */
function micros(fn: () => void, runs: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const us: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return median(us);
}

/** Spawn one patch_instruction on each of `cpus` (a word each). */
function spawnPatches(k: Kernel, cpus: readonly number[]): void {
  const sym = imageSymbol(k, "do_one_initcall");
  if (sym === undefined) throw new Error("no do_one_initcall");
  for (const cpu of cpus) {
    const at = sym.address + 0x40n + BigInt(cpu) * 0x40n;
    const c = { k, cpu: k.machine.cpu(cpu), current: createKthread(k, `bench${cpu}`) };
    k.machine.spawn(
      cpu,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          const err = yield* patchingOps(k).patchInstruction(cc, at, ppcInst(0x7fe0_0008));
          if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
        });
      })(),
    );
  }
}

export function snapshotBench(): BenchRow[] {
  const bootMs = micros(() => boot({ cpus: 2 }), 15, 3) / 1e3;
  const snap = snapshotKernel(boot({ cpus: 2 }).kernel);
  const forkUs = micros(() => snap.fork(), 2000, 500);
  // Each timed execution on a fork of its own (the fork itself untimed).
  const onFork = (cpus: readonly number[], seed: () => number): number => {
    const us: number[] = [];
    for (let i = 0; i < 600; i++) {
      const forked = snap.fork();
      const t0 = process.hrtime.bigint();
      spawnPatches(forked, cpus);
      const r = forked.machine.run(new RandomChoices(seed()));
      if (r.status !== "done") throw new Error(`run: ${r.status}`);
      if (i >= 100) us.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    return median(us);
  };
  let s = 1;
  const patch1 = onFork([0], () => s++);
  const patch2 = onFork([0, 1], () => s++);
  return [
    { name: "boot (2 CPUs, warm)", median: bootMs, unit: "ms" },
    {
      name: "fork of the booted snapshot",
      median: forkUs,
      unit: "µs",
      ratio: { value: (bootMs * 1e3) / forkUs, against: "boot" },
    },
    { name: `  objects copied per fork`, median: snap.cost.objects, unit: "objects" },
    { name: "one patch_instruction on a fork (CPU 0)", median: patch1, unit: "µs" },
    { name: "one patch_instruction per CPU, random schedule", median: patch2, unit: "µs" },
  ];
}

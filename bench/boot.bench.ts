/** Boot time by CPU count, and memory at 2048 CPUs. */
import { boot } from "../src/api/boot.ts";
import { type BenchRow, median, wallMs } from "./harness.ts";

export async function bootBench(): Promise<BenchRow[]> {
  const ms2 = wallMs(() => boot({ cpus: 2 }), 7, 1);
  const ms64 = wallMs(() => boot({ cpus: 64 }), 5, 1);
  const ms2048 = wallMs(() => boot({ cpus: 2048 }), 3, 1);
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = boot({ cpus: 2048 });
    rss.push(process.memoryUsage().rss / 2 ** 20);
    heap.push(process.memoryUsage().heapUsed / 2 ** 20);
    if (r.exitCode !== 0) throw new Error("2048-CPU boot failed");
  }
  return [
    { name: "boot, 2 CPUs", median: ms2, unit: "ms" },
    {
      name: "boot, 64 CPUs",
      median: ms64,
      unit: "ms",
      ratio: { value: ms64 / ms2, against: "2 CPUs" },
    },
    {
      name: "boot, 2048 CPUs",
      median: ms2048,
      unit: "ms",
      ratio: { value: ms2048 / ms2, against: "2 CPUs" },
    },
    { name: "RSS after 2048-CPU boot", median: median(rss), unit: "MiB" },
    { name: "heap used after 2048-CPU boot", median: median(heap), unit: "MiB" },
  ];
}

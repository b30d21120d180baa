/**
 * Benchmark plumbing: every figure is a median over repeated runs, and every
 * suite reports a baseline measured in the same run so ratios stay meaningful
 * across machines.
 */
export interface BenchRow {
  /** What was measured. */
  name: string;
  /** Median over the runs. */
  median: number;
  /** Unit of `median`, e.g. "words/s", "ms", "MiB". */
  unit: string;
  /** Optional ratio against a baseline measured in the same run, with its name. */
  ratio?: { value: number; against: string };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Time `fn` (which performs `ops` operations) `runs` times after `warmup`
 * unmeasured runs; returns the median rate in operations per second.
 */
export function rate(fn: () => void, ops: number, runs = 7, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - t0);
    rates.push((ops * 1e9) / ns);
  }
  return median(rates);
}

/** Median wall time in milliseconds of `runs` calls of `fn`. */
export function wallMs(fn: () => void, runs = 7, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ms);
}

export function formatRows(suite: string, rows: readonly BenchRow[]): string {
  const w = Math.max(...rows.map((r) => r.name.length), 10);
  let out = `\n${suite}\n`;
  for (const r of rows) {
    const value =
      r.median >= 100 ? Math.round(r.median).toLocaleString("en-US") : r.median.toPrecision(4);
    const ratio = r.ratio ? `   ${r.ratio.value.toFixed(2)}x ${r.ratio.against}` : "";
    out += `  ${r.name.padEnd(w)}  ${value.padStart(14)} ${r.unit}${ratio}\n`;
  }
  return out;
}

/**
 * A counterexample as a kernel developer reads it: the invariant and what
 * broke, the schedule's size, the interleaving as one column per CPU with a
 * row per visible step (the kernel function it ran in and the operation),
 * the source files of those functions, and the replay line.
 */

import { OpKind } from "../machine/ops.ts";
import type { ExecState, StepRecord } from "./execution.ts";
import { opName } from "./execution.ts";

export interface ScheduleSize {
  readonly steps: number;
  readonly switches: number;
}

/** Steps and context switches (a step by another CPU than the one before). */
export function scheduleSize(steps: readonly StepRecord[]): ScheduleSize {
  let switches = 0;
  for (let i = 1; i < steps.length; i++) if (steps[i]!.cpu !== steps[i - 1]!.cpu) switches++;
  return { steps: steps.length, switches };
}

function describe(s: StepRecord): string {
  const op = opName(s.op);
  let what = op;
  if (s.op === OpKind.LOCK || s.op === OpKind.UNLOCK || s.op === OpKind.WAIT) {
    const name = (s.object as { name?: unknown } | null)?.name;
    if (typeof name === "string") what = `${op} ${name}`;
  } else if (s.addr !== 0n && s.op !== OpKind.START) {
    what = `${op} 0x${s.addr.toString(16)}`;
  } else if (typeof s.object === "string") {
    what = `${op} ${s.object}`;
  }
  return `${s.fn}: ${what}${s.irq ? " [irq]" : ""}`;
}

/**
 * Which rows to print: steps near a context switch, an interrupt or the
 * violation, and the start; a long stretch of one CPU elsewhere is one
 * summary row (the replay runs every step).
 */
function visibleRows(steps: readonly StepRecord[], marker: number): boolean[] {
  const n = steps.length;
  const show = new Array<boolean>(n).fill(n <= 60);
  if (n <= 60) return show;
  const mark = (c: number, before: number, after: number) => {
    for (let i = Math.max(0, c - before); i <= Math.min(n - 1, c + after); i++) show[i] = true;
  };
  mark(0, 0, 2);
  mark(marker < 0 ? n - 1 : marker, 24, 2);
  for (let i = 1; i < n; i++) {
    if (steps[i]!.cpu !== steps[i - 1]!.cpu || steps[i]!.irq) mark(i, 3, 3);
  }
  return show;
}

/** The interleaving table (a row per step, a column per CPU that took one). */
export function formatInterleaving(x: ExecState, marker: number): string[] {
  const cpus = [...new Set(x.steps.map((s) => s.cpu))].sort((a, b) => a - b);
  const cells = x.steps.map(describe);
  const width = new Map<number, number>();
  for (const c of cpus) width.set(c, `CPU ${c}`.length);
  x.steps.forEach((s, i) => {
    width.set(s.cpu, Math.max(width.get(s.cpu)!, cells[i]!.length));
  });
  const num = String(x.steps.length).length;
  const row = (first: string, by: (c: number) => string) =>
    `  ${first.padStart(num)} | ${cpus.map((c) => by(c).padEnd(width.get(c)!)).join(" | ")}`.trimEnd();
  const out = [row("#", (c) => `CPU ${c}`)];
  const shown = visibleRows(x.steps, marker);
  let skipped = 0;
  const flush = (upto: number) => {
    if (skipped === 0) return;
    const from = upto - skipped;
    const fns = [...new Set(x.steps.slice(from, upto).map((s) => s.fn))];
    const by = [...new Set(x.steps.slice(from, upto).map((s) => s.cpu))].join(", ");
    const list =
      fns.length > 4
        ? `${fns.slice(0, 2).join(", ")} … ${fns.slice(-2).join(", ")}`
        : fns.join(", ");
    out.push(
      `  ${"".padStart(num)} | … ${skipped} steps by CPU ${by}, no context switch (${list})`,
    );
    skipped = 0;
  };
  x.steps.forEach((s, i) => {
    if (!shown[i]) {
      skipped++;
      return;
    }
    flush(i);
    const line = row(String(i), (c) => (c === s.cpu ? cells[i]! : ""));
    out.push(i === marker ? `${line}   <== ${x.violation?.invariant}` : line);
  });
  flush(x.steps.length);
  return out;
}

/** The counterexample block: exactly what `check` and `replay` print for a violation. */
export function formatCounterexample(
  x: ExecState,
  header: string,
  shrunkFrom: ScheduleSize | null,
  token: string,
): string {
  const v = x.violation!;
  const size = scheduleSize(x.steps);
  const lines = [
    `VIOLATION ${v.invariant}: ${header}`,
    ...v.message.split("\n").map((l) => `  ${l}`),
    `schedule: ${size.steps} steps, ${size.switches} context switches${
      shrunkFrom === null
        ? ""
        : ` (shrunk from ${shrunkFrom.steps} steps, ${shrunkFrom.switches} switches)`
    }${v.step < 0 ? "; seen when the execution ended" : ""}`,
    ...formatInterleaving(x, v.step),
  ];
  const files = new Map<string, string>();
  for (const s of x.steps) if (s.file !== "" && !files.has(s.fn)) files.set(s.fn, s.file);
  lines.push(
    `functions: ${[...files].map(([fn, file]) => `${fn} (${file})`).join(", ")}`,
    `replay: textpoke replay ${token}`,
  );
  return `${lines.join("\n")}\n`;
}

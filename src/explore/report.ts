/**
 * A counterexample as a kernel developer reads it: the invariant and what
 * broke, the schedule's size, the interleaving as one column per CPU with a
 * row per visible step (the kernel function it ran in and the operation),
 * the source files of those functions, and the replay line.
 */
import type { ExecState, StepRecord } from "./execution.ts";
import { opName } from "./execution.ts";
import { OpKind } from "../machine/ops.ts";

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

/** The interleaving table (a row per step, a column per CPU that took one). */
export function formatInterleaving(x: ExecState, marker: number): string[] {
  const cpus = [...new Set(x.steps.map((s) => s.cpu))].sort((a, b) => a - b);
  const cells = x.steps.map(describe);
  const width = new Map<number, number>();
  for (const c of cpus) width.set(c, `CPU ${c}`.length);
  x.steps.forEach((s, i) => width.set(s.cpu, Math.max(width.get(s.cpu)!, cells[i]!.length)));
  const num = String(x.steps.length).length;
  const row = (first: string, by: (c: number) => string) =>
    `  ${first.padStart(num)} | ${cpus.map((c) => by(c).padEnd(width.get(c)!)).join(" | ")}`.trimEnd();
  const out = [row("#", (c) => `CPU ${c}`)];
  x.steps.forEach((s, i) => {
    const line = row(String(i), (c) => (c === s.cpu ? cells[i]! : ""));
    out.push(i === marker ? `${line}   <== ${x.violation?.invariant}` : line);
  });
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
      shrunkFrom === null ? "" : ` (shrunk from ${shrunkFrom.steps} steps, ${shrunkFrom.switches} switches)`
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

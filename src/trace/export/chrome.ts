/**
 * Chrome Trace Event JSON (the "JSON Array/Object Format" Perfetto and
 * chrome://tracing open): one thread track per CPU, kernel functions as
 * duration slices (B/E), steps, printk lines, interrupts and marks as instant
 * events. Timestamps are microseconds of simulated time derived from the
 * timebase (`tbHz` ticks per second), so the same run exports the same bytes.
 */
import type { TraceEvent } from "../events.ts";

interface ChromeEvent {
  name: string;
  ph: "B" | "E" | "i" | "M";
  ts: number;
  pid: number;
  tid: number;
  s?: "t";
  args?: Record<string, string | number>;
}

export function toChromeTrace(events: readonly TraceEvent[], tbHz = 512_000_000): string {
  const out: ChromeEvent[] = [];
  const cpus = new Set<number>();
  const us = (tb: number): number => Math.round(((tb * 1e6) / tbHz) * 1000) / 1000;
  for (const e of events) {
    cpus.add(e.cpu);
    const base = { ts: us(e.tb), pid: 0, tid: e.cpu };
    switch (e.type) {
      case "enter":
        out.push({ name: e.fn, ph: "B", ...base });
        break;
      case "exit":
        out.push({ name: e.fn, ph: "E", ...base });
        break;
      case "step":
        out.push({
          name: e.op,
          ph: "i",
          s: "t",
          ...base,
          args:
            e.ea === undefined ? { step: e.step } : { step: e.step, ea: `0x${e.ea.toString(16)}` },
        });
        break;
      case "printk":
        out.push({ name: "printk", ph: "i", s: "t", ...base, args: { text: e.text } });
        break;
      case "interrupt":
        out.push({ name: `interrupt 0x${e.vector.toString(16)}`, ph: "i", s: "t", ...base });
        break;
      case "mark":
        out.push({
          name: e.name,
          ph: "i",
          s: "t",
          ...base,
          args: e.detail === undefined ? {} : { detail: e.detail },
        });
        break;
    }
  }
  const meta: ChromeEvent[] = [...cpus]
    .sort((a, b) => a - b)
    .map((cpu) => ({
      name: "thread_name",
      ph: "M",
      ts: 0,
      pid: 0,
      tid: cpu,
      args: { name: `CPU ${cpu}` },
    }));
  meta.unshift({
    name: "process_name",
    ph: "M",
    ts: 0,
    pid: 0,
    tid: 0,
    args: { name: "textpoke" },
  });
  return `${JSON.stringify({ traceEvents: [...meta, ...out], displayTimeUnit: "ns" })}\n`;
}

/**
 * The tracing core's parts the function tracer needs (kernel/trace/trace.c
 * and the function event's output from kernel/trace/trace_output.c, v6.2):
 * the `ftrace=` boot option, `early_trace_init` → `tracer_alloc_buffers`
 * (the per-CPU buffers, the nop and function tracers registered, the boot
 * tracer started: "Starting tracer 'function'"), `tracing_set_tracer`, and
 * the `trace` file as /sys/kernel/tracing/trace prints it with the default
 * options (print-parent, irq-info, context-info; no latency format, no tgid).
 *
 * SIMPLIFICATION: the buffers are arrays of fixed-size events, one per
 * possible CPU, allocated together, overwriting their oldest event when full
 * (the kernel's ring buffer has pages and variable-size events; its default
 * size is far larger); comms come from the live tasks at read time rather
 * than from saved_cmdlines filled at sched_switch; no trace events, no
 * instances, no tracefs files besides what `traceFile` and the set-tracer
 * and filter helpers stand for; the trace clock is the timebase (`local`).
 */

import { bootCommandLine } from "../../arch/powerpc/kernel/setup-common.ts";
import { ftraceSymbol } from "../../arch/powerpc/kernel/trace/ftrace.ts";
import { __pa, __va } from "../../arch/powerpc/kernel/vmlinux.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import { kfunc } from "../../core/kfunc.ts";
import { declareCalls } from "../../image/sites.ts";
import { tbToNs } from "../../include/linux/delay.ts";
import { GFP_KERNEL } from "../../include/linux/gfp.ts";
import { EINVAL } from "../../include/uapi/errno.ts";
import { allocPages } from "../../mm/page_alloc.ts";
import { cpuOnline } from "../cpu.ts";
import { ftraceConfigured, ftraceFilterFunctions, ftraceSetFilter, globalOps } from "./ftrace.ts";
import { functionTraceInit, functionTraceReset } from "./trace_functions.ts";
import {
  CPUBUF_EVENTS,
  CPUBUF_SIZE,
  CPUBUF_WRITTEN,
  EV_FLAGS,
  EV_IP,
  EV_PARENT_IP,
  EV_PID,
  EV_PREEMPT_COUNT,
  EV_SIZE,
  EV_TS,
  EV_TYPE,
  TP_BUFFER_EVENTS,
  TR_DATA,
  TR_NR_CPUS,
  TRACE_FN,
} from "./trace-layout.ts";

const FILE = "kernel/trace/trace.c";
const CONFIG = "FUNCTION_TRACER" as const;

interface TraceState {
  /** `default_bootup_tracer` (the `ftrace=` option), null when none or used. */
  bootupTracer: string | null;
  /** The tracer the top-level array runs. */
  current: "nop" | "function";
  /** Whether tracer_alloc_buffers() ran and gave buffers. */
  buffers: boolean;
}

const STATE = defineSlot<TraceState>("trace", () => ({
  bootupTracer: null,
  current: "nop",
  buffers: false,
}));

/** The tracers the model has (`trace_types`). */
const TRACERS = ["function", "nop"] as const;

/** Did tracer_alloc_buffers() give the top-level array its buffers? */
export function traceBuffersAllocated(k: Kernel): boolean {
  return k.slot(STATE).buffers;
}

/** The tracer the top-level trace array runs (`current_tracer`). */
export function currentTracer(k: Kernel): string {
  return k.slot(STATE).current;
}

/** The `ftrace=` (set_cmdline_ftrace) __setup handler. */
function parseTraceBootParams(k: Kernel): void {
  for (const word of bootCommandLine(k).split(/\s+/)) {
    if (word.startsWith("ftrace=")) k.slot(STATE).bootupTracer = word.slice("ftrace=".length);
  }
}

/**
 * Models `tracer_alloc_buffers()`'s buffer part: one buffer per possible CPU
 * for the top-level trace array (`allocate_trace_buffers`).
 */
function* allocateTraceBuffers(c: Ctx): KGen<boolean> {
  const k = c.k;
  const nr = k.machine.cpus.length;
  const bytes = nr * CPUBUF_SIZE;
  const frames = Math.ceil(bytes / k.config.pageSize);
  const order = 32 - Math.clz32(Math.max(1, frames) - 1);
  const pa = yield* allocPages(c, GFP_KERNEL, order, "tracer_alloc_buffers");
  if (pa === null) return false;
  const mem = k.machine.mem;
  const tr = __pa(ftraceSymbol(k, "global_trace"));
  mem.write64(tr + TR_DATA, __va(pa));
  mem.write64(tr + TR_NR_CPUS, BigInt(nr));
  return true;
}

/**
 * Models `tracing_set_tracer(tr, buf)` for the top-level array: reset the
 * old tracer, init the new one. -EINVAL for a tracer the model lacks.
 */
export const tracingSetTracer = kfunc(
  { name: "tracing_set_tracer", file: FILE, size: 0x2a0, config: CONFIG },
  function* (c: Ctx, name: string): KGen<number> {
    const s = c.k.slot(STATE);
    if (!(TRACERS as readonly string[]).includes(name)) return -EINVAL;
    if (s.current === name) return 0;
    if (s.current === "function") yield* functionTraceReset(c);
    s.current = "nop";
    if (name === "function") {
      s.current = "function";
      yield* functionTraceInit(c);
    }
    return 0;
  },
);

/**
 * Models `register_tracer(type)` at boot: the bootup tracer starts when it
 * is registered ("Starting tracer '%s'").
 */
function* registerTracer(c: Ctx, name: string): KGen<void> {
  const s = c.k.slot(STATE);
  if (s.bootupTracer === null || s.bootupTracer !== name) return;
  c.k.printk.prInfo(`Starting tracer '${name}'\n`, c.current.pid);
  yield* tracingSetTracer(c, name);
  s.bootupTracer = null;
}

/**
 * Models `early_trace_init()` → `tracer_alloc_buffers()` (start_kernel,
 * right after ftrace_init): the buffers, then the nop tracer and
 * `init_function_trace()`'s function tracer, either of which may be the
 * bootup tracer.
 */
export const earlyTraceInit = kfunc(
  { name: "early_trace_init", file: FILE, size: 0x40, init: true, config: CONFIG },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    if (!ftraceConfigured(k)) return;
    parseTraceBootParams(k);
    const s = k.slot(STATE);
    if (!(yield* allocateTraceBuffers(c))) {
      k.printk.prErr("tracer: failed to allocate ring buffer!\n", c.current.pid);
      return;
    }
    s.buffers = true;
    yield* registerTracer(c, "nop");
    yield* registerTracer(c, "function");
  },
);

declareCalls("start_kernel", ["early_trace_init"]);
declareCalls("early_trace_init", ["tracing_set_tracer"]);
declareCalls("tracing_set_tracer", ["function_trace_init", "function_trace_reset"]);

/**
 * `echo FUNC >> set_ftrace_filter; echo function > current_tracer` (the
 * checker's ftrace-enable): add FUNC to the function tracer's filter, then
 * start the tracer if it is not running. Returns 0 or a negative errno.
 */
export function* ftraceEnableFunction(c: Ctx, func: string): KGen<number> {
  const ret = yield* ftraceSetFilter(c, globalOps(c.k), func, false);
  if (ret !== 0) return ret;
  return yield* tracingSetTracer(c, "function");
}

/**
 * `echo '!FUNC' >> set_ftrace_filter` (the checker's ftrace-disable): take
 * FUNC out of the filter; when the filter is left empty (which would mean
 * "trace every function") stop the tracer instead (`echo nop > current_tracer`).
 */
export function* ftraceDisableFunction(c: Ctx, func: string): KGen<number> {
  const k = c.k;
  const ops = globalOps(k);
  const last = ftraceFilterFunctions(k, ops).every((f) => f === func);
  if (last && currentTracer(k) === "function") {
    const ret = yield* tracingSetTracer(c, "nop");
    if (ret !== 0) return ret;
  }
  return yield* ftraceSetFilter(c, ops, func, true);
}

/** One function event read back from a CPU's buffer. */
export interface FunctionEvent {
  readonly cpu: number;
  readonly ts: bigint;
  readonly flags: number;
  readonly preemptCount: number;
  readonly pid: number;
  readonly ip: bigint;
  readonly parentIp: bigint;
}

/** Every event still in the buffers, by CPU, oldest first; and the counts the header prints. */
export function traceBufferEvents(k: Kernel): {
  events: FunctionEvent[][];
  entries: number;
  written: number;
} {
  const events: FunctionEvent[][] = [];
  let entries = 0;
  let written = 0;
  if (!k.slot(STATE).buffers) return { events, entries, written };
  const mem = k.machine.mem;
  const tr = __pa(ftraceSymbol(k, "global_trace"));
  const data = __pa(mem.read64(tr + TR_DATA));
  const nr = Number(mem.read64(tr + TR_NR_CPUS));
  for (let cpu = 0; cpu < nr; cpu++) {
    const buf = data + cpu * CPUBUF_SIZE;
    const w = Number(mem.read64(buf + CPUBUF_WRITTEN));
    const n = Math.min(w, TP_BUFFER_EVENTS);
    const list: FunctionEvent[] = [];
    for (let i = w - n; i < w; i++) {
      const e = buf + CPUBUF_EVENTS + (i % TP_BUFFER_EVENTS) * EV_SIZE;
      if (mem.read16(e + EV_TYPE) !== TRACE_FN) continue;
      list.push({
        cpu,
        ts: mem.read64(e + EV_TS),
        flags: mem.read8(e + EV_FLAGS),
        preemptCount: mem.read8(e + EV_PREEMPT_COUNT),
        pid: mem.read32(e + EV_PID),
        ip: mem.read64(e + EV_IP),
        parentIp: mem.read64(e + EV_PARENT_IP),
      });
    }
    events.push(list);
    entries += n;
    written += w;
  }
  return { events, entries, written };
}

/** `enum trace_flag_type`. */
const TRACE_FLAG_IRQS_OFF = 0x01;
const TRACE_FLAG_IRQS_NOSUPPORT = 0x02;
const TRACE_FLAG_NEED_RESCHED = 0x04;
const TRACE_FLAG_HARDIRQ = 0x08;
const TRACE_FLAG_SOFTIRQ = 0x10;
const TRACE_FLAG_PREEMPT_RESCHED = 0x20;
const TRACE_FLAG_NMI = 0x40;
const TRACE_FLAG_BH_OFF = 0x80;

/** Models `trace_print_lat_fmt(s, entry)`: the five irq/preempt columns. */
export function traceLatFmt(flags: number, preemptCount: number): string {
  const nmi = flags & TRACE_FLAG_NMI;
  const hardirq = flags & TRACE_FLAG_HARDIRQ;
  const softirq = flags & TRACE_FLAG_SOFTIRQ;
  const bhOff = flags & TRACE_FLAG_BH_OFF;
  const irqsOff =
    flags & TRACE_FLAG_IRQS_OFF && bhOff
      ? "D"
      : flags & TRACE_FLAG_IRQS_OFF
        ? "d"
        : bhOff
          ? "b"
          : flags & TRACE_FLAG_IRQS_NOSUPPORT
            ? "X"
            : ".";
  const resched = flags & (TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_PREEMPT_RESCHED);
  const needResched =
    resched === (TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_PREEMPT_RESCHED)
      ? "N"
      : resched === TRACE_FLAG_NEED_RESCHED
        ? "n"
        : resched === TRACE_FLAG_PREEMPT_RESCHED
          ? "p"
          : ".";
  const hardsoft =
    nmi && hardirq
      ? "Z"
      : nmi
        ? "z"
        : hardirq && softirq
          ? "H"
          : hardirq
            ? "h"
            : softirq
              ? "s"
              : ".";
  const depth = preemptCount & 0xf ? (preemptCount & 0xf).toString(16) : ".";
  const migrate = preemptCount & 0xf0 ? (preemptCount >> 4).toString(16) : ".";
  return `${irqsOff}${needResched}${hardsoft}${depth}${migrate}`;
}

/** Models `trace_find_cmdline(pid, comm)`. */
function traceFindCmdline(k: Kernel, pid: number): string {
  if (pid === 0) return "<idle>";
  return k.tasks.get(pid)?.comm ?? "<...>";
}

/** Models `seq_print_ip_sym(s, ip, flags)` with no sym-offset/sym-addr: the function's name. */
function seqPrintIpSym(k: Kernel, ip: bigint): string {
  if (ip === 0n) return "0";
  const hit = k.kallsyms.lookup(ip);
  return hit !== undefined ? hit.symbol.name : `0x${ip.toString(16).padStart(8, "0")}`;
}

/** Models `ns2usecs()`: rounded to the nearest microsecond. */
function ns2usecs(ns: bigint): bigint {
  return (ns + 500n) / 1000n;
}

/** One line of the trace: `trace_print_context()` then `trace_fn_trace()`. */
function traceLine(k: Kernel, e: FunctionEvent): string {
  const comm = traceFindCmdline(k, e.pid).padStart(16);
  const pid = String(e.pid).padEnd(7);
  const cpu = String(e.cpu).padStart(3, "0");
  const t = ns2usecs(tbToNs(Number(e.ts)));
  const secs = String(t / 1_000_000n).padStart(5);
  const usec = String(t % 1_000_000n).padStart(6, "0");
  let fn = seqPrintIpSym(k, e.ip);
  if (e.parentIp !== 0n) fn += ` <-${seqPrintIpSym(k, e.parentIp)}`;
  return `${comm}-${pid} [${cpu}] ${traceLatFmt(e.flags, e.preemptCount)} ${secs}.${usec}: ${fn}\n`;
}

/**
 * /sys/kernel/tracing/trace for the top-level array (s_show with
 * print_trace_header → trace_default_header → print_func_help_header_irq,
 * then the events merged across CPUs by time stamp, as find_next_entry
 * picks them: the earliest first, the lower CPU on a tie).
 */
export function traceFile(k: Kernel): string {
  const { events, entries, written } = traceBufferEvents(k);
  const online = k.machine.cpus.filter((cpu) => cpuOnline(k, cpu.id)).length;
  let out = `# tracer: ${currentTracer(k)}\n#\n`;
  out += `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${online}\n#\n`;
  out += "#                                _-----=> irqs-off/BH-disabled\n";
  out += "#                               / _----=> need-resched\n";
  out += "#                              | / _---=> hardirq/softirq\n";
  out += "#                              || / _--=> preempt-depth\n";
  out += "#                              ||| / _-=> migrate-disable\n";
  out += "#                              |||| /     delay\n";
  out += "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n";
  out += "#              | |         |   |||||     |         |\n";
  const next = events.map(() => 0);
  for (;;) {
    let best = -1;
    for (let cpu = 0; cpu < events.length; cpu++) {
      const e = events[cpu]![next[cpu]!];
      if (e === undefined) continue;
      if (best < 0 || e.ts < events[best]![next[best]!]!.ts) best = cpu;
    }
    if (best < 0) break;
    out += traceLine(k, events[best]![next[best]!]!);
    next[best]!++;
  }
  return out;
}

/**
 * The function tracer's setup half (kernel/trace/trace_functions.c, v6.2):
 * `function_trace_init` points the trace array's ops at the compiled
 * callback function_trace_call and registers it (tracing_start_function_trace),
 * `function_trace_reset` unregisters it. The callback itself is compiled
 * (fixtures/kernel/trace_functions.c).
 * SIMPLIFICATION: only the default function tracer (no func_stack_trace,
 * no-repeats or traceon/traceoff commands); only the top-level trace array.
 */

import { st } from "../../../machine/task-ops.ts";
import { ftraceSymbol } from "../../arch/powerpc/kernel/trace/ftrace.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { kfunc } from "../../core/kfunc.ts";
import { declareCalls } from "../../image/sites.ts";
import {
  type FtraceOps,
  ftraceInitArrayOps,
  globalOps,
  registerFtraceFunction,
  unregisterFtraceFunction,
} from "./ftrace.ts";
import { TR_FUNCTION_ENABLED } from "./trace-layout.ts";

const FILE = "kernel/trace/trace_functions.c";
const CONFIG = "FUNCTION_TRACER" as const;

/** `tr->function_enabled = v`: read by the compiled callback. */
function* setFunctionEnabled(c: Ctx, tr: bigint, v: number): KGen<void> {
  const f = yield* st(c.k.machine, c.cpu, tr + BigInt(TR_FUNCTION_ENABLED), 8, BigInt(v));
  if (f !== null) throw new Error("trace: store to global_trace faulted");
}

/** Models `tracing_start_function_trace(tr)`. */
function* tracingStartFunctionTrace(c: Ctx, tr: bigint, ops: FtraceOps): KGen<number> {
  yield* setFunctionEnabled(c, tr, 0);
  const ret = yield* registerFtraceFunction(c, ops);
  yield* setFunctionEnabled(c, tr, 1);
  return ret;
}

/** Models `tracing_stop_function_trace(tr)`. */
function* tracingStopFunctionTrace(c: Ctx, tr: bigint, ops: FtraceOps): KGen<void> {
  yield* setFunctionEnabled(c, tr, 0);
  yield* unregisterFtraceFunction(c, ops);
}

/**
 * Models `function_trace_init(tr)`: the ops calls function_trace_call with
 * the trace array; cmdline recording starts; the ops is registered. The
 * kernel ignores what registering returns (tracing_start_function_trace is void).
 */
export const functionTraceInit = kfunc(
  { name: "function_trace_init", file: FILE, size: 0xe0, config: CONFIG },
  function* (c: Ctx): KGen<number> {
    const k = c.k;
    const tr = ftraceSymbol(k, "global_trace");
    const ops = globalOps(k);
    yield* ftraceInitArrayOps(c, ops, tr, ftraceSymbol(k, "function_trace_call"));
    yield* tracingStartFunctionTrace(c, tr, ops);
    return 0;
  },
);

/** Models `function_trace_reset(tr)`: tracing_stop_function_trace. */
export const functionTraceReset = kfunc(
  { name: "function_trace_reset", file: FILE, size: 0x60, config: CONFIG },
  function* (c: Ctx): KGen<void> {
    yield* tracingStopFunctionTrace(c, ftraceSymbol(c.k, "global_trace"), globalOps(c.k));
  },
);

declareCalls("function_trace_init", ["register_ftrace_function"]);
declareCalls("function_trace_reset", ["unregister_ftrace_function"]);

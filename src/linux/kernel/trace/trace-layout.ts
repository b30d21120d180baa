/**
 * The layouts of the function tracer's memory-resident structures, as
 * fixtures/kernel/trace_functions.c declares them (the compiled half reads
 * them; the modelled half in this directory writes and reads them through
 * the same offsets). Keep both in step: test/linux/kernel/trace/ftrace-init
 * checks them against the object's symbol sizes.
 */

/** `struct ftrace_ops`: func, next, flags, private, filter_hash, notrace_hash. */
export const OPS_FUNC = 0;
export const OPS_NEXT = 8;
export const OPS_FLAGS = 16;
export const OPS_PRIVATE = 24;
export const OPS_FILTER_HASH = 32;
export const OPS_NOTRACE_HASH = 40;
export const OPS_SIZE = 48;

/** `struct ftrace_hash` as an array: count, then the addresses. */
export const HASH_COUNT = 0;
export const HASH_IPS = 8;
export const FTRACE_HASH_MAX = 64;
export const HASH_SIZE = HASH_IPS + 8 * FTRACE_HASH_MAX;

/** `struct trace_array`: function_enabled, data (the per-CPU buffers), nr_cpus. */
export const TR_FUNCTION_ENABLED = 0;
export const TR_DATA = 8;
export const TR_NR_CPUS = 16;
export const TR_SIZE = 24;

/** One TRACE_FN event: ts, type, flags, preempt_count, pid, ip, parent_ip. */
export const EV_TS = 0;
export const EV_TYPE = 8;
export const EV_FLAGS = 10;
export const EV_PREEMPT_COUNT = 11;
export const EV_PID = 12;
export const EV_IP = 16;
export const EV_PARENT_IP = 24;
export const EV_SIZE = 32;

/** One CPU's buffer: written, disabled, then the events. */
export const CPUBUF_WRITTEN = 0;
export const CPUBUF_DISABLED = 8;
export const CPUBUF_EVENTS = 16;
export const TP_BUFFER_EVENTS = 256;
export const CPUBUF_SIZE = CPUBUF_EVENTS + EV_SIZE * TP_BUFFER_EVENTS;

/** `TRACE_FN` (enum trace_type). */
export const TRACE_FN = 1;

/** `FTRACE_OPS_FL_*` (include/linux/ftrace.h, v6.2) the model uses. */
export const FTRACE_OPS_FL_ENABLED = 1 << 0;
export const FTRACE_OPS_FL_DYNAMIC = 1 << 1;
export const FTRACE_OPS_FL_STUB = 1 << 5;
export const FTRACE_OPS_FL_INITIALIZED = 1 << 6;
export const FTRACE_OPS_FL_ADDING = 1 << 8;
export const FTRACE_OPS_FL_REMOVING = 1 << 9;
export const FTRACE_OPS_FL_PID = 1 << 13;

// `textpoke boot --ftrace`: the trace file after the log, in the format of
// /sys/kernel/tracing/trace for the function tracer (v6.2: trace.c's
// print_event_info and print_func_help_header_irq, trace_output.c's
// trace_print_context / trace_print_lat_fmt / trace_fn_trace, written here
// from those sources), the calls patch_clients_init makes (from the C
// source), and the one-line errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "./run-cli.ts";

const HEADER = [
  "# tracer: function",
  "#",
  "# entries-in-buffer/entries-written: 3/3   #P:2",
  "#",
  "#                                _-----=> irqs-off/BH-disabled",
  "#                               / _----=> need-resched",
  "#                              | / _---=> hardirq/softirq",
  "#                              || / _--=> preempt-depth",
  "#                              ||| / _-=> migrate-disable",
  "#                              |||| /     delay",
  "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
  "#              | |         |   |||||     |         |",
];

describe("textpoke boot --ftrace", () => {
  it("prints the trace after the log: the header, then each traced call with its parent", async () => {
    const r = await runCli(
      "boot",
      "--set",
      "CONFIG_FUNCTION_TRACER=y",
      "--ftrace",
      "ftrace_demo_leaf",
      "--ftrace",
      "ftrace_demo_caller",
    );
    assert.equal(r.status, 0, r.stderr);
    const [log, trace] = r.stdout.split("\n\n");
    assert.match(log!, /\] Run \/init as init process$/);
    assert.match(log!, /\] ftrace: allocating 5 entries in 1 pages\n/);
    assert.match(log!, /\] Starting tracer 'function'\n/);
    const lines = trace!.split("\n");
    assert.deepEqual(lines.slice(0, HEADER.length), HEADER);
    const body = lines.slice(HEADER.length);
    assert.equal(body.pop(), "");
    // "%16s-%-7d [%03d] " + lat fmt + " %5lu.%06lu: " + "func <-parent".
    const re = /^ {7}swapper\/0-1 {7}\[000\] \.\.\.1\. {5}0\.\d{6}: (\w+) <-(\w+)$/;
    assert.deepEqual(
      body.map((l) => {
        const m = re.exec(l);
        assert.ok(m !== null, JSON.stringify(l));
        return `${m[1]} <-${m[2]}`;
      }),
      [
        "ftrace_demo_caller <-patch_clients_init",
        "ftrace_demo_leaf <-ftrace_demo_caller",
        "ftrace_demo_leaf <-ftrace_demo_caller",
      ],
    );
  });

  it("without --ftrace the boot prints no trace, even with the tracer built in", async () => {
    const r = await runCli("boot", "--set", "CONFIG_FUNCTION_TRACER=y");
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /# tracer|Starting tracer/);
    assert.match(r.stdout, /\] ftrace: allocated 1 pages with 1 groups\n/);
  });

  it("--ftrace without CONFIG_FUNCTION_TRACER: one line naming the --set to add, exit 2", async () => {
    const r = await runCli("boot", "--ftrace", "ftrace_demo_leaf");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      "textpoke: error: --ftrace needs CONFIG_FUNCTION_TRACER=y (add --set CONFIG_FUNCTION_TRACER=y)\n",
    );
  });

  it("--ftrace on a function with no ftrace site: one line listing the traceable ones, exit 2", async () => {
    const r = await runCli("boot", "--set", "CONFIG_FUNCTION_TRACER=y", "--ftrace", "crc32_le");
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      "textpoke: error: --ftrace: 'crc32_le' has no ftrace call site (traceable: static_branch_demo, static_likely_demo, ftrace_demo_leaf, ftrace_demo_caller, patch_clients_init)\n",
    );
  });
});

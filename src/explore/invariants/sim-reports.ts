/**
 * memory-safety: the kernel never corrupts memory silently — what the model
 * sees a real kernel do without an oops or a log line (an mm_users decrement
 * in a freed mm_struct, src/linux/core/sim-report.ts), and what KASAN would
 * report on a kernel built with it.
 */
import { simReports } from "../../linux/core/sim-report.ts";
import type { Invariant } from "./invariant.ts";

export const memorySafety: Invariant = {
  name: "memory-safety",
  summary: "the kernel never corrupts memory silently (a use after free the model sees)",
  start(x) {
    x.scratch.set("memory-safety", simReports(x.k).length);
  },
  step(x, s) {
    const seen = x.scratch.get("memory-safety") as number;
    const reports = simReports(x.k);
    if (reports.length === seen) return;
    const r = reports[seen]!;
    x.fail(
      "memory-safety",
      r.cpu,
      `${r.kind} on CPU ${r.cpu}: ${r.message} (in ${s.fn}(); silent in the kernel: no oops, nothing in the log)`,
    );
  },
};

/**
 * no-oops: the kernel never BUGs, WARNs, oopses or panics. Seen through the
 * kernel's own state: the taint mask (a WARN taints W, an oops D), the
 * panic state, the trap a WARN_ON or BUG_ON raises (a kernel already
 * tainted W — a WARN while booting — shows a later WARN only there), and
 * the log lines the report printed.
 */
import { getTaint, TAINT_DIE, TAINT_WARN, testTaint } from "../../linux/kernel/panic.ts";
import { OpKind } from "../../machine/ops.ts";
import { DecisionKind } from "../controller.ts";
import type { ExecState } from "../execution.ts";
import type { Invariant } from "./invariant.ts";

const HEADLINE = /WARNING:|kernel BUG|BUG:|Oops|Unable to handle|machine check|Kernel panic/i;

interface Seen {
  taint: number;
  records: number;
  /** A BUG/WARN trap was taken and its report is not complete yet. */
  trapped: boolean;
  /** The function and CPU that took it. */
  at: { fn: string; cpu: number } | null;
}

function state(x: ExecState): Seen {
  return x.scratch.get("no-oops") as Seen;
}

export const noOops: Invariant = {
  name: "no-oops",
  summary: "the kernel never BUGs, WARNs, oopses or panics",
  start(x) {
    x.scratch.set("no-oops", {
      taint: getTaint(x.k),
      records: x.k.printk.records().length,
      trapped: false,
      at: null,
    });
  },
  step(x, s) {
    const seen = state(x);
    const taint = getTaint(x.k);
    // Only W (a WARN) and D (an oops) say something went wrong; O, E ... are a module's.
    const bad = (t: number) =>
      (testTaint(t, TAINT_WARN) ? 1 : 0) + (testTaint(t, TAINT_DIE) ? 2 : 0);
    // The unconditional trap word of a BUG/WARN site (bug.ts's `trap`), taken.
    if (s.op === OpKind.OTHER && s.object === "trap" && !seen.trapped) {
      seen.trapped = true;
      seen.at = { fn: s.fn, cpu: s.cpu };
    }
    const changed = !(taint === seen.taint || bad(taint) === bad(seen.taint));
    if (!seen.trapped && !changed) {
      seen.taint = taint;
      if (x.k.systemState !== "panic") return;
    }
    // A WARN the kernel prints because an injected allocation or callback
    // failure reached a WARN_ON(!ptr) is the failure's documented outcome;
    // a BUG, an oops or a panic still counts.
    const injected = x.ctl.decisions.some((d) => d.kind === DecisionKind.FAIL && d.value === 1);
    if (injected && !testTaint(taint, TAINT_DIE) && x.k.systemState !== "panic") {
      seen.taint = taint;
      if (seen.trapped) seen.records = x.k.printk.records().length;
      seen.trapped = false;
      return;
    }
    const lines = x.k.printk
      .records()
      .slice(seen.records)
      .flatMap((r) => r.text.split("\n"));
    const found = lines.find((l) => HEADLINE.test(l));
    // The trap's report is printed by the steps after it: wait for its headline.
    if (found === undefined && !changed && x.k.systemState !== "panic") return;
    const headline = found ?? lines[0] ?? "(no message)";
    const panic = lines.find((l) => /Kernel panic - not syncing/.test(l));
    const also = panic !== undefined && panic !== headline ? `\n${panic.trim()}` : "";
    const at = seen.trapped && seen.at !== null ? seen.at : { fn: s.fn, cpu: s.cpu };
    x.fail("no-oops", s.cpu, `${headline.trim()} (in ${at.fn}() on CPU ${at.cpu})${also}`);
  },
};

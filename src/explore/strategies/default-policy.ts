/**
 * The policy every schedule is written against: keep running the CPU that
 * ran last while it can, else the lowest-numbered runnable CPU; no
 * interrupt, no injected failure. A schedule is stored as its deviations
 * from this policy (decision index → value), so a counterexample with two
 * context switches is a token of two numbers.
 */
import type { Controller, Policy } from "../controller.ts";

export function defaultCpu(runnable: readonly number[], last: number): number {
  return runnable.includes(last) ? last : runnable[0]!;
}

export class DefaultPolicy implements Policy {
  pickCpu(runnable: readonly number[], ctl: Controller): number {
    return defaultCpu(runnable, ctl.last);
  }
  deliverInterrupt(): boolean {
    return false;
  }
  fail(): boolean {
    return false;
  }
}

/** The default policy except at the given decisions (by index). */
export class DeviationPolicy implements Policy {
  readonly deviations: ReadonlyMap<number, number>;
  constructor(deviations: ReadonlyMap<number, number>) {
    this.deviations = deviations;
  }
  private at(ctl: Controller): number | undefined {
    return this.deviations.get(ctl.decisions.length);
  }
  pickCpu(runnable: readonly number[], ctl: Controller): number {
    const v = this.at(ctl);
    return v !== undefined && runnable.includes(v) ? v : defaultCpu(runnable, ctl.last);
  }
  deliverInterrupt(_cpu: number, ctl: Controller): boolean {
    return this.at(ctl) === 1;
  }
  fail(_site: string, ctl: Controller): boolean {
    return this.at(ctl) === 1;
  }
}

/** The deviations of a recorded schedule from the default policy. */
export function deviationsOf(ctl: Controller): Map<number, number> {
  const out = new Map<number, number>();
  let last = -1;
  ctl.decisions.forEach((d, i) => {
    if (d.kind === 0) {
      if (d.value !== defaultCpu(d.options, last)) out.set(i, d.value);
      last = d.value;
    } else if (d.value !== 0) {
      out.set(i, d.value);
    }
  });
  return out;
}

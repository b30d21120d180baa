import type { Choices } from "../../util/choices.ts";

export interface FailSiteOptions {
  /** Fail from the nth (1-based) allocation at the site counted while armed (default 1). */
  readonly nth?: number;
  /** How many consecutive allocations fail from there (default 1; Infinity = all). */
  readonly count?: number;
  /** Start armed (default true); a disarmed strategy counts nothing and fails nothing. */
  readonly armed?: boolean;
}

/**
 * Failure injection at one named allocation site: wraps a strategy and
 * answers `failAllocation(site)` with true for the chosen allocations at
 * `site` only; every other decision is the inner strategy's. Arm it at the
 * moment of interest (e.g. after boot) to reach one error path exactly.
 */
export class FailSiteChoices implements Choices {
  readonly site: string;
  armed: boolean;
  /** Allocations at `site` seen while armed. */
  seen = 0;
  /** Allocations this strategy made fail. */
  failed = 0;
  private readonly inner: Choices;
  private readonly nth: number;
  private readonly count: number;

  constructor(inner: Choices, site: string, opts: FailSiteOptions = {}) {
    this.inner = inner;
    this.site = site;
    this.nth = opts.nth ?? 1;
    this.count = opts.count ?? 1;
    this.armed = opts.armed ?? true;
  }

  pickCpu(runnable: readonly number[]): number {
    return this.inner.pickCpu(runnable);
  }

  deliverInterrupt(cpu: number, kind: string): boolean {
    return this.inner.deliverInterrupt(cpu, kind);
  }

  failAllocation(site: string): boolean {
    if (this.armed && site === this.site) {
      this.seen++;
      if (this.seen >= this.nth && this.seen < this.nth + this.count) {
        this.failed++;
        return true;
      }
      return false;
    }
    return this.inner.failAllocation(site);
  }

  random(bound: number): number {
    return this.inner.random(bound);
  }
}

import type { Choices } from "../../util/choices.ts";

/**
 * Wraps a strategy and records every answer as a number: the schedule.
 * pickCpu → the CPU id; deliverInterrupt / failAllocation → 1 or 0;
 * random → the value. `ReplayChoices` consumes the same array.
 */
export class RecordingChoices implements Choices {
  readonly schedule: number[] = [];
  private readonly inner: Choices;

  constructor(inner: Choices) {
    this.inner = inner;
  }

  pickCpu(runnable: readonly number[]): number {
    const c = this.inner.pickCpu(runnable);
    this.schedule.push(c);
    return c;
  }

  deliverInterrupt(cpu: number, kind: string): boolean {
    const d = this.inner.deliverInterrupt(cpu, kind);
    this.schedule.push(d ? 1 : 0);
    return d;
  }

  failAllocation(site: string): boolean {
    const f = this.inner.failAllocation(site);
    this.schedule.push(f ? 1 : 0);
    return f;
  }

  random(bound: number): number {
    const r = this.inner.random(bound);
    this.schedule.push(r);
    return r;
  }
}

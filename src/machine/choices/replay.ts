import type { Choices } from "../../util/choices.ts";

/** A replay that no longer matches the run it was recorded from. */
export class ReplayDivergence extends Error {
  override readonly name = "ReplayDivergence";
}

/**
 * Replays a recorded schedule (see `RecordingChoices`). Throws
 * `ReplayDivergence` when the run asks something the schedule cannot answer:
 * the recorded CPU is not runnable, a boolean entry is not 0/1, a random value
 * is out of range, or the schedule is exhausted.
 */
export class ReplayChoices implements Choices {
  private readonly schedule: readonly number[];
  private pos = 0;

  constructor(schedule: readonly number[]) {
    this.schedule = schedule;
  }

  /** Entries consumed so far. */
  get position(): number {
    return this.pos;
  }

  /** All entries consumed? */
  get finished(): boolean {
    return this.pos === this.schedule.length;
  }

  private next(what: string): number {
    const v = this.schedule[this.pos];
    if (v === undefined) {
      throw new ReplayDivergence(
        `replay diverged at entry ${this.pos}: schedule exhausted (${what})`,
      );
    }
    this.pos++;
    return v;
  }

  pickCpu(runnable: readonly number[]): number {
    const c = this.next("pickCpu");
    if (!runnable.includes(c)) {
      throw new ReplayDivergence(
        `replay diverged at entry ${this.pos - 1}: CPU ${c} is not runnable (runnable: ${runnable.join(",")})`,
      );
    }
    return c;
  }

  private bool(what: string): boolean {
    const v = this.next(what);
    if (v !== 0 && v !== 1) {
      throw new ReplayDivergence(
        `replay diverged at entry ${this.pos - 1}: ${what} expects 0/1, got ${v}`,
      );
    }
    return v === 1;
  }

  deliverInterrupt(cpu: number, kind: string): boolean {
    return this.bool(`deliverInterrupt(${cpu}, ${kind})`);
  }

  failAllocation(site: string): boolean {
    return this.bool(`failAllocation(${site})`);
  }

  random(bound: number): number {
    const v = this.next("random");
    if (!(Number.isInteger(v) && v >= 0 && v < bound)) {
      throw new ReplayDivergence(
        `replay diverged at entry ${this.pos - 1}: random(${bound}) got ${v}`,
      );
    }
    return v;
  }
}

import type { Choices } from "../../util/choices.ts";
import { Prng } from "../../util/prng.ts";

export interface RandomChoicesOptions {
  /** Probability that an enabled pending interrupt is delivered at a step (default 0.5). */
  readonly interruptRate?: number;
  /** Probability that an allocation fails (default 0). */
  readonly failRate?: number;
}

/** Uniformly random scheduling from a seeded Prng: the same seed gives the same run. */
export class RandomChoices implements Choices {
  private readonly prng: Prng;
  private readonly interruptRate: number;
  private readonly failRate: number;

  constructor(seed: number, opts: RandomChoicesOptions = {}) {
    this.prng = new Prng(seed);
    this.interruptRate = opts.interruptRate ?? 0.5;
    this.failRate = opts.failRate ?? 0;
  }

  private chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.prng.nextU32() < p * 0x1_0000_0000;
  }

  pickCpu(runnable: readonly number[]): number {
    return runnable[this.prng.below(runnable.length)]!;
  }

  deliverInterrupt(): boolean {
    return this.chance(this.interruptRate);
  }

  failAllocation(): boolean {
    return this.chance(this.failRate);
  }

  random(bound: number): number {
    return this.prng.below(bound);
  }
}

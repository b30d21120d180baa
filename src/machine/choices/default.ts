import type { Choices } from "../../util/choices.ts";
import { Prng } from "../../util/prng.ts";

/**
 * The deterministic, cheap strategy for a plain boot: keep running the CPU
 * that ran last while it is runnable, otherwise switch to the lowest-numbered
 * runnable CPU (so a CPU runs until it blocks or finishes). Pending interrupts
 * are delivered as soon as they are enabled; allocations never fail; random
 * numbers come from a Prng with a fixed seed.
 */
export class DefaultChoices implements Choices {
  private current = -1;
  private readonly prng: Prng;

  constructor(seed = 0) {
    this.prng = new Prng(seed);
  }

  pickCpu(runnable: readonly number[]): number {
    if (!runnable.includes(this.current)) this.current = runnable[0]!;
    return this.current;
  }

  deliverInterrupt(): boolean {
    return true;
  }

  failAllocation(): boolean {
    return false;
  }

  random(bound: number): number {
    return this.prng.below(bound);
  }
}

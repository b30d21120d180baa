/**
 * Random exploration: every decision drawn from a seeded generator — a CPU
 * uniformly among the runnable ones, the interrupt with probability 1/8 at
 * each offer, an injected failure with probability 1/8. For bug hunting
 * past what the exhaustive search reaches; it proves nothing.
 */
import { Prng } from "../../util/prng.ts";
import type { Policy } from "../controller.ts";

export class RandomPolicy implements Policy {
  private readonly prng: Prng;
  constructor(seed: number) {
    this.prng = new Prng(seed);
  }
  pickCpu(runnable: readonly number[]): number {
    return runnable[this.prng.below(runnable.length)]!;
  }
  deliverInterrupt(): boolean {
    return this.prng.below(8) === 0;
  }
  fail(): boolean {
    return this.prng.below(8) === 0;
  }
}

/**
 * Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): CPUs
 * get distinct random priorities; the highest-priority runnable CPU always
 * runs; at d - 1 randomly chosen steps (out of an estimate k of the
 * execution's length) the running CPU's priority drops below all others.
 * A bug of depth d is found with probability at least 1 / (n k^(d-1)).
 */
export class PctPolicy implements Policy {
  private readonly prng: Prng;
  private readonly priority = new Map<number, number>();
  private readonly changeAt: Set<number>;
  private low: number;
  private picks = 0;

  constructor(seed: number, cpus: number, depth: number, k: number) {
    this.prng = new Prng(seed);
    // Distinct initial priorities d, d+1, ...: a random permutation.
    const order = Array.from({ length: cpus }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.prng.below(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((cpu, i) => {
      this.priority.set(cpu, depth + i);
    });
    this.changeAt = new Set();
    for (let i = 1; i < depth; i++) this.changeAt.add(1 + this.prng.below(Math.max(1, k)));
    this.low = depth - 1;
  }

  private best(runnable: readonly number[]): number {
    let best = runnable[0]!;
    for (const c of runnable)
      if ((this.priority.get(c) ?? 0) > (this.priority.get(best) ?? 0)) best = c;
    return best;
  }

  pickCpu(runnable: readonly number[]): number {
    this.picks++;
    if (this.changeAt.has(this.picks)) this.priority.set(this.best(runnable), this.low--);
    return this.best(runnable);
  }
  deliverInterrupt(): boolean {
    return this.prng.below(8) === 0;
  }
  fail(): boolean {
    return this.prng.below(8) === 0;
  }
}

/**
 * Exhaustive enumeration with no reduction: every answer of every decision,
 * depth first. Exponential; it exists as the baseline partial-order
 * reduction is measured and tested against (the same outcomes, in fewer
 * executions).
 */
import type { Controller, Policy } from "../controller.ts";
import { defaultCpu } from "./default-policy.ts";

interface Node {
  readonly options: readonly number[];
  next: number;
}

export class Dfs implements Policy {
  executions = 0;
  private readonly nodes: Node[] = [];
  private forcedLen = 0;

  /** The first execution's prefix. */
  begin(): readonly number[] {
    return [];
  }

  private open(ctl: Controller, options: readonly number[], first: number): number {
    if (ctl.decisions.length < this.forcedLen)
      throw new Error("dfs: a forced decision reached the policy");
    // Alternatives after `first`, in order.
    const rest = options.filter((o) => o !== first);
    this.nodes.push({ options: [first, ...rest], next: 1 });
    return first;
  }

  pickCpu(runnable: readonly number[], ctl: Controller): number {
    return this.open(ctl, runnable, defaultCpu(runnable, ctl.last));
  }
  deliverInterrupt(_cpu: number, ctl: Controller): boolean {
    return this.open(ctl, [0, 1], 0) === 1;
  }
  fail(_site: string, ctl: Controller): boolean {
    return this.open(ctl, [0, 1], 0) === 1;
  }

  /** After an execution: the next prefix, or null when every schedule was run. */
  next(): number[] | null {
    this.executions++;
    while (this.nodes.length > 0) {
      const n = this.nodes.at(-1)!;
      if (n.next < n.options.length) {
        const prefix = this.nodes.map((x) => x.options[x.next - 1]!);
        prefix[prefix.length - 1] = n.options[n.next]!;
        n.next++;
        this.forcedLen = prefix.length;
        return prefix;
      }
      this.nodes.pop();
    }
    return null;
  }
}

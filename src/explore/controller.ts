/**
 * The checker's `Choices`: every decision of an execution — which CPU steps
 * next, whether the scenario's interrupt arrives now, whether an allocation
 * (or a hotplug callback) fails — is either forced by a schedule prefix (a
 * replay, or the branch a strategy wants explored) or asked of the
 * strategy's policy, and recorded with its kind and its alternatives.
 * Random numbers come from a seeded generator and are not branched on.
 */
import type { Choices } from "../util/choices.ts";
import { Prng } from "../util/prng.ts";
import type { Footprint } from "./footprint.ts";

export const DecisionKind = { CPU: 0, IRQ: 1, FAIL: 2 } as const;
export type DecisionKind = (typeof DecisionKind)[keyof typeof DecisionKind];

export interface Decision {
  readonly kind: DecisionKind;
  /** The CPU picked, or 0/1 for an interrupt or failure decision. */
  readonly value: number;
  /** The alternatives: the runnable CPUs, or [0, 1]. */
  readonly options: readonly number[];
  /** Machine steps taken before the decision. */
  readonly step: number;
  /** For IRQ: the CPU; for FAIL: the site. */
  readonly what: string;
}

/** What a strategy answers beyond the forced prefix. */
export interface Policy {
  /** One of `runnable`, or -1 to end the execution (redundant). */
  pickCpu(runnable: readonly number[], ctl: Controller): number;
  deliverInterrupt(cpu: number, ctl: Controller): boolean;
  fail(site: string, ctl: Controller): boolean;
  /** Told before a decision forced by the prefix is recorded. */
  onForced?(ctl: Controller): void;
  /**
   * After each step: should the execution end because every runnable CPU's
   * next step is already covered (a sleep set)? The machine asks the policy
   * only when two or more CPUs can run, so a lone runnable CPU is judged here.
   */
  redundant?(ctl: Controller, runnable: () => readonly number[]): boolean;
}

/** A forced decision that does not fit the execution: the schedule is not this run's. */
export class ScheduleMismatch extends Error {
  override readonly name = "ScheduleMismatch";
}

export interface ControllerOptions {
  readonly seed: number;
  /** Failures to offer: allocation sites and/or hotplug callbacks ("cpuhp/..." sites). */
  readonly injectAlloc: boolean;
  readonly injectCpuhp: boolean;
  /** At most this many injected failures per execution. */
  readonly maxFailures?: number;
  /** The machine's step counter. */
  readonly steps: () => number;
}

export class Controller implements Choices {
  readonly decisions: Decision[] = [];
  private readonly prefix: readonly number[];
  private readonly policy: Policy;
  private readonly prng: Prng;
  private readonly o: ControllerOptions;
  private failures = 0;
  /** The CPU picked last (policies prefer it: fewer preemptions). */
  last = -1;
  /** The execution's steps so far (the execution fills it; policies read it). */
  trace: readonly { readonly cpu: number; readonly fp: Footprint }[] = [];

  constructor(prefix: readonly number[], policy: Policy, o: ControllerOptions) {
    this.prefix = prefix;
    this.policy = policy;
    this.prng = new Prng(o.seed);
    this.o = o;
  }

  /** Decisions still forced by the prefix? */
  get replaying(): boolean {
    return this.decisions.length < this.prefix.length;
  }

  private forced(kind: DecisionKind, options: readonly number[], what: string): number | null {
    const i = this.decisions.length;
    if (i >= this.prefix.length) return null;
    const v = this.prefix[i]!;
    this.policy.onForced?.(this);
    if (!options.includes(v)) {
      throw new ScheduleMismatch(
        `decision ${i} (${kind === DecisionKind.CPU ? "CPU pick" : what}) cannot be ${v}: options ${options.join(",")}`,
      );
    }
    return v;
  }

  private record(kind: DecisionKind, value: number, options: readonly number[], what: string) {
    this.decisions.push({ kind, value, options, step: this.o.steps(), what });
  }

  pickCpu(runnable: readonly number[]): number {
    const options = [...runnable];
    let v = this.forced(DecisionKind.CPU, options, "cpu");
    if (v === null) {
      v = this.policy.pickCpu(options, this);
      if (v === -1) return -1;
    }
    this.record(DecisionKind.CPU, v, options, "cpu");
    this.last = v;
    return v;
  }

  deliverInterrupt(cpu: number): boolean {
    const what = `irq@${cpu}`;
    let v = this.forced(DecisionKind.IRQ, BOOL, what);
    if (v === null) v = this.policy.deliverInterrupt(cpu, this) ? 1 : 0;
    this.record(DecisionKind.IRQ, v, BOOL, what);
    return v === 1;
  }

  failAllocation(site: string): boolean {
    const cpuhp = site.startsWith("cpuhp/");
    if (!(cpuhp ? this.o.injectCpuhp : this.o.injectAlloc)) return false;
    if (this.failures >= (this.o.maxFailures ?? 1)) return false;
    let v = this.forced(DecisionKind.FAIL, BOOL, site);
    if (v === null) v = this.policy.fail(site, this) ? 1 : 0;
    this.record(DecisionKind.FAIL, v, BOOL, site);
    if (v === 1) this.failures++;
    return v === 1;
  }

  random(bound: number): number {
    return this.prng.below(bound);
  }

  /** The values of the decisions made (the schedule). */
  schedule(): number[] {
    return this.decisions.map((d) => d.value);
  }
}

const BOOL: readonly number[] = [0, 1];

/**
 * Exhaustive stateless exploration with dynamic partial-order reduction
 * (Flanagan and Godefroid 2005, with sleep sets; Abdulla et al. 2014 discuss
 * why both are needed): explore one schedule, find the pairs of steps by
 * different CPUs that are dependent (their footprints conflict) and not
 * ordered by happens-before — the races — and for each, schedule an
 * alternative at the state before the earlier step so the other order is
 * explored too. Sleep sets keep an alternative from being explored again
 * below a sibling that already covered it; an execution whose runnable CPUs
 * are all asleep is redundant and ends at once.
 *
 * Interrupt and failure decisions are explored in full (both answers) at
 * every point they are offered.
 */
import type { Controller, Policy } from "../controller.ts";
import { DecisionKind } from "../controller.ts";
import type { StepRecord } from "../execution.ts";
import { dependent, type Footprint } from "../footprint.ts";
import { defaultCpu } from "./default-policy.ts";

interface Node {
  readonly kind: DecisionKind;
  readonly options: readonly number[];
  chosen: number;
  /** CPU nodes: alternatives to explore, explored, and the sleep set on entry. */
  readonly backtrack: Set<number>;
  readonly done: Set<number>;
  readonly sleep: Map<number, Footprint>;
  /** The footprint of the step each explored CPU took from here. */
  readonly explored: Map<number, Footprint>;
  /** Preemptions in the schedule before this node. */
  readonly preemptions: number;
  /** The CPU that ran before this node (-1 at the start). */
  readonly prev: number;
}

export interface DporStats {
  executions: number;
  /** Executions ended because every runnable CPU was asleep. */
  blocked: number;
  maxDepth: number;
  /** Alternatives left out by the preemption bound. */
  pruned: number;
}

/** The DFS over schedules. `nextPrefix` gives the next execution's forced decisions, or null when done. */
export class Dpor implements Policy {
  readonly stats: DporStats = { executions: 0, blocked: 0, maxDepth: 0, pruned: 0 };
  private readonly nodes: Node[] = [];
  private readonly maxPreemptions: number;
  /** Length of the forced prefix of the current execution. */
  private forcedLen = 0;
  /** The current execution's sleep set and the steps already applied to it. */
  private sleep = new Map<number, Footprint>();
  private applied = 0;
  private sleepActive = false;

  constructor(maxPreemptions = Number.POSITIVE_INFINITY) {
    this.maxPreemptions = maxPreemptions;
  }

  /** The first execution's prefix: nothing forced. */
  begin(): readonly number[] {
    return this.prepare([]);
  }

  private prepare(prefix: number[]): number[] {
    this.forcedLen = prefix.length;
    this.applied = 0;
    this.sleepActive = prefix.length === 0;
    this.sleep = new Map();
    return prefix;
  }

  /** Bring the sleep set up to date with the steps taken since it was last filtered. */
  private filterSleep(ctl: Controller): void {
    const steps = ctl.trace;
    for (; this.applied < steps.length; this.applied++) {
      if (!this.sleepActive || this.sleep.size === 0) continue;
      const s = steps[this.applied]!;
      for (const [cpu, fp] of this.sleep)
        if (cpu === s.cpu || dependent(fp, s.fp)) this.sleep.delete(cpu);
    }
  }

  /** Called when the controller makes decision `i` (forced or not), before it is recorded. */
  private enter(ctl: Controller, kind: DecisionKind, options: readonly number[]): Node | null {
    const i = ctl.decisions.length;
    if (i < this.forcedLen - 1) return null;
    this.filterSleep(ctl);
    if (i === this.forcedLen - 1) {
      // The node whose new alternative this execution explores: its sleep set.
      const n = this.nodes[i]!;
      this.applied = ctl.trace.length;
      this.sleepActive = true;
      this.sleep = new Map(n.sleep);
      if (n.kind === DecisionKind.CPU) {
        for (const d of n.done) {
          const fp = n.explored.get(d);
          if (d !== n.chosen && fp !== undefined) this.sleep.set(d, fp);
        }
      }
      return n;
    }
    const prev = ctl.last;
    const prevNode = this.nodes.at(-1);
    let preemptions = prevNode?.preemptions ?? 0;
    if (prevNode !== undefined && prevNode.kind === DecisionKind.CPU) {
      if (prevNode.chosen !== prevNode.prev && prevNode.options.includes(prevNode.prev))
        preemptions++;
    }
    const n: Node = {
      kind,
      options,
      chosen: -1,
      backtrack: new Set(),
      done: new Set(),
      sleep: new Map(this.sleep),
      explored: new Map(),
      preemptions,
      prev,
    };
    this.nodes.push(n);
    return n;
  }

  /**
   * A rough estimate of the executions the whole search takes, for a progress
   * display only: the fraction of the tree the depth-first search has left
   * behind, read off the current path (at each node, the alternatives done
   * out of those known, weighted by the nodes above), and the executions so
   * far scaled by it. Alternatives found later make it grow.
   */
  estimate(): number {
    let done = 0;
    let weight = 1;
    for (const n of this.nodes) {
      const known = n.kind === DecisionKind.CPU ? Math.max(1, n.backtrack.size) : 2;
      done += (weight * (n.done.size - 1)) / known;
      weight /= known;
    }
    const e = done > 0 ? Math.round(this.stats.executions / done) : this.stats.executions;
    return Math.max(e, this.stats.executions);
  }

  redundant(ctl: Controller, runnable: () => readonly number[]): boolean {
    if (ctl.decisions.length < this.forcedLen) return false;
    this.filterSleep(ctl);
    if (this.sleep.size === 0) return false;
    const r = runnable();
    if (r.length === 0 || r.some((c) => !this.sleep.has(c))) return false;
    this.stats.blocked++;
    return true;
  }

  pickCpu(runnable: readonly number[], ctl: Controller): number {
    const n = this.enter(ctl, DecisionKind.CPU, runnable);
    if (n === null) throw new Error("dpor: a forced decision reached the policy");
    const awake = runnable.filter((c) => !this.sleep.has(c));
    if (awake.length === 0) {
      this.nodes.pop();
      this.stats.blocked++;
      return -1;
    }
    const v = defaultCpu(awake, ctl.last);
    n.chosen = v;
    n.backtrack.add(v);
    n.done.add(v);
    return v;
  }

  deliverInterrupt(_cpu: number, ctl: Controller): boolean {
    const n = this.enter(ctl, DecisionKind.IRQ, [0, 1]);
    if (n === null) throw new Error("dpor: a forced decision reached the policy");
    n.chosen = 0;
    n.done.add(0);
    return false;
  }

  fail(_site: string, ctl: Controller): boolean {
    const n = this.enter(ctl, DecisionKind.FAIL, [0, 1]);
    if (n === null) throw new Error("dpor: a forced decision reached the policy");
    n.chosen = 0;
    n.done.add(0);
    return false;
  }

  onForced(ctl: Controller): void {
    if (ctl.decisions.length === this.forcedLen - 1) {
      const n = this.nodes[this.forcedLen - 1]!;
      this.enter(ctl, n.kind, n.options);
    }
  }

  /**
   * After an execution: record what each node's chosen step touched, add
   * the backtrack points its races call for, and give the next prefix (null
   * when every schedule is covered).
   */
  finishWith(steps: readonly StepRecord[]): number[] | null {
    this.stats.executions++;
    this.stats.maxDepth = Math.max(this.stats.maxDepth, steps.length);
    this.noteExplored(steps);
    this.races(steps);
    return this.backtrack();
  }

  private noteExplored(steps: readonly StepRecord[]): void {
    for (const s of steps) {
      if (s.decision < 0) continue;
      const n = this.nodes[s.decision];
      if (n !== undefined && n.kind === DecisionKind.CPU && !n.explored.has(s.cpu))
        n.explored.set(s.cpu, s.fp);
    }
  }

  /** Vector clocks over the execution; for each race with a new step, a backtrack point. */
  private races(steps: readonly StepRecord[]): void {
    const ncpu = 1 + steps.reduce((m, s) => Math.max(m, s.cpu), 0);
    const cpuClock: Int32Array[] = [];
    for (let i = 0; i < ncpu; i++) cpuClock.push(new Int32Array(ncpu));
    const clocks: Int32Array[] = [];
    const lastWrite = new Map<number, number>();
    const reads = new Map<number, number[]>();
    // The first step that is new in this execution (after the last forced decision).
    const firstNew = this.firstNewStep(steps);
    for (let j = 0; j < steps.length; j++) {
      const s = steps[j]!;
      const p = s.cpu;
      const deps = new Set<number>();
      for (const w of s.fp.writes) {
        const lw = lastWrite.get(w);
        if (lw !== undefined) deps.add(lw);
        for (const r of reads.get(w) ?? []) deps.add(r);
      }
      for (const r of s.fp.reads) {
        const lw = lastWrite.get(r);
        if (lw !== undefined) deps.add(lw);
      }
      const before = cpuClock[p]!;
      const vc = Int32Array.from(before);
      for (const i of deps) {
        const c = clocks[i]!;
        for (let q = 0; q < ncpu; q++) if (c[q]! > vc[q]!) vc[q] = c[q]!;
      }
      vc[p] = before[p]! + 1;
      if (j >= firstNew) {
        for (const i of deps) {
          const e = steps[i]!;
          if (e.cpu === p) continue;
          if (before[e.cpu]! >= clocks[i]![e.cpu]!) continue; // i happens before p's previous step
          this.addBacktrack(steps, clocks, vc, i, j);
        }
      }
      clocks.push(vc);
      cpuClock[p] = vc;
      for (const w of s.fp.writes) {
        lastWrite.set(w, j);
        reads.delete(w);
      }
      for (const r of s.fp.reads) {
        let l = reads.get(r);
        if (l === undefined) {
          l = [];
          reads.set(r, l);
        }
        if (l.at(-1) !== j) l.push(j);
      }
    }
  }

  private firstNewStep(steps: readonly StepRecord[]): number {
    if (this.forcedLen === 0) return 0;
    const last = this.forcedLen - 1;
    for (let j = 0; j < steps.length; j++) if (steps[j]!.decision >= last) return j;
    return steps.length;
  }

  /** Race between steps i and j (j later, other CPU): explore j's CPU (or another initial) before i. */
  private addBacktrack(
    steps: readonly StepRecord[],
    clocks: readonly Int32Array[],
    vj: Int32Array,
    i: number,
    j: number,
  ): void {
    const si = steps[i]!;
    if (si.decision < 0) return;
    const n = this.nodes[si.decision];
    if (n === undefined || n.kind !== DecisionKind.CPU) return;
    const p = steps[j]!.cpu;
    let candidates: number[];
    if (n.options.includes(p)) candidates = [p];
    else {
      // A CPU runnable at i whose later step happens before j starts the reordering.
      const q = n.options.find((c) => {
        for (let k = i + 1; k < j; k++) {
          const sk = steps[k]!;
          if (sk.cpu === c && clocks[k]![c]! <= (vj[c] ?? 0)) return true;
        }
        return false;
      });
      candidates = q !== undefined ? [q] : [...n.options];
    }
    for (const c of candidates) {
      if (n.backtrack.has(c) || n.sleep.has(c)) continue;
      const preempt = c !== n.prev && n.options.includes(n.prev) ? 1 : 0;
      if (n.preemptions + preempt > this.maxPreemptions) {
        this.stats.pruned++;
        continue;
      }
      n.backtrack.add(c);
    }
  }

  /** The deepest node with an alternative left: switch to it and return the prefix up to it. */
  private backtrack(): number[] | null {
    while (this.nodes.length > 0) {
      const n = this.nodes.at(-1)!;
      let alt: number | undefined;
      if (n.kind === DecisionKind.CPU) {
        for (const c of n.backtrack) if (!n.done.has(c)) alt = alt ?? c;
      } else if (!n.done.has(1)) alt = 1;
      if (alt !== undefined) {
        n.done.add(alt);
        n.chosen = alt;
        return this.prepare(this.nodes.map((x) => x.chosen));
      }
      this.nodes.pop();
    }
    return null;
  }
}

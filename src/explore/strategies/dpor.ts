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
 *
 * Split in two so executions can run anywhere (worker threads, other
 * machines) while the search stays the same: a `DporJob` (a forced prefix and
 * the sleep set its new alternative starts with) is run under a `DporRun`
 * policy, which turns the execution into a `DporTrace` (the decisions, sleep
 * sets, footprints and races it found: plain data); the `DporTree` commits
 * traces in its own depth-first order and gives the next job. A job's trace
 * depends on nothing but the job, so a trace computed ahead of time (on
 * another thread) is the one the tree would have computed: the search, its
 * execution count and its verdict are the same however it is run.
 */
import type { Controller, Policy } from "../controller.ts";
import { DecisionKind } from "../controller.ts";
import type { StepRecord } from "../execution.ts";
import { dependent, type Footprint } from "../footprint.ts";
import { defaultCpu } from "./default-policy.ts";

type SleepSet = readonly (readonly [number, Footprint])[];

/** One execution the search wants: its forced decisions and the sleep set at the last one. */
export interface DporJob {
  readonly prefix: readonly number[];
  readonly sleep: SleepSet;
}

/** What the tree needs from one execution of a job. */
export interface DporTrace {
  /** Every decision made (forced ones included). */
  readonly decisions: readonly {
    readonly kind: DecisionKind;
    readonly options: readonly number[];
    readonly value: number;
  }[];
  /** The sleep set on entry to each decision past the prefix. */
  readonly sleepAt: readonly SleepSet[];
  /** The CPUs that had taken a step before each decision past the prefix (a bit mask: 2^cpu). */
  readonly steppedAt: readonly number[];
  /** The footprint of the step a CPU decision's pick took (decisions from the job's last forced one). */
  readonly explored: readonly (readonly [number, Footprint])[];
  /** Races, in the order found: the decision where an alternative is wanted, and its candidate CPUs. */
  readonly races: readonly (readonly [number, readonly number[]])[];
  /** Ended because every runnable CPU was asleep. */
  readonly blocked: boolean;
  readonly steps: number;
}

export interface DporStats {
  executions: number;
  /** Executions ended because every runnable CPU was asleep. */
  blocked: number;
  maxDepth: number;
  /** Alternatives left out by the preemption bound. */
  pruned: number;
  /** Alternatives replaced by their mirror image (a lower CPU of the same role, explored instead). */
  symmetric: number;
}

/** The policy of one execution of a job. */
export class DporRun implements Policy {
  private readonly job: DporJob;
  private sleep = new Map<number, Footprint>();
  private applied = 0;
  private sleepActive: boolean;
  private readonly sleepAt: SleepSet[] = [];
  private readonly steppedAt: number[] = [];
  private stepped = 0;
  private scanned = 0;
  private blocked = false;
  private ctl: Controller | null = null;

  constructor(job: DporJob) {
    this.job = job;
    this.sleepActive = job.prefix.length === 0;
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

  private entering(ctl: Controller): void {
    this.ctl = ctl;
    if (ctl.decisions.length < this.job.prefix.length)
      throw new Error("dpor: a forced decision reached the policy");
    this.filterSleep(ctl);
  }

  onForced(ctl: Controller): void {
    this.ctl = ctl;
    if (ctl.decisions.length !== this.job.prefix.length - 1) return;
    // The job's new alternative: its sleep set starts here.
    this.applied = ctl.trace.length;
    this.sleepActive = true;
    this.sleep = new Map(this.job.sleep);
  }

  redundant(ctl: Controller, runnable: () => readonly number[]): boolean {
    this.ctl = ctl;
    if (ctl.decisions.length < this.job.prefix.length) return false;
    this.filterSleep(ctl);
    if (this.sleep.size === 0) return false;
    const r = runnable();
    if (r.length === 0 || r.some((c) => !this.sleep.has(c))) return false;
    this.blocked = true;
    return true;
  }

  pickCpu(runnable: readonly number[], ctl: Controller): number {
    this.entering(ctl);
    const awake = runnable.filter((c) => !this.sleep.has(c));
    if (awake.length === 0) {
      this.blocked = true;
      return -1;
    }
    this.note(ctl);
    return defaultCpu(awake, ctl.last);
  }

  deliverInterrupt(_cpu: number, ctl: Controller): boolean {
    this.entering(ctl);
    this.note(ctl);
    return false;
  }

  fail(_site: string, ctl: Controller): boolean {
    this.entering(ctl);
    this.note(ctl);
    return false;
  }

  /** A new decision: its sleep set, and which CPUs have run so far. */
  private note(ctl: Controller): void {
    this.sleepAt.push([...this.sleep]);
    const steps = ctl.trace;
    for (; this.scanned < steps.length; this.scanned++) {
      const bit = 2 ** steps[this.scanned]!.cpu;
      if (Math.floor(this.stepped / bit) % 2 === 0) this.stepped += bit;
    }
    this.steppedAt.push(this.stepped);
  }

  /** The execution, ended, as the tree needs it. */
  trace(steps: readonly StepRecord[]): DporTrace {
    const decisions = (this.ctl?.decisions ?? []).map((d) => ({
      kind: d.kind,
      options: d.options,
      value: d.value,
    }));
    const from = this.job.prefix.length - 1;
    const explored: (readonly [number, Footprint])[] = [];
    for (const s of steps)
      if (s.decision >= from && s.decision >= 0 && decisions[s.decision]?.kind === DecisionKind.CPU)
        explored.push([s.decision, s.fp]);
    return {
      decisions,
      sleepAt: this.sleepAt,
      steppedAt: this.steppedAt,
      explored,
      races: races(steps, decisions, this.job.prefix.length),
      blocked: this.blocked,
      steps: steps.length,
    };
  }
}

/** Vector clocks over the execution; for each race with a new step, the alternative it calls for. */
function races(
  steps: readonly StepRecord[],
  decisions: DporTrace["decisions"],
  forcedLen: number,
): [number, number[]][] {
  const out: [number, number[]][] = [];
  const ncpu = 1 + steps.reduce((m, s) => Math.max(m, s.cpu), 0);
  const cpuClock: Int32Array[] = [];
  for (let i = 0; i < ncpu; i++) cpuClock.push(new Int32Array(ncpu));
  const clocks: Int32Array[] = [];
  const lastWrite = new Map<number, number>();
  const reads = new Map<number, number[]>();
  // The first step that is new in this execution (after the last forced decision).
  const firstNew = firstNewStep(steps, forcedLen);
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
        const r = raceAlternative(steps, decisions, clocks, vc, i, j);
        if (r !== null) out.push(r);
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
  return out;
}

function firstNewStep(steps: readonly StepRecord[], forcedLen: number): number {
  if (forcedLen === 0) return 0;
  const last = forcedLen - 1;
  for (let j = 0; j < steps.length; j++) if (steps[j]!.decision >= last) return j;
  return steps.length;
}

/** Race between steps i and j (j later, other CPU): run j's CPU (or another initial) before i. */
function raceAlternative(
  steps: readonly StepRecord[],
  decisions: DporTrace["decisions"],
  clocks: readonly Int32Array[],
  vj: Int32Array,
  i: number,
  j: number,
): [number, number[]] | null {
  const si = steps[i]!;
  if (si.decision < 0) return null;
  const n = decisions[si.decision];
  if (n === undefined || n.kind !== DecisionKind.CPU) return null;
  const p = steps[j]!.cpu;
  if (n.options.includes(p)) return [si.decision, [p]];
  // A CPU runnable at i whose later step happens before j starts the reordering.
  const q = n.options.find((c) => {
    for (let k = i + 1; k < j; k++) {
      const sk = steps[k]!;
      if (sk.cpu === c && clocks[k]![c]! <= (vj[c] ?? 0)) return true;
    }
    return false;
  });
  return [si.decision, q !== undefined ? [q] : [...n.options]];
}

interface Node {
  readonly kind: DecisionKind;
  readonly options: readonly number[];
  chosen: number;
  /** CPU nodes: alternatives to explore (in the order found), explored, and the sleep set on entry. */
  readonly backtrack: Set<number>;
  readonly done: Set<number>;
  readonly sleep: Map<number, Footprint>;
  /** The footprint of the step each explored CPU took from here. */
  readonly explored: Map<number, Footprint>;
  /** Preemptions in the schedule before this node. */
  readonly preemptions: number;
  /** The CPU that ran before this node (-1 at the start). */
  readonly prev: number;
  /** The CPUs that had taken a step before this node (2^cpu each). */
  readonly stepped: number;
}

/** The depth-first search over schedules: the path, its alternatives, and the next job. */
export class DporTree {
  readonly stats: DporStats = {
    executions: 0,
    blocked: 0,
    maxDepth: 0,
    pruned: 0,
    symmetric: 0,
  };
  private readonly nodes: Node[] = [];
  private readonly maxPreemptions: number;
  /** Each CPU of a symmetry group → the lower CPUs of its group. */
  private readonly lower = new Map<number, number[]>();

  /** `symmetry`: groups of interchangeable CPUs (src/explore/symmetry.ts). */
  constructor(maxPreemptions = Number.POSITIVE_INFINITY, symmetry: readonly number[][] = []) {
    this.maxPreemptions = maxPreemptions;
    for (const g of symmetry)
      g.forEach((c, i) => {
        if (i > 0) this.lower.set(c, g.slice(0, i));
      });
  }

  /**
   * The CPU to explore instead of `c` at `n`: the lowest CPU of `c`'s group
   * among the options when neither has run yet. The state is then its own
   * mirror image under swapping the two (only other CPUs have run, and they
   * treat the two alike), so `c`'s subtree is the mirror of that CPU's.
   */
  private representative(n: Node, c: number): number {
    const lower = this.lower.get(c);
    if (lower === undefined || !fresh(n, c)) return c;
    return lower.find((l) => n.options.includes(l) && fresh(n, l)) ?? c;
  }

  /** The first execution: nothing forced. */
  begin(): DporJob {
    return { prefix: [], sleep: [] };
  }

  /**
   * Commit the trace of `job` (the job this tree gave last): add the nodes it
   * went through, what each step touched, the alternatives its races call
   * for; then give the next job (null when every schedule is covered).
   */
  commit(job: DporJob, t: DporTrace): DporJob | null {
    this.stats.executions++;
    this.stats.maxDepth = Math.max(this.stats.maxDepth, t.steps);
    if (t.blocked) this.stats.blocked++;
    const nodes = this.nodes;
    if (nodes.length !== job.prefix.length) throw new Error("dpor: a trace of another job");
    let prev = -1;
    for (let i = 0; i < t.decisions.length; i++) {
      const d = t.decisions[i]!;
      if (i >= job.prefix.length) {
        const p = nodes.at(-1);
        let preemptions = p?.preemptions ?? 0;
        if (p !== undefined && p.kind === DecisionKind.CPU) {
          if (p.chosen !== p.prev && p.options.includes(p.prev)) preemptions++;
        }
        const cpu = d.kind === DecisionKind.CPU;
        nodes.push({
          kind: d.kind,
          options: d.options,
          chosen: d.value,
          backtrack: new Set(cpu ? [d.value] : []),
          done: new Set([d.value]),
          sleep: new Map(t.sleepAt[i - job.prefix.length] ?? []),
          explored: new Map(),
          preemptions,
          prev,
          stepped: t.steppedAt[i - job.prefix.length] ?? Number.MAX_SAFE_INTEGER,
        });
      }
      if (d.kind === DecisionKind.CPU) prev = d.value;
    }
    for (const [i, fp] of t.explored) {
      const n = nodes[i];
      if (n !== undefined && !n.explored.has(n.chosen)) n.explored.set(n.chosen, fp);
    }
    for (const [i, candidates] of t.races) {
      const n = nodes[i];
      if (n === undefined) continue;
      for (const wanted of candidates) {
        const c = this.representative(n, wanted);
        if (c !== wanted && !n.backtrack.has(wanted)) this.stats.symmetric++;
        if (n.backtrack.has(c) || n.sleep.has(c)) continue;
        const preempt = c !== n.prev && n.options.includes(n.prev) ? 1 : 0;
        if (n.preemptions + preempt > this.maxPreemptions) {
          this.stats.pruned++;
          continue;
        }
        n.backtrack.add(c);
      }
    }
    return this.next();
  }

  /** The deepest node with an alternative left: switch to it and give its job. */
  private next(): DporJob | null {
    while (this.nodes.length > 0) {
      const i = this.nodes.length - 1;
      const n = this.nodes[i]!;
      const alt = firstPending(n);
      if (alt !== undefined) {
        const job = this.jobAt(i, alt);
        n.done.add(alt);
        n.chosen = alt;
        return job;
      }
      this.nodes.pop();
    }
    return null;
  }

  /**
   * The job exploring `alt` at node `i`: the path above it, and its sleep
   * set (with `ahead`: alternatives to be taken before it, and their steps).
   */
  private jobAt(i: number, alt: number, ahead?: ReadonlyMap<number, Footprint>): DporJob {
    const n = this.nodes[i]!;
    const sleep = new Map(n.sleep);
    if (n.kind === DecisionKind.CPU) {
      for (const d of n.done) {
        const fp = n.explored.get(d);
        if (d !== alt && fp !== undefined) sleep.set(d, fp);
      }
      for (const [d, fp] of ahead ?? []) sleep.set(d, fp);
    }
    const prefix = this.nodes.slice(0, i).map((x) => x.chosen);
    prefix.push(alt);
    return { prefix, sleep: [...sleep] };
  }

  /**
   * Jobs this search will certainly run later, deepest first (at most
   * `max`): at each node, the alternatives left, in the order they will be
   * taken, as far as their sleep sets are known — each needs the step every
   * alternative before it takes from the node, which `known` may give from a
   * trace computed ahead. Such a job cannot change before the search gets
   * there (the path above stays, the siblings before it are taken first), so
   * its trace can be computed now, anywhere.
   */
  upcoming(
    max: number,
    known: (job: DporJob) => DporTrace | undefined = () => undefined,
  ): DporJob[] {
    const out: DporJob[] = [];
    for (let i = this.nodes.length - 1; i >= 0 && out.length < max; i--) {
      const n = this.nodes[i]!;
      if (n.kind !== DecisionKind.CPU) {
        if (!n.done.has(1)) out.push(this.jobAt(i, 1));
        continue;
      }
      // The alternative under way here has not shown its step yet: nothing after it is known.
      if ([...n.done].some((d) => !n.explored.has(d))) continue;
      const before = new Map<number, Footprint>();
      for (const alt of n.backtrack) {
        if (n.done.has(alt)) continue;
        const job = this.jobAt(i, alt, before);
        out.push(job);
        if (out.length >= max) break;
        const fp = known(job)?.explored.find(([d]) => d === i)?.[1];
        if (fp === undefined) break;
        before.set(alt, fp);
      }
    }
    return out;
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
}

/** Has `cpu` not yet run before node `n`? */
function fresh(n: Node, cpu: number): boolean {
  return Math.floor(n.stepped / 2 ** cpu) % 2 === 0;
}

function firstPending(n: Node): number | undefined {
  if (n.kind === DecisionKind.CPU) {
    for (const c of n.backtrack) if (!n.done.has(c)) return c;
    return undefined;
  }
  return n.done.has(1) ? undefined : 1;
}

/** A job as a string key: its prefix and its sleep set's CPUs. */
export function jobKey(job: DporJob): string {
  return `${job.prefix.join(",")}/${job.sleep.map(([c]) => c).join(",")}`;
}

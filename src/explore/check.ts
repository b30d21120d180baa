/**
 * The checker: run each scenario's executions under a strategy, check the
 * invariants, and give a verdict per scenario — clean (with exactly what was
 * covered), a violation (shrunk to a minimal schedule, with its replay
 * token), or a bound hit before a verdict.
 */
import type { Kernel } from "../linux/core/kernel.ts";
import { cpuOnline } from "../linux/kernel/cpu.ts";
import { setAtomicSleepWatcher } from "../linux/kernel/sched/core.ts";
import type { Policy } from "./controller.ts";
import { ScheduleMismatch } from "./controller.ts";
import { type ExecState, runExecution } from "./execution.ts";
import type { Invariant } from "./invariants/invariant.ts";
import { formatCounterexample, type ScheduleSize, scheduleSize } from "./report.ts";
import type { Scenario } from "./scenario.ts";
import { DeviationPolicy, deviationsOf } from "./strategies/default-policy.ts";
import { type DporJob, DporRun, type DporTrace, DporTree } from "./strategies/dpor.ts";
import { PctPolicy, RandomPolicy } from "./strategies/random.ts";
import { symmetryGroups } from "./symmetry.ts";
import { encodeToken, type ReplaySpec } from "./token.ts";

export type Strategy = "dpor" | "random" | "pct";

export interface Suppression {
  readonly invariant: string;
  /** Only violations whose functions include this one. */
  readonly fn?: string;
}

/** Where executions start: kernels to run a scenario on. */
export interface KernelSource {
  /** A booted kernel's independent copy (non-boot scenarios). */
  booted(): Kernel;
  /** A kernel created, not booted, and a function spawning its boot (boot scenarios). */
  unbooted(): { kernel: Kernel; spawnBoot: (k: Kernel) => void };
}

export interface CheckRequest {
  readonly source: KernelSource;
  readonly scenarios: readonly Scenario[];
  readonly invariants: readonly Invariant[];
  readonly strategy: Strategy;
  readonly seed: number;
  /** Executions per scenario at most (random/pct: exactly). */
  readonly executions: number;
  readonly maxSteps: number;
  readonly preemptions: number;
  readonly inject: { readonly alloc: boolean; readonly cpuhp: boolean };
  readonly suppress: readonly Suppression[];
  /** PCT's depth. */
  readonly depth?: number;
  /** The token fields that do not depend on the scenario or schedule. */
  readonly tokenBase: Omit<ReplaySpec, "scenario" | "deviations" | "seed">;
  /** How each scenario is named in a token (a built-in's name or a file reference). */
  readonly scenarioRef: (s: Scenario) => ReplaySpec["scenario"];
  readonly describe: string;
  readonly progress?: (p: Progress) => void;
  /** Explore one of each group of interchangeable CPUs first (src/explore/symmetry.ts); default true. */
  readonly symmetry?: boolean;
  /** Told of every execution the search runs (not the shrinking's), as it ends. */
  readonly observe?: (x: ExecState, status: string) => void;
}

export interface Progress {
  readonly scenario: string;
  readonly executions: number;
  readonly limit: number;
  /** Exhaustive search: a rough estimate of the executions it will take in all. */
  readonly estimate?: number;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly verdict: "clean" | "violation" | "bound" | "skipped";
  /** One line for `check`'s summary. */
  readonly line: string;
  /** The counterexample block, for a violation. */
  readonly counterexample: string | null;
  readonly token: string | null;
  readonly invariant: string | null;
  readonly executions: number;
  readonly blocked: number;
  readonly maxDepth: number;
  /** dpor: alternatives replaced by a mirror image (symmetry), and left out by the preemption bound. */
  readonly symmetric: number;
  readonly pruned: number;
  readonly suppressed: readonly string[];
  /** Injected failures reached, as `SITE in FUNCTION < CALLER ...` (innermost first, three deep). */
  readonly errorPaths: readonly string[];
}

export interface CheckResult {
  readonly results: readonly ScenarioResult[];
  /** 0 clean, 1 a violation, 3 a bound hit (the worst over scenarios). */
  readonly exitCode: 0 | 1 | 3;
}

export interface Outcome {
  readonly x: ExecState;
  readonly status: string;
}

export function runOne(
  r: CheckRequest,
  scenario: Scenario,
  prefix: readonly number[],
  policy: Policy,
  seed: number,
): Outcome {
  const fresh = scenario.boot
    ? r.source.unbooted()
    : { kernel: r.source.booted(), spawnBoot: undefined };
  const { x, run } = runExecution({
    scenario,
    kernel: fresh.kernel,
    ...(fresh.spawnBoot !== undefined ? { spawnBoot: fresh.spawnBoot } : {}),
    invariants: r.invariants,
    prefix,
    policy,
    controller: { seed, injectAlloc: r.inject.alloc, injectCpuhp: r.inject.cpuhp },
    maxSteps: r.maxSteps,
    suppress: r.suppress,
  });
  if (x.violation === null && run.status === "deadlock") {
    x.fail(
      "deadlock",
      run.unfinished[0] ?? 0,
      `no CPU can run: CPUs ${run.unfinished.join(", ")} wait forever`,
      true,
    );
  }
  return { x, status: run.status };
}

/**
 * Shrink a violating schedule: drop deviations from the default policy one
 * at a time while the same invariant still breaks, to a fixpoint — fewer
 * context switches, interrupts and failures, and (with them) fewer steps.
 */
function shrink(r: CheckRequest, scenario: Scenario, found: Outcome, seed: number): Outcome {
  const invariant = found.x.violation!.invariant;
  let best = found;
  let devs = deviationsOf(found.x.ctl);
  let progress = true;
  while (progress) {
    progress = false;
    for (const key of [...devs.keys()]) {
      const trial = new Map(devs);
      trial.delete(key);
      let o: Outcome;
      try {
        o = runOne(r, scenario, [], new DeviationPolicy(trial), seed);
      } catch (e) {
        if (e instanceof ScheduleMismatch) continue;
        throw e;
      }
      if (o.x.violation?.invariant !== invariant) continue;
      const a = scheduleSize(o.x.steps);
      const b = scheduleSize(best.x.steps);
      if (a.switches > b.switches || (a.switches === b.switches && a.steps > b.steps)) continue;
      best = o;
      devs = deviationsOf(o.x.ctl);
      progress = true;
      break;
    }
  }
  return best;
}

function violationResult(
  r: CheckRequest,
  scenario: Scenario,
  found: Outcome,
  executions: number,
  stats: { blocked: number; maxDepth: number; symmetric?: number; pruned?: number },
  seed: number,
  paths: string[],
): ScenarioResult {
  const before: ScheduleSize = scheduleSize(found.x.steps);
  const best = shrink(r, scenario, found, seed);
  const deviations = [...deviationsOf(best.x.ctl)];
  const token = encodeToken({
    ...r.tokenBase,
    scenario: r.scenarioRef(scenario),
    seed,
    deviations,
  });
  const after = scheduleSize(best.x.steps);
  const shrunk = after.steps !== before.steps || after.switches !== before.switches ? before : null;
  const header = `scenario ${scenario.name}, ${r.describe}`;
  const v = best.x.violation!;
  return {
    scenario: scenario.name,
    verdict: "violation",
    line: `VIOLATION ${scenario.name}: ${v.invariant} after ${executions} executions`,
    counterexample: formatCounterexample(best.x, header, shrunk, token),
    token,
    invariant: v.invariant,
    executions,
    blocked: stats.blocked,
    symmetric: stats.symmetric ?? 0,
    pruned: stats.pruned ?? 0,
    maxDepth: stats.maxDepth,
    suppressed: best.x.suppressed.map((s) => s.invariant),
    errorPaths: paths,
  };
}

/** Replay one execution from a token's schedule: the counterexample block (or a clean line). */
export function replayExecution(
  r: CheckRequest,
  scenario: Scenario,
  spec: Pick<ReplaySpec, "seed" | "deviations">,
  token: string,
): { text: string; violation: boolean } {
  const o = runOne(r, scenario, [], new DeviationPolicy(new Map(spec.deviations)), spec.seed);
  if (o.x.violation === null) {
    return {
      text: `replay: scenario ${scenario.name}, ${r.describe}: no violation (${o.x.steps.length} steps, ${o.status})\n`,
      violation: false,
    };
  }
  // What check printed: the shrunk execution is what the token holds, so nothing is shrunk here.
  return {
    text: formatCounterexample(o.x, `scenario ${scenario.name}, ${r.describe}`, null, token),
    violation: true,
  };
}

/** What one dpor job's execution gives the search: plain data, so it can come from another thread. */
function onlineCpus(k: Kernel): number[] {
  return k.machine.cpus.filter((c) => cpuOnline(k, c.id)).map((c) => c.id);
}

export interface JobResult {
  readonly trace: DporTrace;
  readonly status: string;
  /** The invariant violated, or null. */
  readonly violation: string | null;
  readonly suppressed: readonly string[];
  /** Injected failures reached, as `SITE in FUNCTION < CALLER ...`. */
  readonly paths: readonly string[];
}

function pathsOf(x: ExecState): string[] {
  return x.injected.map((f) => `${f.site} in ${[...f.stack].reverse().slice(0, 3).join(" < ")}`);
}

/** Run one dpor job: the execution and its result. */
export function runJob(
  r: CheckRequest,
  scenario: Scenario,
  job: DporJob,
): { o: Outcome; result: JobResult } {
  const run = new DporRun(job);
  const o = runOne(r, scenario, job.prefix, run, r.seed);
  return {
    o,
    result: {
      trace: run.trace(o.x.steps),
      status: o.status,
      violation: o.x.violation?.invariant ?? null,
      suppressed: o.x.suppressed.map((v) => v.invariant),
      paths: pathsOf(o.x),
    },
  };
}

/**
 * One scenario's dpor search, fed job results in the tree's order (from this
 * thread or others: the same results give the same search).
 */
export class DporSearch {
  readonly tree: DporTree;
  /** The job after the last commit (null: every schedule covered). */
  next: DporJob | null = null;
  private readonly r: CheckRequest;
  private readonly scenario: Scenario;
  private readonly suppressed = new Set<string>();
  private readonly paths = new Set<string>();
  private maxSteps = false;

  constructor(r: CheckRequest, scenario: Scenario) {
    this.r = r;
    this.scenario = scenario;
    this.symmetry =
      r.symmetry === false || scenario.boot
        ? []
        : symmetryGroups(scenario, onlineCpus(r.source.booted()));
    this.tree = new DporTree(r.preemptions, this.symmetry);
  }

  /** The groups of interchangeable CPUs the search uses. */
  readonly symmetry: readonly number[][];

  atLimit(): boolean {
    return this.tree.stats.executions >= this.r.executions;
  }

  /** Commit a job's result; the violated invariant, or null (then `next` is the next job). */
  commit(job: DporJob, res: JobResult): string | null {
    for (const s of res.suppressed) this.suppressed.add(s);
    for (const p of res.paths) this.paths.add(p);
    if (res.violation !== null) {
      this.tree.stats.executions++;
      return res.violation;
    }
    if (res.status === "max-steps") this.maxSteps = true;
    this.next = this.tree.commit(job, res.trace);
    this.r.progress?.({
      scenario: this.scenario.name,
      executions: this.tree.stats.executions,
      limit: this.r.executions,
      estimate: this.tree.estimate(),
    });
    return null;
  }

  /** The result for the violating execution `o` (the job just committed, run here). */
  violation(o: Outcome): ScenarioResult {
    const st = this.tree.stats;
    return violationResult(this.r, this.scenario, o, st.executions, st, this.r.seed, [
      ...this.paths,
    ]);
  }

  /** The result when no violation was found; `unfinished`: jobs were left (the execution limit). */
  result(unfinished: boolean): ScenarioResult {
    const r = this.r;
    const scenario = this.scenario;
    const st = this.tree.stats;
    const bound = unfinished || this.maxSteps;
    const sym =
      this.symmetry.length === 0
        ? ""
        : `, ${st.symmetric} left out by symmetry (CPUs ${this.symmetry.map((g) => g.join("=")).join(", ")})`;
    const what = `${st.executions} executions, ${st.blocked} ended by sleep sets${sym}, longest ${st.maxDepth} steps`;
    const sup =
      this.suppressed.size === 0 ? "" : `; suppressed: ${[...this.suppressed].join(", ")}`;
    const bounded = Number.isFinite(r.preemptions) ? `, up to ${r.preemptions} preemptions` : "";
    return noViolation(
      scenario,
      bound ? "bound" : "clean",
      bound
        ? `BOUND ${scenario.name}: no violation in ${what}, but not exhaustive (--executions ${r.executions} or --max-steps ${r.maxSteps} reached)${sup}`
        : `clean ${scenario.name}: every schedule${bounded}, ${r.describe} (dpor: ${what})${sup}`,
      st,
      this.suppressed,
      this.paths,
    );
  }
}

function checkScenario(r: CheckRequest, scenario: Scenario): ScenarioResult {
  const limit = r.executions;
  const suppressed = new Set<string>();
  const paths = new Set<string>();
  const note = (o: Outcome) => {
    for (const s of o.x.suppressed) suppressed.add(s.invariant);
    for (const p of pathsOf(o.x)) paths.add(p);
  };
  const report = (n: number, estimate?: number) =>
    r.progress?.({
      scenario: scenario.name,
      executions: n,
      limit,
      ...(estimate !== undefined ? { estimate } : {}),
    });
  if (r.strategy === "dpor") {
    const search = new DporSearch(r, scenario);
    let job: DporJob | null = search.tree.begin();
    while (job !== null && !search.atLimit()) {
      const { o, result } = runJob(r, scenario, job);
      r.observe?.(o.x, o.status);
      if (search.commit(job, result) !== null) return search.violation(o);
      job = search.next;
    }
    return search.result(job !== null);
  }
  // random / pct: `limit` executions of the same kernel (its random numbers
  // from --seed), each schedule drawn with its own seed; a token records the
  // schedule itself, so it needs only the kernel's seed.
  let maxDepth = 0;
  let k = 200;
  for (let i = 0; i < limit; i++) {
    const seed = r.seed + i;
    const policy =
      r.strategy === "random"
        ? new RandomPolicy(seed)
        : new PctPolicy(seed, r.tokenBase.cpus, r.depth ?? 3, k);
    const o = runOne(r, scenario, [], policy, r.seed);
    r.observe?.(o.x, o.status);
    note(o);
    maxDepth = Math.max(maxDepth, o.x.steps.length);
    k = Math.max(k, o.x.ctl.decisions.length);
    if (o.x.violation !== null) {
      // The replayable schedule is the deviations of what this policy chose.
      return violationResult(r, scenario, o, i + 1, { blocked: 0, maxDepth }, r.seed, [...paths]);
    }
    report(i + 1);
  }
  const sup = suppressed.size === 0 ? "" : `; suppressed: ${[...suppressed].join(", ")}`;
  return noViolation(
    scenario,
    "clean",
    `clean ${scenario.name}: no violation in ${limit} ${r.strategy} executions (schedule seeds ${r.seed}..${r.seed + limit - 1}), ${r.describe}; not exhaustive${sup}`,
    { executions: limit, blocked: 0, maxDepth },
    suppressed,
    paths,
  );
}

/** A scenario's result when no violation was found. */
function noViolation(
  scenario: Scenario,
  verdict: "clean" | "bound",
  line: string,
  st: {
    executions: number;
    blocked: number;
    maxDepth: number;
    symmetric?: number;
    pruned?: number;
  },
  suppressed: ReadonlySet<string>,
  paths: ReadonlySet<string>,
): ScenarioResult {
  return {
    scenario: scenario.name,
    verdict,
    line,
    counterexample: null,
    token: null,
    invariant: null,
    executions: st.executions,
    blocked: st.blocked,
    symmetric: st.symmetric ?? 0,
    pruned: st.pruned ?? 0,
    maxDepth: st.maxDepth,
    suppressed: [...suppressed],
    errorPaths: [...paths],
  };
}

/** Check every scenario. */
export function check(r: CheckRequest): CheckResult {
  const results = r.scenarios.map((s) => checkScenario(r, s));
  const exitCode = results.some((x) => x.verdict === "violation")
    ? 1
    : results.some((x) => x.verdict === "bound")
      ? 3
      : 0;
  return { results, exitCode };
}

export { setAtomicSleepWatcher };

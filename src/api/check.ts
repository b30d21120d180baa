/**
 * `textpoke check` / `replay` / `scenarios` as library calls: validate the
 * request, build the kernels executions start from, run the checker
 * (src/explore/check.ts), and encode or decode replay tokens.
 */
import {
  type CheckRequest,
  type CheckResult,
  type JobResult,
  replayExecution,
  check as runCheck,
  runJob,
  type ScenarioResult,
  type Strategy,
  type Suppression,
} from "../explore/check.ts";
import type { ExecState } from "../explore/execution.ts";
import { INVARIANTS, invariantNames } from "../explore/invariants/index.ts";
import { dporOn, type Shares } from "../explore/parallel/driver.ts";
import type { JobExecutor } from "../explore/parallel/executor.ts";
import { parseScenarioText, type Scenario } from "../explore/scenario.ts";
import { builtinScenario, builtinScenarios } from "../explore/scenarios.ts";
import { type KernelSnapshot, snapshotKernel } from "../explore/snapshot.ts";
import type { DporJob } from "../explore/strategies/dpor.ts";
import {
  contentHash,
  decodeToken,
  encodeToken,
  type FileRef,
  type ReplaySpec,
} from "../explore/token.ts";
import type { CodePatchingVariant } from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../linux/core/kernel.ts";
import { UserError } from "../util/user-error.ts";
import { DEFAULT_VARIANT } from "../variants/code-patching/index.ts";
import { type BootRequest, createKernel, runBoot, spawnBoot } from "./boot.ts";

export type {
  CheckResult,
  DporJob,
  ExecState,
  JobExecutor,
  JobResult,
  Scenario,
  ScenarioResult,
  Shares,
  Strategy,
};
/** The version tokens carry when the caller gives none (the CLI gives textpoke's). */
export const LIBRARY_VERSION = "library";

/** A scenario file as the caller read it. */
export interface ScenarioFile {
  readonly path: string;
  readonly text: string;
}

export interface CheckOptions {
  /** The version replay tokens carry (a token of another version is refused). */
  readonly version?: string;
  readonly variant?: CodePatchingVariant;
  /** How the token names the variant: a built-in's commit, or a module file's path and hash. */
  readonly variantRef?: string | FileRef;
  readonly configText?: string;
  /** The `--config` file, for the token. */
  readonly configRef?: FileRef | null;
  readonly sets?: readonly string[];
  readonly cpus?: number;
  readonly mmu?: "radix" | "hash";
  /** Built-in scenario names and scenario files; none: every built-in that applies. */
  readonly scenarios?: readonly (string | ScenarioFile)[];
  readonly strategy?: Strategy;
  readonly seed?: number;
  readonly executions?: number;
  readonly maxSteps?: number;
  readonly preemptions?: number;
  /** Explore one of each group of interchangeable CPUs first (default true; `--no-symmetry`). */
  readonly symmetry?: boolean;
  readonly inject?: { readonly alloc?: boolean; readonly cpuhp?: boolean };
  /** `INVARIANT[@FUNCTION]` each. */
  readonly suppress?: readonly string[];
  readonly progress?: (p: {
    scenario: string;
    executions: number;
    limit: number;
    estimate?: number;
  }) => void;
  /** Told of every execution the search runs, as it ends (its state, and how the run ended). */
  readonly observe?: (x: ExecState, status: string) => void;
}

const DEFAULTS = { executions: 100_000, maxSteps: 2_000_000, randomExecutions: 1000 };

function parseSuppression(s: string): Suppression {
  const m = /^([a-z-]+)(?:@([A-Za-z_][\w.]*))?$/.exec(s.trim());
  if (m === null) throw new UserError(`bad --suppress '${s}': expected INVARIANT[@FUNCTION]`);
  const names = [...invariantNames(), "deadlock"];
  if (!names.includes(m[1]!))
    throw new UserError(
      `bad --suppress '${s}': no invariant '${m[1]}' (known: ${names.join(", ")})`,
    );
  return m[2] === undefined ? { invariant: m[1]! } : { invariant: m[1]!, fn: m[2] };
}

interface Prepared {
  readonly req: BootRequest;
  readonly cpus: number;
  readonly mmu: "radix" | "hash";
  readonly kernel0: Kernel;
  readonly scenarios: { scenario: Scenario; ref: string | FileRef }[];
  readonly skipped: ScenarioResult[];
}

/** Whether a scenario applies to a kernel's configuration and CPU count. */
function applies(s: Scenario, k: Kernel): string | null {
  if (s.minCpus > k.machine.cpus.length) return `needs ${s.minCpus} CPUs`;
  for (const r of s.requires)
    if (!k.config.bool(r as Parameters<Kernel["config"]["bool"]>[0])) return `needs CONFIG_${r}=y`;
  return null;
}

function prepare(o: CheckOptions): Prepared {
  const req: BootRequest = {
    ...(o.configText !== undefined ? { configText: o.configText } : {}),
    sets: o.sets ?? [],
    ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
    ...(o.mmu !== undefined ? { mmu: o.mmu } : {}),
    variant: o.variant ?? DEFAULT_VARIANT,
  };
  // Validates the configuration, CPU count and MMU (UserError on bad input).
  const kernel0 = createKernel(req);
  const cpus = kernel0.machine.cpus.length;
  const mmu = kernel0.machine.mmu;
  const chosen: { scenario: Scenario; ref: string | FileRef; explicit: boolean }[] = [];
  if (o.scenarios === undefined || o.scenarios.length === 0) {
    for (const s of builtinScenarios(cpus))
      chosen.push({ scenario: s, ref: s.name, explicit: false });
  } else {
    for (const s of o.scenarios) {
      if (typeof s === "string") {
        const b = builtinScenario(s, cpus);
        if (b === undefined) {
          throw new UserError(
            `no built-in scenario '${s}' (built in: ${builtinScenarios(cpus)
              .map((x) => x.name)
              .join(", ")}; or give a FILE.json)`,
          );
        }
        chosen.push({ scenario: b, ref: s, explicit: true });
      } else {
        const sc = parseScenarioText(s.text, s.path, cpus);
        chosen.push({
          scenario: sc,
          ref: { path: s.path, hash: contentHash(s.text) },
          explicit: true,
        });
      }
    }
  }
  const scenarios: Prepared["scenarios"] = [];
  const skipped: ScenarioResult[] = [];
  for (const c of chosen) {
    const why = applies(c.scenario, kernel0);
    if (why === null) scenarios.push(c);
    else if (c.explicit)
      throw new UserError(`scenario ${c.scenario.name} does not apply: it ${why}`);
    else skipped.push(skippedResult(c.scenario.name, why));
  }
  return { req, cpus, mmu, kernel0, scenarios, skipped };
}

function skippedResult(name: string, why: string): ScenarioResult {
  return {
    scenario: name,
    verdict: "skipped",
    line: `skipped ${name}: it ${why}`,
    counterexample: null,
    token: null,
    invariant: null,
    executions: 0,
    blocked: 0,
    symmetric: 0,
    pruned: 0,
    maxDepth: 0,
    suppressed: [],
    errorPaths: [],
  };
}

/** Kernels for executions: forks of one booted snapshot, and fresh unbooted ones for boot scenarios. */
function kernelSource(p: Prepared) {
  // Booted once, lazily (a check of the boot scenario alone needs none), then forked per execution.
  let snapshot: KernelSnapshot | null = null;
  const booted = (): Kernel => {
    if (snapshot === null) {
      const r = runBoot(createKernel(p.req));
      if (r.exitCode !== 0) {
        throw new BootFailed(
          r.kernel.systemState === "panic"
            ? "the kernel panicked while booting"
            : `the boot stopped (${r.run.status})`,
        );
      }
      snapshot = snapshotKernel(r.kernel);
    }
    return snapshot.fork();
  };
  return {
    booted,
    unbooted: () => {
      const kernel = createKernel(p.req);
      return { kernel, spawnBoot };
    },
  };
}

/** The booted snapshot could not be made: the scenarios that need it cannot run. */
export class BootFailed extends Error {
  override readonly name = "BootFailed";
}

function describe(
  p: Prepared,
  variant: CodePatchingVariant,
  ref: string | FileRef | undefined,
): string {
  const name =
    ref === undefined || typeof ref === "string"
      ? variant.commit
      : `${ref.path.split("/").at(-1)} (${variant.commit})`;
  return `variant ${name}, ${p.cpus} CPU${p.cpus === 1 ? "" : "s"}, ${p.mmu}`;
}

function tokenBase(
  o: CheckOptions,
  p: Prepared,
  variant: CodePatchingVariant,
): Omit<ReplaySpec, "scenario" | "deviations" | "seed"> {
  return {
    version: o.version ?? LIBRARY_VERSION,
    variant: o.variantRef ?? variant.commit,
    sets: o.sets ?? [],
    config: o.configRef ?? null,
    cpus: p.cpus,
    mmu: p.mmu,
    inject: { alloc: o.inject?.alloc ?? false, cpuhp: o.inject?.cpuhp ?? false },
    maxSteps: o.maxSteps ?? DEFAULTS.maxSteps,
  };
}

interface Planned {
  readonly p: Prepared;
  readonly requests: { readonly scenario: Scenario; readonly request: CheckRequest }[];
}

/** Validate the options and build one checker request per scenario that applies. */
function plan(o: CheckOptions): Planned {
  const strategy = o.strategy ?? "dpor";
  if (!["dpor", "random", "pct"].includes(strategy))
    throw new UserError(`bad --strategy '${strategy}': expected dpor, random or pct`);
  const suppress = (o.suppress ?? []).map(parseSuppression);
  const p = prepare(o);
  const variant = o.variant ?? DEFAULT_VARIANT;
  const source = kernelSource(p);
  const base = tokenBase(o, p, variant);
  const requests = p.scenarios.map(({ scenario, ref }) => ({
    scenario,
    request: {
      source,
      scenarios: [scenario],
      invariants: INVARIANTS,
      strategy,
      seed: o.seed ?? 0,
      executions:
        o.executions ?? (strategy === "dpor" ? DEFAULTS.executions : DEFAULTS.randomExecutions),
      maxSteps: o.maxSteps ?? DEFAULTS.maxSteps,
      preemptions: o.preemptions ?? Number.POSITIVE_INFINITY,
      symmetry: o.symmetry ?? true,
      inject: { alloc: o.inject?.alloc ?? false, cpuhp: o.inject?.cpuhp ?? false },
      suppress,
      tokenBase: base,
      scenarioRef: () => ref,
      describe: describe(p, variant, o.variantRef),
      ...(o.progress !== undefined ? { progress: o.progress } : {}),
      ...(o.observe !== undefined ? { observe: o.observe } : {}),
    } satisfies CheckRequest,
  }));
  return { p, requests };
}

/** The results in the order `check` prints them, and the exit code. */
function finish(p: Prepared, scenarioResults: readonly ScenarioResult[]): CheckResult {
  const results: ScenarioResult[] = [...p.skipped, ...scenarioResults];
  // Boot scenarios first, as listed.
  const order = new Map(builtinScenarios(p.cpus).map((s, i) => [s.name, i]));
  results.sort((a, b) => (order.get(a.scenario) ?? 99) - (order.get(b.scenario) ?? 99));
  const exitCode = results.some((x) => x.verdict === "violation")
    ? 1
    : results.some(
          (x) =>
            x.verdict === "bound" || (x.verdict === "skipped" && x.line.includes("cannot run")),
        )
      ? 3
      : 0;
  return { results, exitCode };
}

function cannotRun(scenario: Scenario, e: unknown): ScenarioResult {
  if (!(e instanceof BootFailed)) throw e;
  return skippedResult(scenario.name, `cannot run: ${e.message} (see scenario boot)`);
}

/** Check a variant on scenarios; see `textpoke check --help`. Bad input throws UserError. */
export function check(o: CheckOptions = {}): CheckResult {
  const { p, requests } = plan(o);
  const results: ScenarioResult[] = [];
  for (const { scenario, request } of requests) {
    try {
      results.push(...runCheck(request).results);
    } catch (e) {
      results.push(cannotRun(scenario, e));
    }
  }
  return finish(p, results);
}

/**
 * Where a parallel check runs each scenario's dpor executions: given the
 * scenario's index among those that apply, an executor (worker threads, a
 * job queue). The same verdicts, counterexamples and counts as `check`.
 */
export type ExecutorFactory = (scenarioIndex: number, scenario: Scenario) => Promise<JobExecutor>;

/** `check`, with each dpor scenario's executions run by executors (random and pct run here). */
export async function checkOn(
  o: CheckOptions,
  executors: ExecutorFactory,
  shares: Shares = { here: 0, ahead: 0 },
): Promise<CheckResult> {
  const { p, requests } = plan(o);
  if (o.observe !== undefined) throw new UserError("observe needs a check run in this thread");
  const results: ScenarioResult[] = [];
  for (const [i, { scenario, request }] of requests.entries()) {
    try {
      if (request.strategy !== "dpor") {
        results.push(...runCheck(request).results);
        continue;
      }
      // The booted kernel first: a boot failure is this thread's to report.
      if (!scenario.boot) request.source.booted();
      const exec = await executors(i, scenario);
      try {
        results.push(await dporOn(request, scenario, exec, shares));
      } finally {
        await exec.close();
      }
    } catch (e) {
      results.push(cannotRun(scenario, e));
    }
  }
  return finish(p, results);
}

/**
 * A worker's side of `checkOn`: the function running dpor jobs of scenario
 * `scenarioIndex` of the check `o` describes (the same options as the
 * coordinator's, so the same kernel and scenario).
 */
export function jobRunner(o: CheckOptions, scenarioIndex: number): (job: DporJob) => JobResult {
  const { requests } = plan(o);
  const entry = requests[scenarioIndex];
  if (entry === undefined) throw new UserError(`no scenario ${scenarioIndex} in this check`);
  if (!entry.scenario.boot) entry.request.source.booted();
  return (job) => runJob(entry.request, entry.scenario, job).result;
}

/** What a replay needs from the caller: the token's files, read (and hashed) again. */
export interface ReplayInputs {
  readonly variant: CodePatchingVariant;
  readonly configText?: string;
  readonly scenarioText?: string;
}

/** Decode a token (refusing one of another version). */
export function parseToken(token: string, version: string = LIBRARY_VERSION): ReplaySpec {
  return decodeToken(token, version);
}

/** Re-run the one execution a token names; prints what `check` printed for it. */
export function replay(
  token: string,
  spec: ReplaySpec,
  inputs: ReplayInputs,
): { text: string; exitCode: 0 | 1 } {
  const o: CheckOptions = {
    version: spec.version,
    variant: inputs.variant,
    variantRef: spec.variant,
    ...(inputs.configText !== undefined ? { configText: inputs.configText } : {}),
    configRef: spec.config,
    sets: spec.sets,
    cpus: spec.cpus,
    mmu: spec.mmu,
    scenarios: [
      typeof spec.scenario === "string"
        ? spec.scenario
        : { path: spec.scenario.path, text: inputs.scenarioText ?? "" },
    ],
    inject: spec.inject,
    maxSteps: spec.maxSteps,
  };
  const p = prepare(o);
  const variant = inputs.variant;
  const { scenario } = p.scenarios[0]!;
  const r = replayExecution(
    {
      source: kernelSource(p),
      scenarios: [scenario],
      invariants: INVARIANTS,
      strategy: "dpor",
      seed: spec.seed,
      executions: 1,
      maxSteps: spec.maxSteps,
      preemptions: Number.POSITIVE_INFINITY,
      inject: spec.inject,
      suppress: [],
      tokenBase: tokenBase(o, p, variant),
      scenarioRef: () => spec.scenario,
      describe: describe(p, variant, spec.variant),
    },
    scenario,
    spec,
    token,
  );
  return { text: r.text, exitCode: r.violation ? 1 : 0 };
}

/** The built-in scenarios, a line each. */
export function scenarioList(cpus = 2): string {
  return builtinScenarios(cpus)
    .map((s) => `${s.name.padEnd(18)} ${s.description}`)
    .join("\n")
    .concat("\n");
}

export { contentHash, encodeToken };

/** `textpoke check`, `textpoke replay`, `textpoke scenarios`: the interleaving checker. */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command } from "@commander-js/extra-typings";
import {
  type CheckOptions,
  type CheckResult,
  check,
  checkOn,
  contentHash,
  parseToken,
  replay,
  type Shares,
  scenarioList,
} from "../../api/check.ts";
import { parseCount } from "../../api/parse.ts";
import { isVariantPath } from "../../api/variants.ts";
import { EXIT, UserError } from "../../util/user-error.ts";
import type { CheckWorkerInit } from "../check-worker.ts";
import { loadVariant } from "../load-variant.ts";
import type { Io } from "../main.ts";
import { parseQueueUrl } from "../queue/address.ts";
import { loadQueueModule } from "../queue/load.ts";
import { ThreadPool } from "../threads/pool.ts";
import { VERSION } from "../version.ts";
import { collect, readConfigFile } from "./config-input.ts";

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(
      `cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
}

const isFile = (s: string) => s.includes("/") || s.endsWith(".json");

function injectArg(v: string | undefined): { alloc: boolean; cpuhp: boolean } {
  const parts = v === undefined ? [] : v.split(",").filter((x) => x !== "");
  for (const p of parts) {
    if (p !== "alloc" && p !== "cpuhp")
      throw new UserError(`bad --inject '${v}': expected alloc, cpuhp or alloc,cpuhp`);
  }
  return { alloc: parts.includes("alloc"), cpuhp: parts.includes("cpuhp") };
}

function suppressionsFrom(list: string[], file: string | undefined): string[] {
  if (file === undefined) return list;
  const lines = readFile(file, "--suppressions")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l !== "");
  return [...list, ...lines];
}

/**
 * scripts/check-worker.mjs of the textpoke this process runs: next to
 * bin/textpoke (argv[1]), or under the working directory (the CLI run
 * in-process by a test from the checkout).
 */
function workerEntry(): string {
  const bin = process.argv[1];
  const candidates = [
    ...(bin !== undefined && existsSync(bin)
      ? [resolve(dirname(realpathSync(bin)), "../scripts/check-worker.mjs")]
      : []),
    resolve("scripts/check-worker.mjs"),
  ];
  const entry = candidates.find((c) => existsSync(c));
  if (entry === undefined)
    throw new UserError("--jobs: cannot find scripts/check-worker.mjs next to bin/textpoke");
  return entry;
}

/**
 * Check on `jobs` threads: this one runs what the search needs at once,
 * `jobs - 1` worker threads what it will need later (dpor scenarios; random
 * and pct run here).
 */
function checkWithThreads(
  options: CheckOptions,
  variantName: string,
  jobs: number,
  shares: Shares,
) {
  const entry = workerEntry();
  const { variant: _v, progress: _p, observe: _o, ...rest } = options;
  return checkOn(
    options,
    async (scenarioIndex) => {
      const init: CheckWorkerInit = { options: rest, variantName, scenarioIndex };
      return new ThreadPool({ threads: jobs - 1, entry, init });
    },
    shares,
  );
}

export function checkCommand(io: Io, setStatus: (s: number) => void) {
  return new Command("check")
    .description(
      "explore CPU interleavings, interrupts and injected failures of scenarios on a code-patching variant and check its invariants (exit 0 clean, 1 violation, 2 bad input, 3 a bound was hit)",
    )
    .option(
      "--variant <commit|alias|file>",
      "code-patching variant (see `textpoke variants`)",
      "980411a4d1bb",
    )
    .option("--config <file>", "a .config file")
    .option("--set <CONFIG_X=V>", "set one symbol (repeatable)", collect, [] as string[])
    .option("--cpus <n>", "number of CPUs", "2")
    .option("--mmu <radix|hash>", "the MMU the kernel uses")
    .option(
      "--scenario <name|file.json>",
      "a built-in scenario or a scenario file (repeatable; default: every built-in that applies)",
      collect,
      [] as string[],
    )
    .option("--strategy <dpor|random|pct>", "exhaustive dpor, or random / pct bug hunting", "dpor")
    .option(
      "--seed <n>",
      "seed of the kernel's random numbers (and first schedule seed of random/pct)",
      "0",
    )
    .option(
      "--executions <n>",
      "at most this many executions per scenario (random/pct: exactly; default 100000 / 1000)",
    )
    .option("--max-steps <n>", "steps per execution before it counts as a bound hit", "2000000")
    .option("--preemptions <k>", "explore only schedules with at most K preemptions")
    .option("--depth <d>", "pct's bug depth", "3")
    .option(
      "--inject <alloc,cpuhp>",
      "explore allocation failures and/or hotplug callback failures",
    )
    .option(
      "--suppress <INVARIANT[@FUNCTION]>",
      "do not count a known finding (repeatable)",
      collect,
      [] as string[],
    )
    .option("--suppressions <file>", "suppressions, one INVARIANT[@FUNCTION] per line (# comments)")
    .option(
      "--no-symmetry",
      "explore CPUs of the same role separately (default: one of each group first)",
    )
    .option(
      "--jobs <n>",
      "run dpor's executions on N worker threads (the same verdict and count for every N)",
      "1",
    )
    .option(
      "--queue <redis://HOST:PORT>",
      "run dpor's executions on `textpoke worker` processes taking jobs from this Redis (not with --jobs)",
    )
    .option("--progress", "show progress on stderr (default when stderr is a terminal)")
    .option("--no-progress", "no progress on stderr")
    .addHelpText(
      "after",
      "\nExamples:\n  textpoke check --variant c28c15b6d28a --set CONFIG_DEBUG_VM=n   (the seed bug, found without DEBUG_VM)\n  textpoke check --variant ./examples/variants/no-local-flush.js\n  textpoke check --scenario patch-vs-hotplug --suppress no-leak@put_patching_mm\n  textpoke check --strategy random --executions 5000 --seed 7\n  textpoke check --queue redis://127.0.0.1:6379   (with `textpoke worker --queue ...` running; docs/scale.md)\n",
    )
    .action(async (opts) => {
      const queue = opts.queue !== undefined ? parseQueueUrl(opts.queue) : undefined;
      const jobs = parseCount(opts.jobs, "--jobs", 1, 256);
      if (queue !== undefined && jobs !== 1)
        throw new UserError(
          "--jobs and --queue do not go together: with --queue the executions run on `textpoke worker` processes",
        );
      const variant = await loadVariant(opts.variant);
      const variantRef = isVariantPath(opts.variant)
        ? { path: resolve(opts.variant), hash: contentHash(readFile(opts.variant, "--variant")) }
        : variant.commit;
      const configText = readConfigFile(opts.config);
      if (opts.mmu !== undefined && opts.mmu !== "radix" && opts.mmu !== "hash")
        throw new UserError(`bad --mmu '${opts.mmu}': expected radix or hash`);
      const strategy = opts.strategy;
      if (strategy !== "dpor" && strategy !== "random" && strategy !== "pct")
        throw new UserError(`bad --strategy '${strategy}': expected dpor, random or pct`);
      const scenarios = opts.scenario.map((s) =>
        isFile(s) ? { path: resolve(s), text: readFile(s, "--scenario") } : s,
      );
      const tty = process.stderr.isTTY === true;
      const showProgress = opts.progress ?? tty;
      const t0 = Date.now();
      let lastDraw = 0;
      const options: CheckOptions = {
        version: VERSION,
        variant,
        variantRef,
        ...(configText !== undefined && opts.config !== undefined
          ? { configText, configRef: { path: resolve(opts.config), hash: contentHash(configText) } }
          : {}),
        sets: opts.set,
        cpus: parseCount(opts.cpus, "--cpus", 0, Number.MAX_SAFE_INTEGER),
        ...(opts.mmu !== undefined ? { mmu: opts.mmu as "radix" | "hash" } : {}),
        scenarios,
        strategy,
        seed: parseCount(opts.seed, "--seed", 0, Number.MAX_SAFE_INTEGER),
        ...(opts.executions !== undefined
          ? { executions: parseCount(opts.executions, "--executions", 1, 1e12) }
          : {}),
        maxSteps: parseCount(opts.maxSteps, "--max-steps", 1, 1e12),
        ...(opts.preemptions !== undefined
          ? { preemptions: parseCount(opts.preemptions, "--preemptions", 0, 1e6) }
          : {}),
        inject: injectArg(opts.inject),
        symmetry: opts.symmetry,
        suppress: suppressionsFrom(opts.suppress, opts.suppressions),
        ...(showProgress
          ? {
              progress: (p) => {
                const now = Date.now();
                if (now - lastDraw < 100) return;
                lastDraw = now;
                const s = (now - t0) / 1000;
                const est = p.estimate !== undefined ? ` (~${p.estimate} estimated)` : "";
                io.err(
                  `\r${p.scenario}: ${p.executions} executions${est}, ${Math.round(p.executions / Math.max(s, 0.001))}/s, ${s.toFixed(1)} s   `,
                );
              },
            }
          : {}),
      };
      const variantName = isVariantPath(opts.variant) ? resolve(opts.variant) : opts.variant;
      const shares: Shares = { here: 0, ahead: 0 };
      let r: CheckResult;
      if (queue !== undefined) {
        const { checkWithQueue } = await loadQueueModule(() => import("../queue/coordinator.ts"));
        const warn = (line: string) => io.err(`${showProgress ? "\r\x1b[K" : ""}${line}\n`);
        r = await checkWithQueue(options, variantName, queue, shares, warn);
      } else if (jobs === 1) r = check(options);
      else r = await checkWithThreads(options, variantName, jobs, shares);
      if (showProgress) io.err("\r\x1b[K");
      for (const x of r.results) if (x.counterexample !== null) io.out(`${x.counterexample}\n`);
      for (const x of r.results) io.out(`${x.line}\n`);
      // Time and memory vary between runs: stderr, so stdout stays the same bytes.
      for (const x of r.results) {
        if (x.verdict === "skipped") continue;
        io.err(
          `textpoke: ${x.scenario}: ${x.executions} executions (${x.executions - x.blocked} complete, ${x.blocked} ended by sleep sets), ${x.symmetric} alternatives replaced by their mirror image (symmetry), ${x.pruned} left out by the preemption bound, longest ${x.maxDepth} steps\n`,
        );
      }
      const executions = r.results.reduce((n, x) => n + x.executions, 0);
      const seconds = (Date.now() - t0) / 1000;
      const rss = process.resourceUsage().maxRSS / 1024;
      io.err(
        `textpoke: ${r.results.length} scenario${r.results.length === 1 ? "" : "s"}, ${executions} executions in ${seconds.toFixed(2)} s (${Math.round(executions / Math.max(seconds, 0.001))}/s), peak RSS ${Math.round(rss)} MiB\n`,
      );
      if (queue !== undefined)
        io.err(
          `textpoke: ${shares.here} executions run by the coordinator, ${shares.ahead} computed ahead by the queue's workers\n`,
        );
      if (jobs > 1)
        io.err(
          `textpoke: ${shares.here} executions run by the search's own thread, ${shares.ahead} computed ahead by ${jobs - 1} worker thread${jobs === 2 ? "" : "s"}\n`,
        );
      setStatus(r.exitCode);
    });
}

export function replayCommand(io: Io, setStatus: (s: number) => void) {
  return new Command("replay")
    .description("re-run exactly the execution a `check` token names and print it as check did")
    .argument("<token>", "the token after `replay:` in a check's counterexample")
    .action(async (token) => {
      const spec = parseToken(token, VERSION);
      let variantName: string;
      let scenarioText: string | undefined;
      if (typeof spec.variant === "string") variantName = spec.variant;
      else {
        const text = readFile(spec.variant.path, "the token's variant");
        if (contentHash(text) !== spec.variant.hash)
          throw new UserError(
            `the token's variant module ${spec.variant.path} changed since the check; run the check again`,
          );
        variantName = spec.variant.path;
      }
      let configText: string | undefined;
      if (spec.config !== null) {
        configText = readFile(spec.config.path, "the token's --config");
        if (contentHash(configText) !== spec.config.hash)
          throw new UserError(`the token's --config ${spec.config.path} changed since the check`);
      }
      if (typeof spec.scenario !== "string") {
        scenarioText = readFile(spec.scenario.path, "the token's scenario");
        if (contentHash(scenarioText) !== spec.scenario.hash)
          throw new UserError(`the token's scenario ${spec.scenario.path} changed since the check`);
      }
      const variant = await loadVariant(variantName);
      const r = replay(token, spec, {
        variant,
        ...(configText !== undefined ? { configText } : {}),
        ...(scenarioText !== undefined ? { scenarioText } : {}),
      });
      io.out(r.text);
      setStatus(r.exitCode === 0 ? EXIT.OK : EXIT.FAILED);
    });
}

export function scenariosCommand(io: Io) {
  return new Command("scenarios")
    .description("list the checker's built-in scenarios")
    .action(() => io.out(scenarioList()));
}

/**
 * Scenarios: what the checker runs on a booted kernel, declared as data (a
 * built-in one or a user's JSON file, docs/scenarios.md). A scenario names
 * threads — a CPU and the actions it performs in order — and optionally an
 * interrupt whose handler performs actions too. Every interleaving of the
 * threads' steps (and every point where the interrupt can arrive) is what
 * the checker explores.
 */
import { UserError } from "../util/user-error.ts";

/** Where an action applies: `SYMBOL[+OFFSET]`, or `MODULE:SYMBOL[+OFFSET]` for module text. */
export type TargetSpec = string;

export type Action =
  /** patch_instruction(target + stride * thread index, insn); insn `0xWORD` or `0xPREFIX:0xSUFFIX`. */
  | {
      readonly op: "patch";
      readonly target: TargetSpec;
      readonly insn: string;
      readonly stride: number;
    }
  /** patch_branch(target, to, 0). */
  | { readonly op: "patch-branch"; readonly target: TargetSpec; readonly to: TargetSpec }
  /** Execute the word (or prefixed pair) at target as the CPU would: isync, then fetch through the icache. */
  | { readonly op: "execute"; readonly target: TargetSpec; readonly stride: number }
  /** cpu_down(cpu) / cpu_up(cpu). */
  | { readonly op: "cpu-down"; readonly cpu: number }
  | { readonly op: "cpu-up"; readonly cpu: number }
  /** Load / unload a built-in module (fixtures/modules). */
  | { readonly op: "module-load"; readonly module: string }
  | { readonly op: "module-unload"; readonly module: string }
  /** register_kprobe at a symbol; it stays armed until the thread's actions end. */
  | { readonly op: "kprobe"; readonly symbol: string }
  /** register_kretprobe on a function (a counting return handler); unregistered like kprobes. */
  | { readonly op: "kretprobe"; readonly symbol: string }
  /** static_key_enable / static_key_disable of a static key of the image, by symbol. */
  | { readonly op: "static-key-enable" | "static-key-disable"; readonly key: string }
  /**
   * Function tracer on a function with an ftrace site: enable adds it to the
   * filter and starts the tracer; disable takes it out (the tracer stops
   * when the filter empties). Needs CONFIG_FUNCTION_TRACER=y.
   */
  | { readonly op: "ftrace-enable" | "ftrace-disable"; readonly function: string }
  /** Call a compiled kernel function (run by the interpreter); args are numbers or symbols. */
  | { readonly op: "call"; readonly symbol: string; readonly args: readonly (number | string)[] };

export interface Thread {
  /** The CPU the thread runs on. */
  readonly cpu: number;
  readonly actions: readonly Action[];
}

export interface Scenario {
  readonly name: string;
  /** One line, for `textpoke scenarios`. */
  readonly description: string;
  /** The fewest CPUs it needs; the checker skips it on fewer. */
  readonly minCpus: number;
  /** Run from a fresh boot explored as a whole, not from a snapshot of a booted kernel. */
  readonly boot: boolean;
  /** Threads; a thread with `cpu: "each"` in the source is one thread per CPU. */
  readonly threads: readonly Thread[];
  /** An interrupt that may arrive on `cpu` at any step where it is enabled, once. */
  readonly irq: { readonly cpu: number; readonly actions: readonly Action[] } | null;
  /** Configuration it needs (a Kconfig symbol without CONFIG_), else it does not apply. */
  readonly requires: readonly string[];
  /** Where it came from (`built-in` or the file). */
  readonly source: string;
}

/** Raw scenario as JSON gives it. */
type Json = unknown;

function fail(source: string, field: string, why: string): never {
  throw new UserError(`bad scenario ${source}: ${field}: ${why}`);
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const TARGET_RE = /^(?:[A-Za-z_][\w]*:)?[A-Za-z_.$][\w.$]*(?:\+(?:0x[0-9a-fA-F]+|\d+))?$/;
const INSN_RE = /^0x[0-9a-fA-F]{1,8}(?::0x[0-9a-fA-F]{1,8})?$/;

function target(source: string, field: string, v: Json): TargetSpec {
  if (typeof v !== "string" || !TARGET_RE.test(v))
    fail(
      source,
      field,
      `expected SYMBOL[+OFFSET] or MODULE:SYMBOL[+OFFSET], got ${JSON.stringify(v)}`,
    );
  return v;
}

function int(source: string, field: string, v: Json, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    fail(source, field, `expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function onlyKeys(source: string, field: string, o: Record<string, Json>, keys: readonly string[]) {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k))
      fail(source, `${field}.${k}`, `unknown field (known: ${keys.join(", ")})`);
  }
}

const ACTION_KEYS: Record<Action["op"], readonly string[]> = {
  patch: ["patch", "insn", "stride"],
  "patch-branch": ["patch-branch", "to"],
  execute: ["execute", "stride"],
  "cpu-down": ["cpu-down"],
  "cpu-up": ["cpu-up"],
  "module-load": ["module-load"],
  "module-unload": ["module-unload"],
  kprobe: ["kprobe"],
  kretprobe: ["kretprobe"],
  call: ["call", "args"],
  "static-key-enable": ["static-key-enable"],
  "static-key-disable": ["static-key-disable"],
  "ftrace-enable": ["ftrace-enable"],
  "ftrace-disable": ["ftrace-disable"],
};

function action(source: string, field: string, v: Json, maxCpu: number): Action {
  if (!isObject(v))
    fail(
      source,
      field,
      'expected an object such as {"patch": "SYMBOL+0x40", "insn": "0x60000000"}',
    );
  const op = (Object.keys(ACTION_KEYS) as Action["op"][]).find((k) => k in v);
  if (op === undefined)
    fail(source, field, `expected one of ${Object.keys(ACTION_KEYS).join(", ")}`);
  onlyKeys(source, field, v, ACTION_KEYS[op]);
  const stride = v.stride === undefined ? 0 : int(source, `${field}.stride`, v.stride, 0, 0x10000);
  if (stride % 4 !== 0) fail(source, `${field}.stride`, "must be a multiple of 4");
  switch (op) {
    case "patch": {
      const insn = v.insn;
      if (typeof insn !== "string" || !INSN_RE.test(insn))
        fail(
          source,
          `${field}.insn`,
          `expected 0xWORD or 0xPREFIX:0xSUFFIX, got ${JSON.stringify(insn)}`,
        );
      return { op, target: target(source, `${field}.patch`, v.patch), insn, stride };
    }
    case "patch-branch":
      return {
        op,
        target: target(source, `${field}.patch-branch`, v["patch-branch"]),
        to: target(source, `${field}.to`, v.to),
      };
    case "execute":
      return { op, target: target(source, `${field}.execute`, v.execute), stride };
    case "cpu-down":
    case "cpu-up":
      return { op, cpu: int(source, `${field}.${op}`, v[op], 0, maxCpu) };
    case "module-load":
    case "module-unload": {
      const m = v[op];
      if (typeof m !== "string" || !/^[A-Za-z0-9_-]+$/.test(m))
        fail(source, `${field}.${op}`, `expected a module name, got ${JSON.stringify(m)}`);
      return { op, module: m };
    }
    case "static-key-enable":
    case "static-key-disable": {
      const key = v[op];
      if (typeof key !== "string" || !/^[A-Za-z_][\w]*$/.test(key))
        fail(
          source,
          `${field}.${op}`,
          `expected a static key's symbol, got ${JSON.stringify(key)}`,
        );
      return { op, key };
    }
    case "ftrace-enable":
    case "ftrace-disable": {
      const fn = v[op];
      if (typeof fn !== "string" || !/^[A-Za-z_][\w]*$/.test(fn))
        fail(source, `${field}.${op}`, `expected a function's name, got ${JSON.stringify(fn)}`);
      return { op, function: fn };
    }
    case "kprobe":
    case "kretprobe":
    case "call": {
      const s = v[op];
      if (typeof s !== "string" || !/^[A-Za-z_.$][\w.$]*$/.test(s))
        fail(source, `${field}.${op}`, `expected a symbol, got ${JSON.stringify(s)}`);
      if (op === "kprobe" || op === "kretprobe") return { op, symbol: s };
      const args = v.args ?? [];
      if (
        !Array.isArray(args) ||
        args.length > 8 ||
        args.some(
          (a) => !(typeof a === "string" ? TARGET_RE.test(a) : Number.isSafeInteger(a) && a >= 0),
        )
      )
        fail(
          source,
          `${field}.args`,
          "expected at most 8 non-negative integers or SYMBOL[+OFFSET]s",
        );
      return { op, symbol: s, args: args as (number | string)[] };
    }
  }
}

function actions(source: string, field: string, v: Json, maxCpu: number): Action[] {
  if (!Array.isArray(v) || v.length === 0)
    fail(source, field, "expected a non-empty array of actions");
  if (v.length > 64) fail(source, field, "at most 64 actions");
  return v.map((a, i) => action(source, `${field}[${i}]`, a, maxCpu));
}

const SCENARIO_KEYS = ["name", "description", "minCpus", "boot", "threads", "irq", "requires"];
const MAX_CPUS = 2048;

/**
 * Validate a scenario given as parsed JSON. `cpus` expands `"cpu": "each"`
 * threads. Errors are one line naming the field.
 */
export function parseScenario(v: Json, source: string, cpus: number): Scenario {
  if (!isObject(v)) fail(source, "(top)", "expected a JSON object");
  onlyKeys(source, "(top)", v, SCENARIO_KEYS);
  const name = v.name;
  if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{0,40}$/.test(name))
    fail(source, "name", `expected lowercase letters, digits and '-', got ${JSON.stringify(name)}`);
  const description = v.description ?? "";
  if (typeof description !== "string" || description.includes("\n"))
    fail(source, "description", "expected one line of text");
  const minCpus = v.minCpus === undefined ? 1 : int(source, "minCpus", v.minCpus, 1, MAX_CPUS);
  const boot = v.boot ?? false;
  if (typeof boot !== "boolean") fail(source, "boot", "expected true or false");
  const requires = v.requires ?? [];
  if (
    !Array.isArray(requires) ||
    requires.some((r) => typeof r !== "string" || !/^[A-Z0-9_]+$/.test(r))
  )
    fail(
      source,
      "requires",
      'expected an array of Kconfig symbols without CONFIG_ (e.g. ["MODULES"])',
    );
  const maxCpu = MAX_CPUS - 1;
  const threadsJson = v.threads ?? [];
  if (!Array.isArray(threadsJson)) fail(source, "threads", "expected an array");
  if (!boot && threadsJson.length === 0) fail(source, "threads", "expected at least one thread");
  const threads: Thread[] = [];
  threadsJson.forEach((t, i) => {
    const field = `threads[${i}]`;
    if (!isObject(t)) fail(source, field, 'expected {"cpu": N or "each", "actions": [...]}');
    onlyKeys(source, field, t, ["cpu", "actions"]);
    const acts = actions(source, `${field}.actions`, t.actions, maxCpu);
    if (t.cpu === "each") {
      for (let c = 0; c < cpus; c++) threads.push({ cpu: c, actions: acts });
    } else {
      threads.push({ cpu: int(source, `${field}.cpu`, t.cpu, 0, maxCpu), actions: acts });
    }
  });
  const seen = new Set<number>();
  for (const t of threads) {
    if (seen.has(t.cpu)) fail(source, "threads", `two threads on CPU ${t.cpu}`);
    seen.add(t.cpu);
  }
  let irq: Scenario["irq"] = null;
  if (v.irq !== undefined) {
    if (!isObject(v.irq)) fail(source, "irq", 'expected {"cpu": N, "actions": [...]}');
    onlyKeys(source, "irq", v.irq, ["cpu", "actions"]);
    irq = {
      cpu: int(source, "irq.cpu", v.irq.cpu, 0, maxCpu),
      actions: actions(source, "irq.actions", v.irq.actions, maxCpu),
    };
  }
  return {
    name,
    description,
    minCpus,
    boot,
    threads,
    irq,
    requires: requires as string[],
    source,
  };
}

/** Parse a scenario file's text (JSON). */
export function parseScenarioText(text: string, source: string, cpus: number): Scenario {
  let v: Json;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    throw new UserError(`bad scenario ${source}: not JSON: ${msg}`);
  }
  return parseScenario(v, source, cpus);
}

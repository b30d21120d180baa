/**
 * One execution of a scenario: a fresh copy of the booted kernel, the
 * scenario's threads spawned on their CPUs, the machine run under the
 * checker's Controller, every step recorded with what it did and touched,
 * and the invariants checked as it goes. An execution stops at its first
 * violation.
 */
import type { PpcInst } from "../isa/powerpc/inst.ts";
import { ppcInstPrefixed, ppcInstSuffix, ppcInstVal } from "../isa/powerpc/inst.ts";
import { requestIrq } from "../linux/arch/powerpc/include/asm/hw_irq.ts";
import {
  codePatchingVariant,
  setCodePatchingVariant,
} from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../linux/core/ctx.ts";
import type { Kernel } from "../linux/core/kernel.ts";
import type { TaskStruct } from "../linux/include/linux/sched.ts";
import { cpuOnline, cpuUp } from "../linux/kernel/cpu.ts";
import { runKernelThread } from "../linux/kernel/exit.ts";
import { createKthread } from "../linux/kernel/kthread.ts";
import { DefaultChoices } from "../machine/choices/default.ts";
import type { Cpu } from "../machine/cpu.ts";
import type { Machine, RunResult } from "../machine/machine.ts";
import { OP_NAMES, OpKind } from "../machine/ops.ts";
import { type ActionObserver, runActions } from "./actions.ts";
import { Controller, type ControllerOptions, DecisionKind, type Policy } from "./controller.ts";
import { type Footprint, FootprintRecorder } from "./footprint.ts";
import type { Invariant } from "./invariants/invariant.ts";
import type { Scenario } from "./scenario.ts";

/** One visible step of an execution. */
export interface StepRecord {
  /** Position in the execution (0-based). */
  readonly index: number;
  readonly cpu: number;
  /** The operation the step performed (announced at the CPU's previous step). */
  readonly op: OpKind;
  /** Its address: effective for memory operations, real for page-table entries, else 0. */
  readonly addr: bigint;
  readonly object: unknown;
  /** The kernel function it was performed in (the innermost frame of the call trace). */
  readonly fn: string;
  readonly file: string;
  readonly fp: Footprint;
  /** Index of the decision that picked this CPU for the step, or -1 (it was the only one runnable). */
  readonly decision: number;
  /** The scenario's interrupt was delivered at the start of this step. */
  readonly irq: boolean;
}

export interface Violation {
  readonly invariant: string;
  /** What broke, in a line or a few. */
  readonly message: string;
  /** The step at which it was seen (-1: at the end of the execution). */
  readonly step: number;
  readonly cpu: number;
}

/** A patch_instruction call seen by the checker. */
export interface PatchRecord {
  readonly cpu: number;
  readonly addr: bigint;
  readonly instr: PpcInst;
  /** The words it should leave at `addr` (one, or two for a prefixed instruction). */
  readonly words: readonly number[];
  readonly startStep: number;
  endStep: number;
  err: number | null;
  /** Another patch was in progress on the same CPU when this one began. */
  readonly nested: boolean;
}

/** An instruction a CPU executed (the `execute` action). */
export interface ExecRecord {
  readonly cpu: number;
  readonly addr: bigint;
  readonly words: readonly number[];
  readonly step: number;
  /** The step of the isync before the fetch. */
  readonly isyncStep: number;
}

/**
 * Ops whose steps run kernel code with no finer footprint than "the kernel's
 * objects": a task's first step, allocations (slab counters, the objects
 * allocated), and `other` steps (traps, panics, interrupt entry).
 */
const COARSE = new Set<number>([OpKind.START, OpKind.ALLOC, OpKind.OTHER]);
const LOCKING = new Set<number>([OpKind.LOCK, OpKind.UNLOCK, OpKind.WAIT]);

interface Announced {
  readonly op: OpKind;
  readonly addr: bigint;
  readonly object: unknown;
  readonly fn: string;
  readonly file: string;
  /** The call stack when the op was announced (allocations only: where a failure is injected). */
  readonly stack?: readonly string[];
}

/**
 * Where `cpu` is: the innermost frame of its kernel task's shadow call stack,
 * or — while it runs compiled code, which pushes no frames — the kallsyms
 * symbol of the instruction it is at (`k` given).
 */
export function innermostFunction(cpu: Cpu, k?: Kernel): { fn: string; file: string } {
  const t = cpu.kernelTask as TaskStruct | null;
  const f = t?.stack.at(-1);
  // The interpreter announces INSN with NIA at the instruction; with no frame
  // at all the CPU is in compiled code too (the checker's own actions aside).
  const guest = cpu.pending.kind === OpKind.INSN || f === undefined;
  const hit = guest ? k?.kallsyms.lookup(cpu.nia) : undefined;
  if (hit !== undefined) return { fn: hit.symbol.name, file: "(compiled)" };
  return f === undefined ? { fn: "(entry)", file: "" } : { fn: f.fn.name, file: f.fn.file };
}

export interface ExecutionOptions {
  readonly scenario: Scenario;
  /** A fresh kernel: a fork of the booted snapshot, or (boot scenarios) created and not yet booted. */
  readonly kernel: Kernel;
  /** Boots the kernel as the execution's first task (boot scenarios). */
  readonly spawnBoot?: (k: Kernel) => void;
  readonly invariants: readonly Invariant[];
  readonly prefix: readonly number[];
  readonly policy: Policy;
  readonly controller: Omit<ControllerOptions, "steps">;
  readonly maxSteps: number;
  /** Violations reported but not counted (known findings). */
  readonly suppress?: readonly { readonly invariant: string; readonly fn?: string }[];
}

/** The state of one execution, as invariants see it. */
export class ExecState implements ActionObserver {
  readonly k: Kernel;
  readonly m: Machine;
  readonly scenario: Scenario;
  readonly ctl: Controller;
  readonly steps: StepRecord[] = [];
  readonly patches: PatchRecord[] = [];
  readonly executions: ExecRecord[] = [];
  /** Patches in progress, per CPU (innermost last). */
  readonly inPatch: PatchRecord[][];
  violation: Violation | null = null;
  /** Violations matched by a suppression: noted, and the execution goes on. */
  readonly suppressed: Violation[] = [];
  private readonly suppress: NonNullable<ExecutionOptions["suppress"]>;
  /** Scenario actions whose kernel call failed (an injected failure's expected outcome, or a finding). */
  readonly failedActions: { cpu: number; what: string; ret: number }[] = [];
  readonly recorder: FootprintRecorder;
  private readonly invariants: readonly Invariant[];
  private readonly announced: (Announced | null)[];
  private readonly baseStep: number;
  private decisionsSeen = 0;
  /** Failures injected in this execution: the site and the call stack that took the error path. */
  readonly injected: { readonly site: string; readonly stack: readonly string[] }[] = [];
  /** Allocation sites seen in this execution → the functions on the allocating CPU's call stack. */
  readonly allocStacks = new Map<string, Set<string>>();
  /** Per-invariant scratch state. */
  readonly scratch = new Map<string, unknown>();
  /** The scenario's own threads (their task structs). */
  readonly scenarioTasks = new WeakSet<object>();

  constructor(o: ExecutionOptions) {
    this.k = o.kernel;
    this.m = o.kernel.machine;
    this.scenario = o.scenario;
    this.invariants = o.invariants;
    this.policy = o.policy;
    this.suppress = o.suppress ?? [];
    this.baseStep = this.m.steps;
    this.ctl = new Controller(o.prefix, o.policy, { ...o.controller, steps: () => this.step });
    this.recorder = new FootprintRecorder();
    this.ctl.trace = this.steps;
    this.inPatch = this.m.cpus.map(() => []);
    this.announced = this.m.cpus.map(() => null);
  }

  /** Steps taken so far in this execution. */
  get step(): number {
    return this.m.steps - this.baseStep;
  }

  /**
   * Report a violation (the first one counts) and end the execution — unless
   * a suppression matches it: by invariant, and by a function on `cpu`'s
   * call stack or among `functions` (where an end-of-execution finding
   * points).
   */
  fail(
    invariant: string,
    cpu: number,
    message: string,
    atEnd = false,
    functions: readonly string[] = [],
  ): void {
    if (this.violation !== null) return;
    // From a step hook the step is recorded already; from the other hooks it is under way.
    const at = this.inStepHook ? this.steps.length - 1 : this.steps.length;
    const v: Violation = { invariant, message, step: atEnd ? -1 : at, cpu };
    const task = this.m.cpus[cpu]?.kernelTask as TaskStruct | null | undefined;
    const fns = new Set([
      ...functions,
      ...(atEnd ? [] : (task?.stack.map((f) => f.fn.name) ?? [])),
    ]);
    const last = this.steps.at(-1);
    if (!atEnd && last !== undefined) fns.add(last.fn);
    if (
      this.suppress.some((s) => s.invariant === invariant && (s.fn === undefined || fns.has(s.fn)))
    ) {
      if (!this.suppressed.some((x) => x.invariant === invariant)) this.suppressed.push(v);
      return;
    }
    this.violation = v;
    this.m.abort();
  }

  /** Does a suppression cover a finding of `invariant` pointing at these functions? */
  isSuppressed(invariant: string, functions: ReadonlySet<string>): boolean {
    return this.suppress.some(
      (s) => s.invariant === invariant && (s.fn === undefined || functions.has(s.fn)),
    );
  }

  /** Note a finding a suppression covers (the execution goes on). */
  noteSuppressed(invariant: string, cpu: number, message: string): void {
    if (!this.suppressed.some((x) => x.invariant === invariant))
      this.suppressed.push({ invariant, message, step: -1, cpu });
  }

  executed(cpu: number, addr: bigint, words: readonly number[], isyncStep: number): void {
    const e: ExecRecord = { cpu, addr, words, step: this.steps.length, isyncStep };
    this.executions.push(e);
    for (const inv of this.invariants) inv.executed?.(this, e);
  }

  actionFailed(cpu: number, what: string, ret: number): void {
    this.failedActions.push({ cpu, what, ret });
    for (const inv of this.invariants) inv.actionFailed?.(this, cpu, what, ret);
  }

  patchStart(c: Ctx, addr: bigint, instr: PpcInst): PatchRecord {
    const stack = this.inPatch[c.cpu.id]!;
    const words = ppcInstPrefixed(instr)
      ? [ppcInstVal(instr), ppcInstSuffix(instr)]
      : [ppcInstVal(instr)];
    const p: PatchRecord = {
      cpu: c.cpu.id,
      addr,
      instr,
      words,
      startStep: this.steps.length,
      endStep: -1,
      err: null,
      nested: stack.length !== 0,
    };
    stack.push(p);
    this.patches.push(p);
    this.watch(addr);
    this.watch(addr - 4n);
    for (const inv of this.invariants) inv.patchStart?.(this, p);
    return p;
  }

  patchEnd(p: PatchRecord, err: number): void {
    p.err = err;
    p.endStep = this.steps.length;
    const stack = this.inPatch[p.cpu]!;
    stack.splice(stack.lastIndexOf(p), 1);
    for (const inv of this.invariants) inv.patchEnd?.(this, p);
  }

  /** The step hook: record what the step did and touched, then check. */
  onStep(cpu: Cpu, next: OpKind | -1): void {
    const ann = this.announced[cpu.id];
    const op = ann?.op ?? OpKind.START;
    const decisions = this.ctl.decisions;
    let decision = -1;
    let irq = false;
    for (let i = this.decisionsSeen; i < decisions.length; i++) {
      const d = decisions[i]!;
      if (d.kind === DecisionKind.CPU) decision = i;
      else if (d.kind === DecisionKind.IRQ && d.value === 1) irq = true;
      else if (d.kind === DecisionKind.FAIL && d.value === 1) {
        // Where the allocation was asked for (announced before the step), else where the step ended.
        const task = cpu.kernelTask as TaskStruct | null;
        const stack = ann?.stack ?? task?.stack.map((f) => f.fn.name) ?? [];
        this.injected.push({ site: d.what, stack });
      }
    }
    this.decisionsSeen = decisions.length;
    const rec = this.recorder;
    // A scenario thread's first step runs the action's kernel function up to
    // its first visible operation: like any code between two of them (the
    // stepping rule), not a kernel task's start (start_secondary, a hotplug
    // thread), which sets up shared state before its first operation.
    const coarse =
      COARSE.has(op) && !(op === OpKind.START && this.scenarioTasks.has(cpu.kernelTask as object));
    if (coarse || irq) rec.kernelState();
    if (LOCKING.has(op) && typeof ann?.object === "object" && ann.object !== null)
      rec.object(ann.object, true);
    const at = ann ?? innermostFunction(cpu, this.k);
    const s: StepRecord = {
      index: this.steps.length,
      cpu: cpu.id,
      op,
      addr: ann?.addr ?? 0n,
      object: ann?.object ?? null,
      fn: at.fn,
      file: at.file,
      fp: rec.take(),
      decision,
      irq,
    };
    this.steps.push(s);
    if (op === OpKind.ALLOC && typeof s.object === "string") {
      let fns = this.allocStacks.get(s.object);
      if (fns === undefined) {
        fns = new Set();
        this.allocStacks.set(s.object, fns);
      }
      const task = cpu.kernelTask as TaskStruct | null;
      for (const f of task?.stack ?? []) fns.add(f.fn.name);
    }
    if (next === -1 && cpu.tasks.length === 0) this.announced[cpu.id] = null;
    else {
      const where = innermostFunction(cpu, this.k);
      const task = cpu.kernelTask as TaskStruct | null;
      this.announced[cpu.id] = {
        op: next === -1 ? OpKind.OTHER : next,
        addr: cpu.pending.ea,
        object: cpu.pending.object,
        fn: where.fn,
        file: where.file,
        ...(next === OpKind.ALLOC && task !== null
          ? { stack: task.stack.map((f) => f.fn.name) }
          : {}),
      };
    }
    this.inStepHook = true;
    for (const inv of this.invariants) inv.step?.(this, s);
    this.inStepHook = false;
    if (
      this.violation === null &&
      this.policy.redundant?.(this.ctl, () => this.m.runnable()) === true
    ) {
      // A finding held back is this execution's own: it is not covered.
      this.flushPending();
      if (this.violation !== null) return;
      this.redundant = true;
      this.m.abort();
    }
  }

  /** Invariants report what they held back (the execution stops without a violation). */
  flushPending(): void {
    for (const inv of this.invariants) {
      if (this.violation !== null) return;
      inv.flush?.(this);
    }
  }

  /** Step of each CPU's last context synchronisation an action performed (-1: none). */
  private readonly synced: number[] = [];

  /** `cpu` performed a context synchronisation (isync) now. */
  contextSynchronised(cpu: number): void {
    this.synced[cpu] = this.steps.length;
  }

  /** Addresses a patch has begun at (and the words before them: a prefixed pair's second half). */
  private readonly watched = new Set<bigint>();
  /** Their 4 KiB pages: the interpreter's fetches are filtered by page first. */
  private readonly watchedPages = new Set<bigint>();

  private watch(addr: bigint): void {
    this.watched.add(addr);
    this.watchedPages.add(addr & ~0xfffn);
  }

  /**
   * The interpreter fetched an instruction on `cpu` (at `page` + `offset`):
   * an execution of a patched address, checked like the `execute` action's,
   * against the CPU's last context synchronisation.
   */
  fetched(cpu: number, page: bigint, offset: number, word: number, suffix: number): void {
    if (!this.watchedPages.has(page)) return;
    const pc = page + BigInt(offset);
    if (!this.watched.has(pc)) return;
    const words = word >>> 26 === 1 ? [word, suffix] : [word];
    this.executed(cpu, pc, words, this.synced[cpu] ?? -1);
  }

  /** The policy ended the execution as covered by an earlier one (a sleep set). */
  redundant = false;
  private readonly policy: Policy;

  /** Invariants' step hooks are running (a violation is at the step just recorded). */
  private inStepHook = false;

  /** The op a CPU announced (what its next step will perform), or null. */
  nextOp(cpu: number): Announced | null {
    return this.announced[cpu] ?? null;
  }

  start(): void {
    for (const inv of this.invariants) inv.start?.(this);
  }

  end(run: RunResult): void {
    this.flushPending();
    if (run.status !== "done") return;
    this.repair();
    for (const inv of this.invariants) inv.end?.(this);
  }

  /** CPUs online when the execution began (see `repair`). */
  onlineAtStart: readonly number[] = [];

  /**
   * After an execution whose hotplug actions failed (an injected failure's
   * expected outcome), bring the CPUs that were online at the start back up
   * — unobserved, with no failure injected — so the end-of-execution checks
   * compare like with like: a CPU the failed path left half set up then
   * shows as a leak or a WARN on the way back up.
   */
  private repair(): void {
    const down = this.onlineAtStart.filter((c) => !cpuOnline(this.k, c));
    if (down.length === 0) return;
    this.repaired = down;
    const k = this.k;
    const current = createKthread(k, "check/repair");
    const c: Ctx = { k, cpu: this.m.cpu(0), current };
    this.m.spawn(
      0,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          for (const cpu of down) yield* cpuUp(cc, cpu);
        });
      })(),
    );
    this.m.run(new DefaultChoices(0));
  }

  /** CPUs `repair` brought back up. */
  repaired: readonly number[] = [];
}

/** Wrap the installed variant's patch_instruction so the checker sees every call. */
function observePatches(k: Kernel, x: ExecState): void {
  const v = codePatchingVariant(k);
  const inner = v.ops.patchInstruction;
  function* patchInstruction(c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
    const p = x.patchStart(c, addr, instr);
    const err = yield* inner(c, addr, instr);
    x.patchEnd(p, err);
    return err;
  }
  // Its BUG/WARN sites are in the image already: declaring them again would be too late.
  setCodePatchingVariant(k, { ...v, bugSites: [], ops: { ...v.ops, patchInstruction } });
}

function* threadBody(
  c: Ctx,
  actions: Scenario["threads"][number]["actions"],
  index: number,
  x: ExecState,
): KGen<void> {
  yield* runActions(c, actions, index, x);
}

export interface ExecutionResult {
  readonly x: ExecState;
  readonly run: RunResult;
}

/** Run one execution to its end, its first violation, a bound, or the policy's abort. */
export function runExecution(o: ExecutionOptions): ExecutionResult {
  const k = o.kernel;
  const m = k.machine;
  const x = new ExecState(o);
  observePatches(k, x);
  m.footprint = x.recorder;
  m.fetchObserver = (cpu, page, offset, word, suffix) => x.fetched(cpu, page, offset, word, suffix);
  // Time is not a source of interrupts in a check: the scenario's interrupt is a choice.
  for (const cpu of m.cpus) cpu.writeDec(m.tb, 0x7fff_ffff);
  if (o.spawnBoot !== undefined) o.spawnBoot(k);
  o.scenario.threads.forEach((t, index) => {
    if (t.cpu >= m.cpus.length) return;
    const current = createKthread(k, `check/${t.cpu}`);
    x.scenarioTasks.add(current);
    const c: Ctx = { k, cpu: m.cpu(t.cpu), current };
    m.spawn(
      t.cpu,
      (function* () {
        yield* runKernelThread(c, (cc) => threadBody(cc, t.actions, index, x));
      })(),
    );
  });
  const irq = o.scenario.irq;
  if (irq !== null && irq.cpu < m.cpus.length) {
    requestIrq(k, irq.cpu, (c) => threadBody(c, irq.actions, 0, x));
    m.cpu(irq.cpu).externalPending = true;
  }
  // After the scenario's own threads exist: their stacks are not the kernel's to free.
  x.onlineAtStart = m.cpus.filter((c) => cpuOnline(k, c.id)).map((c) => c.id);
  x.start();
  x.recorder.discard();
  const unhook = m.addStepHook((_m, cpu, next) => x.onStep(cpu, next));
  let run: RunResult;
  try {
    run = m.run(x.ctl, { maxSteps: o.maxSteps });
  } finally {
    unhook();
    m.footprint = null;
    m.fetchObserver = null;
  }
  x.end(run);
  return { x, run };
}

/** `OP_NAMES` for a step's operation. */
export function opName(op: OpKind): string {
  return OP_NAMES[op] ?? `op${op}`;
}

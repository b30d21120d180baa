/**
 * The stepping loop (architecture.md §3): which CPUs have work, which of them
 * can run, which one steps next (Choices, when more than one can), and what a
 * step is — offer a pending interrupt, resume the CPU's innermost frame to
 * its next yield (./frames.ts), count the step, advance the timebase, tell
 * the step hooks. Kept apart from the machine's state (./machine.ts) so that
 * everything a run depends on for its order of steps is in one place.
 */
import type { Choices } from "../util/choices.ts";
import type { Cpu, InPlaceStepper } from "./cpu.ts";
import { pushTask } from "./frames.ts";
import { interruptPending, offerInterrupt } from "./interrupts.ts";
import type { Machine } from "./machine.ts";
import { OpKind, type Task } from "./ops.ts";

/** Observer called after every step with the CPU that stepped and the op it yielded next. */
export type StepHook = (m: Machine, cpu: Cpu, next: OpKind | -1) => void;

export interface RunOptions {
  readonly maxSteps?: number;
}

export interface RunResult {
  /**
   * done: every task finished; deadlock: tasks remain but none can run;
   * max-steps: bound hit; aborted: Choices ended the run (pickCpu gave -1).
   * Whatever the status, unfinished tasks stay suspended where they were: a
   * later `run` continues them.
   */
  readonly status: "done" | "deadlock" | "max-steps" | "aborted";
  readonly steps: number;
  /** CPUs with unfinished tasks when the run stopped. */
  readonly unfinished: readonly number[];
}

/** `pick`'s answer when Choices ended the run. */
const ABORT = -2;

/** The run loop of one machine (plain data: a copy of the machine copies it). */
export class RunLoop implements InPlaceStepper {
  private readonly m: Machine;
  /** CPUs with a task, ascending by id. */
  private readonly active: Cpu[] = [];
  private readonly runnableBuf: number[] = [];
  private hooks: StepHook[] = [];
  /** Inside `run` with no step hooks: `stepInPlace` may take step boundaries. */
  private inPlaceOk = false;
  /** The step bound of the current `run`. */
  private limit = 0;
  /** Set by `abort`: the run ends before its next step. */
  private abortRequested = false;

  constructor(m: Machine) {
    this.m = m;
  }

  /** Give `cpu` a task (it must be idle). */
  spawn(cpu: Cpu, task: Task): void {
    if (cpu.busy) throw new Error(`CPU ${cpu.id} already runs a task`);
    pushTask(cpu, task);
    cpu.pending.kind = OpKind.START;
    cpu.waitUntil = null;
    let i = this.active.length;
    while (i > 0 && this.active[i - 1]!.id > cpu.id) i--;
    this.active.splice(i, 0, cpu);
  }

  get hookCount(): number {
    return this.hooks.length;
  }

  addStepHook(hook: StepHook): () => void {
    this.hooks = [...this.hooks, hook];
    this.inPlaceOk = false;
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  /** Is the CPU able to step now (has a task, online, not blocked)? */
  isRunnable(cpu: Cpu): boolean {
    return cpu.busy && cpu.online && (cpu.waitUntil === null || cpu.waitUntil());
  }

  runnable(): number[] {
    return this.active.filter((c) => this.isRunnable(c)).map((c) => c.id);
  }

  get activeCount(): number {
    return this.active.length;
  }

  unfinished(): number[] {
    return this.active.map((c) => c.id);
  }

  run(choices: Choices, opts: RunOptions): RunResult {
    const m = this.m;
    const limit = m.steps + (opts.maxSteps ?? Number.POSITIVE_INFINITY);
    m.choices = choices;
    this.limit = limit;
    try {
      this.abortRequested = false;
      for (;;) {
        this.inPlaceOk = this.hooks.length === 0;
        if (this.abortRequested) return this.result("aborted");
        if (m.steps >= limit) return this.result("max-steps");
        const id = this.pick(choices);
        if (id === ABORT) return this.result("aborted");
        if (id < 0) return this.result(this.active.length === 0 ? "done" : "deadlock");
        this.step(m.cpus[id]!, choices);
      }
    } finally {
      m.choices = null;
      this.inPlaceOk = false;
    }
  }

  /**
   * The CPU to step next (Choices when several are runnable), -1 when none
   * is, ABORT when Choices ended the run (pickCpu returned -1).
   */
  private pick(choices: Choices): number {
    // Filled by index: setting an array's length is a runtime call, and a
    // run under a step hook picks at every step.
    const runnable = this.runnableBuf;
    let n = 0;
    // Indexed, not for-of: the loop runs at every step of a run with several CPUs.
    const active = this.active;
    for (let i = 0; i < active.length; i++) {
      const c = active[i]!;
      if (c.online && (c.waitUntil === null || c.waitUntil())) runnable[n++] = c.id;
    }
    if (n === 0) return -1;
    if (n === 1) return runnable[0]!;
    if (runnable.length !== n) runnable.length = n;
    const id = choices.pickCpu(runnable);
    if (id === -1) return ABORT;
    // A loop, not Array.prototype.includes (a builtin call at every pick).
    let ok = false;
    for (let i = 0; i < n; i++) if (runnable[i] === id) ok = true;
    if (!ok) {
      throw new Error(`Choices picked CPU ${id}, not runnable (runnable: ${runnable.join(",")})`);
    }
    return id;
  }

  abort(): void {
    this.abortRequested = true;
    this.inPlaceOk = false;
  }

  /**
   * The single-CPU fast path of `run`: called by a task on `cpu` at the point
   * where it would yield (its pending op already announced). When the loop
   * would certainly resume this same task next — it is the only CPU with a
   * task, it stays online, no bound is hit, no interrupt is offered, nothing
   * observes steps — take the step boundary here (count the step, advance the
   * timebase) and return true: the task goes on without yielding, and the run
   * is the same step for step. Otherwise return false and the task yields.
   */
  stepInPlace(cpu: Cpu): boolean {
    if (!this.inPlaceOk || this.active.length !== 1 || this.active[0] !== cpu || !cpu.online)
      return false;
    const m = this.m;
    const steps = m.steps + 1;
    if (steps >= this.limit) return false;
    const tb = m.tb + m.tbTicksPerStep;
    if (interruptPending(cpu, tb)) return false;
    m.steps = steps;
    m.tb = tb;
    cpu.waitUntil = null;
    return true;
  }

  private result(status: RunResult["status"]): RunResult {
    return { status, steps: this.m.steps, unfinished: this.unfinished() };
  }

  /**
   * One step of `cpu`: offer a pending asynchronous interrupt (MSR[EE]=1) to
   * Choices, then resume the innermost frame to its next yield, then end the
   * step (count it, advance the timebase, tell the hooks).
   */
  step(cpu: Cpu, choices: Choices): void {
    const m = this.m;
    cpu.waitUntil = null;
    if (interruptPending(cpu, m.tb)) offerInterrupt(m, cpu, choices);
    const next = m.trampoline.resume(cpu);
    if (next === -1) {
      if (cpu.tasks.length === 0) this.active.splice(this.active.indexOf(cpu), 1);
    } else {
      cpu.pending.kind = next;
    }
    m.steps++;
    m.tb += m.tbTicksPerStep;
    if (this.hooks.length !== 0) for (const h of this.hooks) h(m, cpu, next);
  }
}

import type { Choices } from "../util/choices.ts";
import { type SyncHost, setSyncHost, syncTwinsEnabled } from "../util/sync-twins.ts";
import { Cpu } from "./cpu.ts";
import { deliverInterrupt } from "./exceptions.ts";
import type { FootprintSink } from "./footprint.ts";
import { Icache } from "./icache.ts";
import { PhysMemory } from "./memory.ts";
import { HashMmu } from "./mmu/hash.ts";
import { OpKind, type Task } from "./ops.ts";
import { VEC } from "./registers.ts";
import { decodeTlbi, type MutableTlbiTarget, Tlb } from "./tlb.ts";

/** The decoded operands of the tlbie/tlbiel being performed (reused: nothing keeps it). */
const TLBI: MutableTlbiTarget = {
  is: 0,
  lpid: 0,
  pid: 0,
  ea: 0,
  shift: 12,
  prs: false,
  radix: false,
};

export interface MachineConfig {
  /** Number of hardware threads, 1..2048. */
  readonly cpus: number;
  /** Physical memory size in bytes (sparse: costs only what is written). */
  readonly memoryBytes: number;
  /** Base page size; 64 KiB is the seed's configuration. */
  readonly pageSize?: 4096 | 65536;
  /** Translation mode for relocated accesses. */
  readonly mmu?: "radix" | "hash";
  /** Timebase ticks per step (deterministic simulated time). Default 512 (1 µs at 512 MHz). */
  readonly tbTicksPerStep?: number;
}

/** Observer called after every step with the CPU that stepped and the op it yielded next. */
export type StepHook = (m: Machine, cpu: Cpu, next: OpKind | -1) => void;

export interface RunOptions {
  readonly maxSteps?: number;
  /**
   * Keep every task resumable when `maxSteps` stops the run: no sync regions
   * (Machine.runSync), whose code cannot be suspended mid-way, so a later
   * `run` continues exactly where this one stopped. Slower; for stepping a
   * run in slices. Default false: a stop inside a region ends its tasks.
   */
  readonly resumable?: boolean;
}

export interface RunResult {
  /**
   * done: every task finished; deadlock: tasks remain but none can run;
   * max-steps: bound hit; aborted: Choices ended the run (pickCpu gave -1).
   */
  readonly status: "done" | "deadlock" | "max-steps" | "aborted";
  readonly steps: number;
  /** CPUs with unfinished tasks when the run stopped. */
  readonly unfinished: readonly number[];
}

/**
 * Produces the handler task a delivered asynchronous interrupt runs (the
 * kernel model's interrupt entry), or null to only change architected state
 * (an interpreter continues at the vector by itself).
 */
export type InterruptEntry = (m: Machine, cpu: Cpu, vector: number) => Task | null;

/**
 * Thrown through a sync region (Machine.runSync) when the run must stop
 * inside it; `run` turns it into its result.
 */
type StopStatus = "deadlock" | "max-steps" | "aborted";
class RunStopped {
  readonly status: StopStatus;
  constructor(status: StopStatus) {
    this.status = status;
  }
}

/** `pick`'s answer when Choices ended the run. */
const ABORT = -2;

/** Stands for tasks unwound by RunStopped: resuming them is an error. */
function unresumable(cpu: number, status: string): Task {
  const fail = (): never => {
    throw new Error(
      `CPU ${cpu}: its task ended inside a sync region when the run stopped (${status}); run with { resumable: true } to continue a stopped run`,
    );
  };
  return { next: fail, return: fail, throw: fail, [Symbol.iterator]: fail } as unknown as Task;
}

/**
 * The simulated SMP machine: CPUs, sparse physical memory, per-CPU TLBs and
 * icaches (created lazily, so idle CPUs cost little), and the stepping loop
 * (architecture.md §3): each step advances one CPU's task to its next yield,
 * the CPU chosen by `Choices` whenever more than one is runnable.
 */
export class Machine implements SyncHost {
  readonly cpus: readonly Cpu[];
  readonly mem: PhysMemory;
  readonly pageSize: 4096 | 65536;
  readonly mmu: "radix" | "hash";
  /** The software-managed translations used in hash mode. */
  readonly hash = new HashMmu();
  readonly tbTicksPerStep: number;
  /** Steps taken so far. */
  steps = 0;
  /** Timebase (shared by all CPUs), in ticks. */
  tb = 0;
  /** Sync regions entered and their step boundaries that ran the scheduler inline (runSync). */
  readonly syncStats = { regions: 0, yields: 0 };
  /** The choices of the current run (null outside `run`). */
  choices: Choices | null = null;
  /** Stateless (a module function): a fork of the machine shares it; it finds its kernel in `kernel`. */
  interruptEntry: InterruptEntry | null = null;
  /**
   * The kernel running on the machine (opaque to the machine): the state an
   * interrupt entry works on, kept here rather than captured by a closure so
   * that a copy of machine and kernel stays one pair.
   */
  kernel: unknown = null;
  /** Where operations report what they touch (a checker's dependency relation); null: nowhere. */
  footprint: FootprintSink | null = null;
  /** CPUs with a task, ascending by id. */
  private readonly active: Cpu[] = [];
  private readonly runnableBuf: number[] = [];
  private hooks: StepHook[] = [];
  /** Inside `run` with no step hooks: `stepInPlace` may take step boundaries. */
  private inPlaceOk = false;
  /** The step bound of the current `run`. */
  private limit = 0;
  /** The CPU `step` is advancing (its task's code is what runs now). */
  private stepping: Cpu | null = null;
  /** The CPU of the innermost sync region, and the task that region runs in. */
  private syncCpu: Cpu | null = null;
  private syncTask: Task | null = null;
  /** False in a `resumable` run. */
  private syncAllowed = true;
  /** Set by `abort`: the run ends before its next step. */
  private abortRequested = false;
  /** Set once a run stops inside a sync region: code unwinding then takes no step. */
  private stopping: RunStopped | null = null;

  constructor(config: MachineConfig) {
    if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > 2048) {
      throw new RangeError(`Machine: cpus must be 1..2048, got ${config.cpus}`);
    }
    this.mem = new PhysMemory(config.memoryBytes);
    this.pageSize = config.pageSize ?? 65536;
    this.mmu = config.mmu ?? "radix";
    this.tbTicksPerStep = config.tbTicksPerStep ?? 512;
    const cpus: Cpu[] = [];
    for (let i = 0; i < config.cpus; i++) {
      const cpu = new Cpu(i);
      cpu.stepper = this;
      cpus.push(cpu);
    }
    this.cpus = cpus;
  }

  cpu(id: number): Cpu {
    const c = this.cpus[id];
    if (c === undefined) throw new RangeError(`no CPU ${id}`);
    return c;
  }

  /** The CPU's TLB, created on first use. */
  tlbOf(cpu: Cpu): Tlb {
    let t = cpu.tlb;
    if (t === null) {
      t = new Tlb();
      cpu.tlb = t;
    }
    return t;
  }

  /** The CPU's icache, created on first use. */
  icacheOf(cpu: Cpu): Icache {
    let c = cpu.icache;
    if (c === null) {
      c = new Icache();
      cpu.icache = c;
    }
    return c;
  }

  // ---------------------------------------------------------------- stepping

  /** Give `cpu` a task (it must be idle). */
  spawn(cpuId: number, task: Task): void {
    const cpu = this.cpu(cpuId);
    if (cpu.busy) throw new Error(`CPU ${cpuId} already runs a task`);
    cpu.tasks.push(task);
    cpu.pending.kind = OpKind.START;
    cpu.waitUntil = null;
    let i = this.active.length;
    while (i > 0 && this.active[i - 1]!.id > cpuId) i--;
    this.active.splice(i, 0, cpu);
  }

  /** Number of step hooks registered (a snapshot of the machine must have none). */
  get stepHookCount(): number {
    return this.hooks.length;
  }

  /** Register an observer; returns a function that removes it. No hooks = no cost. */
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

  /** Ids of runnable CPUs, ascending (a fresh array). */
  runnable(): number[] {
    return this.active.filter((c) => this.isRunnable(c)).map((c) => c.id);
  }

  /** Number of CPUs with unfinished tasks (cheap; for fast paths that run alone). */
  get activeCount(): number {
    return this.active.length;
  }

  /** Ids of CPUs with unfinished tasks. */
  unfinished(): number[] {
    return this.active.map((c) => c.id);
  }

  /**
   * Run until every task finishes, no CPU can run (deadlock), or `maxSteps`
   * more steps were taken. When exactly one CPU is runnable, Choices is not
   * consulted (nothing is recorded): the run is the same either way.
   */
  run(choices: Choices, opts: RunOptions = {}): RunResult {
    const limit = this.steps + (opts.maxSteps ?? Number.POSITIVE_INFINITY);
    this.choices = choices;
    this.limit = limit;
    this.syncAllowed = opts.resumable !== true;
    try {
      this.abortRequested = false;
      for (;;) {
        this.inPlaceOk = this.hooks.length === 0;
        if (this.abortRequested) return this.result("aborted");
        if (this.steps >= limit) return this.result("max-steps");
        const id = this.pick(choices);
        if (id === ABORT) return this.result("aborted");
        if (id < 0) return this.result(this.active.length === 0 ? "done" : "deadlock");
        this.step(this.cpus[id]!, choices);
      }
    } catch (e) {
      if (!(e instanceof RunStopped)) throw e;
      // The tasks of the sync region's CPU were unwound: they cannot resume.
      for (const c of this.cpus) {
        if (!c.stoppedInSync) continue;
        c.stoppedInSync = false;
        c.tasks.splice(0, c.tasks.length, unresumable(c.id, e.status));
      }
      return this.result(e.status);
    } finally {
      this.choices = null;
      this.inPlaceOk = false;
      this.syncCpu = null;
      this.syncTask = null;
      this.stepping = null;
      this.stopping = null;
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

  /** End the current run before its next step (a step hook's verdict): `run` returns "aborted". */
  abort(): void {
    this.abortRequested = true;
    this.inPlaceOk = false;
  }

  // ----------------------------------------------------------- sync regions

  /**
   * May code running on `cpu` now switch to plain-function twins
   * (src/util/sync-twins.ts)? Only inside `run` (not while it stops), when
   * `cpu` is the CPU being stepped and no other CPU holds a sync region: a
   * region keeps its CPU's code on the JavaScript stack, so only regions of
   * one CPU (an interrupt handler's inside its task's) can nest. Step hooks
   * are no obstacle: every boundary of a region ends its step through
   * `endStep`, which calls them as `step` does.
   */
  canRunSync(cpu: Cpu): boolean {
    return (
      this.syncAllowed &&
      this.choices !== null &&
      this.stopping === null &&
      this.stepping === cpu &&
      (this.syncCpu === null || this.syncCpu === cpu) &&
      syncTwinsEnabled()
    );
  }

  /**
   * Run `fn` (a twin) as part of `cpu`'s current task: its step boundaries
   * go to `yieldOp`, which steps the machine inline until this task's turn
   * comes back — so the run takes exactly the steps, choices and interrupts
   * the generators would have. Call only when `canRunSync(cpu)`.
   */
  runSync<R>(cpu: Cpu, fn: () => R): R {
    const prevCpu = this.syncCpu;
    const prevTask = this.syncTask;
    const prevHost = setSyncHost(this);
    this.syncCpu = cpu;
    this.syncTask = cpu.tasks[cpu.tasks.length - 1]!;
    this.syncStats.regions++;
    try {
      return fn();
    } catch (e) {
      if (e instanceof RunStopped) cpu.stoppedInSync = true;
      throw e;
    } finally {
      this.syncCpu = prevCpu;
      this.syncTask = prevTask;
      setSyncHost(prevHost);
    }
  }

  private stop(status: StopStatus): RunStopped {
    this.stopping = new RunStopped(status);
    this.inPlaceOk = false;
    return this.stopping;
  }

  /**
   * A step boundary inside a sync region that could not be taken in place:
   * end the step as `step` does when a task yields, then run the loop of
   * `run` until the scheduler picks this CPU with the region's task
   * innermost, and begin that step (returning resumes the twin).
   */
  yieldOp(op: unknown): void {
    const cpu = this.syncCpu!;
    const task = this.syncTask!;
    const choices = this.choices!;
    // A `finally` of the model's code running while a stop unwinds it: the
    // generators would never have resumed, so its step is not taken.
    if (this.stopping !== null) throw this.stopping;
    this.syncStats.yields++;
    this.endStep(cpu, op as OpKind);
    for (;;) {
      this.inPlaceOk = this.hooks.length === 0;
      if (this.abortRequested) throw this.stop("aborted");
      if (this.steps >= this.limit) throw this.stop("max-steps");
      const id = this.pick(choices);
      if (id === ABORT) throw this.stop("aborted");
      if (id < 0) throw this.stop("deadlock");
      const next = this.cpus[id]!;
      if (next === cpu && cpu.tasks[cpu.tasks.length - 1] === task) {
        this.beginStep(cpu, choices);
        // An interrupt delivered now runs first, in this same step.
        if (cpu.tasks[cpu.tasks.length - 1] === task) return;
        this.advance(cpu);
      } else {
        this.step(next, choices);
      }
    }
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
    const steps = this.steps + 1;
    if (steps >= this.limit) return false;
    const tb = this.tb + this.tbTicksPerStep;
    if ((cpu.externalPending || cpu.readDec(tb) < 0) && cpu.ee) return false;
    this.steps = steps;
    this.tb = tb;
    cpu.waitUntil = null;
    return true;
  }

  private result(status: RunResult["status"]): RunResult {
    return { status, steps: this.steps, unfinished: this.unfinished() };
  }

  /**
   * One step of `cpu`: offer a pending asynchronous interrupt (MSR[EE]=1) to
   * Choices, then advance the innermost task to its next yield.
   */
  step(cpu: Cpu, choices: Choices): void {
    this.beginStep(cpu, choices);
    this.advance(cpu);
  }

  /** The start of a step: offer a pending asynchronous interrupt. */
  private beginStep(cpu: Cpu, choices: Choices): void {
    cpu.waitUntil = null;
    if ((cpu.externalPending || cpu.readDec(this.tb) < 0) && cpu.ee)
      this.offerInterrupt(cpu, choices);
  }

  /** The rest of a step: the innermost task runs to its next yield. */
  private advance(cpu: Cpu): void {
    const task = cpu.tasks[cpu.tasks.length - 1];
    if (task === undefined) throw new Error(`CPU ${cpu.id} has no task`);
    const outer = this.stepping;
    this.stepping = cpu;
    let r: IteratorResult<OpKind, void>;
    try {
      r = task.next();
    } finally {
      this.stepping = outer;
    }
    // A generator's `finally` yielded while a stop unwound a sync region.
    if (this.stopping !== null) throw this.stopping;
    if (r.done === true) {
      cpu.tasks.pop();
      if (cpu.tasks.length === 0) this.active.splice(this.active.indexOf(cpu), 1);
      this.endStep(cpu, -1);
    } else {
      this.endStep(cpu, r.value);
    }
  }

  /** The end of a step: count it, advance the timebase, tell the hooks. */
  private endStep(cpu: Cpu, next: OpKind | -1): void {
    if (next !== -1) cpu.pending.kind = next;
    this.steps++;
    this.tb += this.tbTicksPerStep;
    if (this.hooks.length !== 0) for (const h of this.hooks) h(this, cpu, next);
  }

  private offerInterrupt(cpu: Cpu, choices: Choices): void {
    // External before decrementer: the architected priority order.
    const external = cpu.externalPending;
    if (!choices.deliverInterrupt(cpu.id, external ? "external" : "decrementer")) return;
    const vector = external ? VEC.EXTERNAL : VEC.DECREMENTER;
    // SIMPLIFICATION: delivery consumes an external assertion (edge-triggered).
    if (external) cpu.externalPending = false;
    deliverInterrupt(cpu, vector, cpu.nia);
    const handler = this.interruptEntry?.(this, cpu, vector) ?? null;
    if (handler !== null) cpu.tasks.push(handler);
  }

  // ----------------------------------------------- TLB, icache, page tables

  /**
   * `tlbiel` (isa.md §12.1): invalidate matching entries in this CPU's TLB only.
   * LPID comes from LPIDR.
   */
  tlbiel(cpu: Cpu, rb: bigint, rs: bigint, ric: number, prs: boolean, r: boolean): number {
    this.footprint?.tlb(cpu.id, true);
    const t = decodeTlbi(rb, rs, ric, prs, r, cpu.lpidr, TLBI);
    if (t === null || cpu.tlb === null) return 0;
    return cpu.tlb.invalidate(t);
  }

  /**
   * `tlbie` (isa.md §12.1): invalidate matching entries in every CPU's TLB.
   * SIMPLIFICATION: the invalidation is performed everywhere at once, at issue;
   * `tlbsync; ptesync` completion is not needed for it to take effect.
   */
  tlbie(_cpu: Cpu, rb: bigint, rs: bigint, ric: number, prs: boolean, r: boolean): number {
    this.footprint?.tlb(-1, true);
    const t = decodeTlbi(rb, rs, ric, prs, r, null, TLBI);
    if (t === null) return 0;
    let n = 0;
    for (const c of this.cpus) if (c.tlb !== null) n += c.tlb.invalidate(t);
    return n;
  }

  /**
   * `ptesync` (mm-primitives.md §11): this CPU's earlier page-table stores
   * become visible to its own table walks.
   */
  ptesync(cpu: Cpu): void {
    cpu.unsyncedPte.clear();
  }

  /** `isync`: context synchronisation; drops this CPU's stale icache lines. */
  isync(cpu: Cpu): void {
    this.footprint?.icache(cpu.id, true);
    cpu.icache?.contextSynchronize();
  }

  /** `icbi` at real address `pa`: marks the line stale in every CPU's icache (broadcast). */
  icbi(pa: number): void {
    this.footprint?.icache(-1, true);
    for (const c of this.cpus) c.icache?.markStale(pa);
  }

  /**
   * Store a page-table entry (big-endian) at real address `pa` on behalf of
   * `cpu`. Other CPUs' walkers see it at once; `cpu`'s own walker sees the
   * old value until its next `ptesync` (the architecture only guarantees
   * visibility to table walks after ptesync, mm-primitives.md §11).
   */
  storePte(cpu: Cpu, pa: number, value: bigint): void {
    this.footprint?.mem(pa, 8, true);
    const unsynced = cpu.unsyncedPte;
    if (!unsynced.has(pa)) {
      unsynced.remember(pa, this.mem.readBe32(pa), this.mem.readBe32(pa + 4));
    }
    this.mem.writeBe64(pa, value);
  }

  /** Read a page-table entry from memory (what a load sees). */
  loadPte(pa: number): bigint {
    this.footprint?.mem(pa, 8, false);
    return this.mem.readBe64(pa);
  }

  // ---------------------------------------------------------- reservations

  /** CPUs holding a load-and-reserve reservation (stores check this cheaply). */
  reservationCount = 0;

  /** `lwarx` & co. by `cpu`: reserve `size` bytes at real address `pa` (replacing its old one). */
  reserve(cpu: Cpu, pa: number, size: number): void {
    if (cpu.reservation < 0) this.reservationCount++;
    cpu.reservation = pa;
    cpu.reservationSize = size;
  }

  /** Drop `cpu`'s reservation; returns whether it held one for exactly (pa, size). */
  takeReservation(cpu: Cpu, pa: number, size: number): boolean {
    if (cpu.reservation < 0) return false;
    const ok = cpu.reservation === pa && cpu.reservationSize === size;
    cpu.reservation = -1;
    this.reservationCount--;
    return ok;
  }

  /** A store by `by` to real bytes pa..pa+size-1 clears other CPUs' overlapping reservations. */
  clearReservations(by: Cpu, pa: number, size: number): void {
    for (const c of this.cpus) {
      if (c === by || c.reservation < 0) continue;
      if (pa < c.reservation + c.reservationSize && c.reservation < pa + size) {
        c.reservation = -1;
        this.reservationCount--;
      }
    }
  }

  /** Write PIDR (the address-space switch; the caller yields SWITCH_MM first). */
  setPidr(cpu: Cpu, pid: number): void {
    cpu.pidr = pid >>> 0;
  }
}

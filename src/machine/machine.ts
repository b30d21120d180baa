import type { Choices } from "../util/choices.ts";
import * as cache from "./cache-ops.ts";
import { Cpu } from "./cpu.ts";
import type { FootprintSink } from "./footprint.ts";
import { Trampoline } from "./frames.ts";
import { Icache } from "./icache.ts";
import type { InterruptEntry } from "./interrupts.ts";
import { PhysMemory } from "./memory.ts";
import { HashMmu } from "./mmu/hash.ts";
import type { Task } from "./ops.ts";
import * as resv from "./reservations.ts";
import { RunLoop, type RunOptions, type RunResult, type StepHook } from "./run-loop.ts";
import { Tlb } from "./tlb.ts";
import * as tlbOps from "./tlb-ops.ts";

export type { InterruptEntry } from "./interrupts.ts";
export type { RunOptions, RunResult, StepHook } from "./run-loop.ts";

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

/**
 * The simulated SMP machine: CPUs, sparse physical memory, per-CPU TLBs and
 * icaches (created lazily, so idle CPUs cost little), and the stepping loop
 * (architecture.md §3): each step advances one CPU's task to its next yield,
 * the CPU chosen by `Choices` whenever more than one is runnable.
 *
 * This class is the machine's state and its one interface; what it does is
 * in a file per concern: the run loop (./run-loop.ts), how a task's frames
 * are resumed (./frames.ts), interrupt offer and delivery
 * (./interrupts.ts), TLB and page-table operations (./tlb-ops.ts), icache
 * operations (./cache-ops.ts), reservations (./reservations.ts).
 */
export class Machine {
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
  /**
   * Told of every instruction the interpreter fetches while it interleaves
   * (a checker watching what other CPUs execute): the CPU, the address as
   * its 4 KiB page and the offset in it (no address is built unless the
   * observer wants it), the word and, for a prefixed instruction, its suffix
   * (else 0). Null: nobody.
   */
  fetchObserver:
    | ((cpu: number, page: bigint, offset: number, word: number, suffix: number) => void)
    | null = null;
  /** CPUs holding a load-and-reserve reservation (stores check this cheaply). */
  reservationCount = 0;
  /** Resumes the CPUs' frames; call objects of the model's functions detach onto it. */
  readonly trampoline = new Trampoline();
  private readonly loop: RunLoop;

  constructor(config: MachineConfig) {
    if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > 2048) {
      throw new RangeError(`Machine: cpus must be 1..2048, got ${config.cpus}`);
    }
    this.mem = new PhysMemory(config.memoryBytes);
    this.pageSize = config.pageSize ?? 65536;
    this.mmu = config.mmu ?? "radix";
    this.tbTicksPerStep = config.tbTicksPerStep ?? 512;
    this.loop = new RunLoop(this);
    const cpus: Cpu[] = [];
    for (let i = 0; i < config.cpus; i++) {
      const cpu = new Cpu(i);
      cpu.stepper = this.loop;
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
      c.reporter = this;
      c.cpuId = cpu.id;
      cpu.icache = c;
    }
    return c;
  }

  // ---------------------------------------------------------------- stepping

  /** Give `cpu` a task (it must be idle). */
  spawn(cpuId: number, task: Task): void {
    this.loop.spawn(this.cpu(cpuId), task);
  }

  /** Number of step hooks registered (a snapshot of the machine must have none). */
  get stepHookCount(): number {
    return this.loop.hookCount;
  }

  /** Register an observer; returns a function that removes it. No hooks = no cost. */
  addStepHook(hook: StepHook): () => void {
    return this.loop.addStepHook(hook);
  }

  /** Is the CPU able to step now (has a task, online, not blocked)? */
  isRunnable(cpu: Cpu): boolean {
    return this.loop.isRunnable(cpu);
  }

  /** Ids of runnable CPUs, ascending (a fresh array). */
  runnable(): number[] {
    return this.loop.runnable();
  }

  /** Number of CPUs with unfinished tasks (cheap; for fast paths that run alone). */
  get activeCount(): number {
    return this.loop.activeCount;
  }

  /** Ids of CPUs with unfinished tasks. */
  unfinished(): number[] {
    return this.loop.unfinished();
  }

  /**
   * Run until every task finishes, no CPU can run (deadlock), or `maxSteps`
   * more steps were taken. When exactly one CPU is runnable, Choices is not
   * consulted (nothing is recorded): the run is the same either way. A run
   * that stops leaves its tasks suspended; the next `run` continues them.
   */
  run(choices: Choices, opts: RunOptions = {}): RunResult {
    return this.loop.run(choices, opts);
  }

  /** End the current run before its next step (a step hook's verdict): `run` returns "aborted". */
  abort(): void {
    this.loop.abort();
  }

  /**
   * One step of `cpu`: offer a pending asynchronous interrupt (MSR[EE]=1) to
   * Choices, then advance the innermost task to its next yield.
   */
  step(cpu: Cpu, choices: Choices): void {
    this.loop.step(cpu, choices);
  }

  /** See RunLoop.stepInPlace (the CPUs call their run loop directly). */
  stepInPlace(cpu: Cpu): boolean {
    return this.loop.stepInPlace(cpu);
  }

  // ----------------------------------------------- TLB, icache, page tables

  /** `tlbiel`: invalidate matching entries in this CPU's TLB only (./tlb-ops.ts). */
  tlbiel(cpu: Cpu, rb: bigint, rs: bigint, ric: number, prs: boolean, r: boolean): number {
    return tlbOps.tlbiel(this, cpu, rb, rs, ric, prs, r);
  }

  /** `tlbie`: invalidate matching entries in every CPU's TLB (./tlb-ops.ts). */
  tlbie(_cpu: Cpu, rb: bigint, rs: bigint, ric: number, prs: boolean, r: boolean): number {
    return tlbOps.tlbie(this, rb, rs, ric, prs, r);
  }

  /** `ptesync`: this CPU's earlier page-table stores become visible to its own walks. */
  ptesync(cpu: Cpu): void {
    tlbOps.ptesync(cpu);
  }

  /** `isync`: context synchronisation; drops this CPU's stale icache lines. */
  isync(cpu: Cpu): void {
    cache.isync(this, cpu);
  }

  /** `icbi` at real address `pa`: marks the line stale in every CPU's icache (broadcast). */
  icbi(pa: number): void {
    cache.icbi(this, pa);
  }

  /** Store a page-table entry at real address `pa` on behalf of `cpu` (./tlb-ops.ts). */
  storePte(cpu: Cpu, pa: number, value: bigint): void {
    tlbOps.storePte(this, cpu, pa, value);
  }

  /** Read a page-table entry from memory (what a load sees). */
  loadPte(pa: number): bigint {
    return tlbOps.loadPte(this, pa);
  }

  /** Write PIDR (the address-space switch; the caller yields SWITCH_MM first). */
  setPidr(cpu: Cpu, pid: number): void {
    tlbOps.setPidr(cpu, pid);
  }

  // ---------------------------------------------------------- reservations

  /** `lwarx` & co. by `cpu`: reserve `size` bytes at real address `pa` (replacing its old one). */
  reserve(cpu: Cpu, pa: number, size: number): void {
    resv.reserve(this, cpu, pa, size);
  }

  /** Drop `cpu`'s reservation; returns whether it held one for exactly (pa, size). */
  takeReservation(cpu: Cpu, pa: number, size: number): boolean {
    return resv.takeReservation(this, cpu, pa, size);
  }

  /** A store by `by` to real bytes pa..pa+size-1 clears other CPUs' overlapping reservations. */
  clearReservations(by: Cpu, pa: number, size: number): void {
    resv.clearReservations(this, by, pa, size);
  }
}

import type { Icache } from "./icache.ts";
import { PendingOp, type Task } from "./ops.ts";
import { MSR_DR, MSR_EE, MSR_HI_HV, MSR_HI_SF, MSR_IR, MSR_PR } from "./registers.ts";
import type { Tlb } from "./tlb.ts";

/** Index of each 64-bit SPR in `Cpu.spr`. */
export const Spr = {
  LR: 0,
  CTR: 1,
  NIA: 2,
  CIA: 3,
  SRR0: 4,
  SRR1: 5,
  DAR: 6,
  SPRG0: 7,
  SPRG1: 8,
  SPRG2: 9,
  SPRG3: 10,
  HSPRG0: 11,
  HSPRG1: 12,
  HSRR0: 13,
  HSRR1: 14,
  PTCR: 15,
  LPCR: 16,
  HRMOR: 17,
} as const;
const SPR_COUNT = 18;

/** What a CPU's tasks ask whether a step boundary can be taken without yielding (the run loop). */
export interface InPlaceStepper {
  stepInPlace(cpu: Cpu): boolean;
}

/**
 * One hardware thread's architected state plus its stepping state.
 * 64-bit registers live in BigUint64Arrays; the MSR is kept as two 32-bit
 * halves so the hot checks (PR, IR, DR, EE) are plain number tests, with
 * the bigint view behind `msr`. Registers of 32 bits or less (CR, XER,
 * DSISR, PIDR, LPIDR, PIR) are numbers.
 */
export class Cpu {
  readonly id: number;
  readonly gpr = new BigUint64Array(32);
  readonly spr = new BigUint64Array(SPR_COUNT);
  cr = 0;
  /** XER: SO 0x8000_0000, OV 0x4000_0000, CA 0x2000_0000, OV32 0x80000, CA32 0x40000, byte count low 7 bits. */
  xer = 0;
  msrHi = 0;
  msrLo = 0;
  dsisr = 0;
  pidr = 0;
  lpidr = 0;
  /** Processor identification register. */
  readonly pir: number;
  /**
   * The 64 VSX registers, 16 bytes each, stored as the little-endian image of
   * the 128-bit value: byte 0 is the least significant (ISA byte element 15),
   * `vsr64[2n + 1]` is doubleword element 0 (the FPR half of VSRs 0..31).
   */
  readonly vsr = new Uint8Array(64 * 16);
  /** SPRs the machine keeps no dedicated state for (TAR, VRSAVE, DSCR, AMR, PPR), by number. */
  readonly sprMisc = new Map<number, bigint>();
  /** VSCR (vector status and control: SAT, NJ). */
  vscr = 0;
  /** FPSCR (only moved, never computed: no floating-point arithmetic is modelled). */
  fpscr = 0n;
  /** The load-and-reserve reservation: real address of the reserved bytes (-1 when none) and their length. */
  reservation = -1;
  reservationSize = 0;
  /** DEC as last written, and the timebase value at that write. */
  decValue = 0x7fff_ffff;
  decWrittenAt = 0;

  // ---- stepping state ----
  /** False when offline/halted: never runnable. */
  online = true;
  /** Task stack: the current task at the end; interrupt handlers push above it. */
  readonly tasks: Task[] = [];
  /**
   * Frame stack (./frames.ts): the tasks and, above each, the calls of its
   * code that are suspended across a step, innermost last — the one a step
   * resumes.
   */
  readonly frames: Task[] = [];
  /** When set, the CPU is blocked until this returns true. */
  waitUntil: (() => boolean) | null = null;
  /** The operation the CPU yielded last, i.e. the one it performs next. */
  readonly pending = new PendingOp();
  /** External interrupt line asserted. */
  externalPending = false;
  /**
   * The kernel task whose code this CPU ran last (`current`, as the kernel
   * model's function calls note it; opaque to the machine): where a checker
   * finds the call stack of a step.
   */
  kernelTask: unknown = null;
  /** The machine's run loop, for its single-CPU fast path (null for a CPU outside a machine). */
  stepper: InPlaceStepper | null = null;

  // ---- translation and caches (TLB and icache lazy: idle CPUs own none) ----
  tlb: Tlb | null = null;
  icache: Icache | null = null;
  /**
   * Page-table stores by this CPU that its own walker may not see until its
   * next ptesync: real address → the value its walker still sees.
   */
  readonly unsyncedPte = new UnsyncedPtes();

  constructor(id: number) {
    this.id = id;
    this.pir = id;
  }

  get msr(): bigint {
    return (BigInt(this.msrHi >>> 0) << 32n) | BigInt(this.msrLo >>> 0);
  }
  set msr(v: bigint) {
    this.msrHi = Number((v >> 32n) & 0xffff_ffffn);
    this.msrLo = Number(v & 0xffff_ffffn);
  }

  get pr(): boolean {
    return (this.msrLo & MSR_PR) !== 0;
  }
  get ir(): boolean {
    return (this.msrLo & MSR_IR) !== 0;
  }
  get dr(): boolean {
    return (this.msrLo & MSR_DR) !== 0;
  }
  get ee(): boolean {
    return (this.msrLo & MSR_EE) !== 0;
  }
  get hv(): boolean {
    return (this.msrHi & MSR_HI_HV) !== 0;
  }
  get sf(): boolean {
    return (this.msrHi & MSR_HI_SF) !== 0;
  }

  get lr(): bigint {
    return this.spr[Spr.LR]!;
  }
  set lr(v: bigint) {
    this.spr[Spr.LR] = v;
  }
  get ctr(): bigint {
    return this.spr[Spr.CTR]!;
  }
  set ctr(v: bigint) {
    this.spr[Spr.CTR] = v;
  }
  get nia(): bigint {
    return this.spr[Spr.NIA]!;
  }
  set nia(v: bigint) {
    this.spr[Spr.NIA] = v;
  }
  get cia(): bigint {
    return this.spr[Spr.CIA]!;
  }
  set cia(v: bigint) {
    this.spr[Spr.CIA] = v;
  }
  get srr0(): bigint {
    return this.spr[Spr.SRR0]!;
  }
  set srr0(v: bigint) {
    this.spr[Spr.SRR0] = v;
  }
  get srr1(): bigint {
    return this.spr[Spr.SRR1]!;
  }
  set srr1(v: bigint) {
    this.spr[Spr.SRR1] = v;
  }
  get hsrr0(): bigint {
    return this.spr[Spr.HSRR0]!;
  }
  set hsrr0(v: bigint) {
    this.spr[Spr.HSRR0] = v;
  }
  get hsrr1(): bigint {
    return this.spr[Spr.HSRR1]!;
  }
  set hsrr1(v: bigint) {
    this.spr[Spr.HSRR1] = v;
  }
  get dar(): bigint {
    return this.spr[Spr.DAR]!;
  }
  set dar(v: bigint) {
    this.spr[Spr.DAR] = v;
  }
  get ptcr(): bigint {
    return this.spr[Spr.PTCR]!;
  }
  set ptcr(v: bigint) {
    this.spr[Spr.PTCR] = v;
  }
  get lpcr(): bigint {
    return this.spr[Spr.LPCR]!;
  }
  set lpcr(v: bigint) {
    this.spr[Spr.LPCR] = v;
  }

  /** DEC at timebase `tb`: counts down one per tick from the last write (32-bit, signed). */
  readDec(tb: number): number {
    return (this.decValue - (tb - this.decWrittenAt)) | 0;
  }
  writeDec(tb: number, value: number): void {
    this.decValue = value | 0;
    this.decWrittenAt = tb;
  }

  /** Has a task that has not finished. */
  get busy(): boolean {
    return this.tasks.length !== 0;
  }
}

/**
 * A CPU's page-table stores not yet ordered by ptesync (few at a time): real
 * address → the value its own walker still sees. Arrays, emptied in place,
 * so a store/ptesync pair allocates nothing.
 */
export class UnsyncedPtes {
  // Slots 0..n-1 are live; the arrays keep their capacity (setting length 0
  // would free their storage, and the next store reallocate it). Old values
  // are kept as their big-endian words, numbers: no bigint per table store.
  private readonly pas: number[] = [];
  private readonly his: number[] = [];
  private readonly los: number[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  private slot(pa: number): number {
    for (let i = 0; i < this.n; i++) if (this.pas[i] === pa) return i;
    return -1;
  }

  /** Was `pa` stored to since the last ptesync? */
  has(pa: number): boolean {
    return this.slot(pa) >= 0;
  }

  /** The big-endian word at `pa` (4-byte aligned) as the walker still sees it, if unsynced. */
  word(pa: number): number | undefined {
    const half = pa & 7;
    const i = this.slot(pa - half);
    if (i < 0) return undefined;
    return half === 0 ? this.his[i] : this.los[i];
  }

  /** Remember the old entry (its high and low words) for `pa`; only for a `pa` not remembered yet. */
  remember(pa: number, hi: number, lo: number): void {
    this.pas[this.n] = pa;
    this.his[this.n] = hi;
    this.los[this.n] = lo;
    this.n++;
  }

  clear(): void {
    this.n = 0;
  }
}

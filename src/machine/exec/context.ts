/**
 * The execution context the instruction handlers run against: one CPU's
 * registers seen through fast typed-array views, the current instruction's
 * address, the data-access fast path and the interrupt helpers that every
 * handler shares (QEMU's DisasContext + helpers, for an interpreter).
 *
 * GPRs stay in the Cpu's BigUint64Array (64-bit arithmetic there is cheap);
 * the same buffer viewed as Uint32Array gives the low/high words as numbers
 * for addresses, compares and flags, so the load/store path converts nothing.
 */
import { load, store, translate } from "../access.ts";
import type { Cpu } from "../cpu.ts";
import { deliverInterrupt, programInterrupt, raiseFault } from "../exceptions.ts";
import type { Machine } from "../machine.ts";
import { Access, type Fault } from "../mmu/fault.ts";
import { VEC } from "../registers.ts";

/** A predecoded instruction: returns words to advance (> 0) or JUMP / CTX / STOP. */
export type Handler = (x: ExecContext) => number;

/** Continue at `x.npc` (same translation context). */
export const JUMP = -1;
/** An interrupt was taken or the context changed: continue at `cpu.nia`, revalidating caches. */
export const CTX = -2;
/** The run ends (`x.stopReason` says why). */
export const STOP = -3;
/** Continue at word `x.nidx` of the current page (a branch within the page). */
export const LOCAL = -4;
/** Continue with the next (4-byte) instruction, revalidating translation caches. */
export const REVALIDATE = -5;

/** What an instruction raised, as the user-mode layer sees it before delivery. */
export interface RaisedInterrupt {
  readonly vector: number;
  /** Address of the instruction that raised it. */
  readonly cia: bigint;
  /** SRR1 cause bits (program-interrupt reason, ISI cause ...). */
  readonly srr1Cause: number;
  /** The faulting data address (DSI, data segment, alignment). */
  readonly dar?: bigint;
  readonly fault?: Fault;
}

/** Hooks a user-mode emulation (src/linux-user) installs in place of a kernel. */
export interface GuestHooks {
  /** `sc`/`scv` executed: emulate the system call; return 1 to continue, or STOP. */
  syscall?(x: ExecContext, vectored: boolean): number;
  /** An interrupt the guest raised; return true to take it over (the run stops). */
  interrupt?(x: ExecContext, info: RaisedInterrupt): boolean;
}

/** Size of the direct-mapped data-translation caches (entries, a power of two). */
const DCACHE = 256;
const PAGE = 4096;

/**
 * A per-CPU cache of data translations, one 4 KiB page per entry, holding the
 * page's memory chunk. Valid while `gen` matches the context's generation,
 * which is bumped whenever the TLB, MSR, PIDR/LPIDR or memory chunks may have
 * changed (after every yield and context-changing instruction).
 */
export class DataPageCache {
  readonly tagLo = new Int32Array(DCACHE).fill(-1);
  readonly tagHi = new Uint32Array(DCACHE);
  readonly gen = new Int32Array(DCACHE).fill(-1);
  readonly view: (DataView | null)[] = new Array<DataView | null>(DCACHE).fill(null);
  /** Real address of each cached page. */
  readonly pa = new Float64Array(DCACHE);
}

export class ExecContext {
  readonly m: Machine;
  readonly cpu: Cpu;
  readonly g: BigUint64Array;
  readonly g32: Uint32Array;
  /** SPRs (LR, CTR ...) as numbers. */
  readonly spr32: Uint32Array;
  /** Scratch: t[0] is the effective address, t[1] a 64-bit operand/result. */
  readonly t = new BigUint64Array(4);
  readonly t32: Uint32Array;
  /** VSX registers: bytes, halfwords, words, doublewords (little-endian images). */
  readonly v8: Uint8Array;
  readonly v16: Uint16Array;
  readonly v32: Uint32Array;
  readonly v64: BigUint64Array;
  /** ISA 3.1 (POWER10): prefixed and other v3.1 instructions are legal. */
  readonly power10: boolean;
  readonly hooks: GuestHooks;

  /** EA of the current 4 KiB instruction page, and its halves. */
  pageBase = 0n;
  pageLo = 0;
  pageHi = 0;
  /** Word index of the current instruction in its page. */
  idx = 0;
  /** Next instruction address (JUMP), or word index (LOCAL). */
  npc = 0n;
  nidx = 0;
  /** Instructions executed by the current run (blocks add theirs here). */
  n = 0;
  /** Instruction count a block must not run past (the run's next checkpoint). */
  limit = 0;
  /** Why the run stopped (STOP). */
  stopReason: string | null = null;
  /** Exit status the stop carries (exit syscall, signal). */
  exitStatus = 0;

  /** Generation of the data fast path; bumped to drop every cached page. */
  gen = 0;
  /** Data translation caches for loads and stores (the block translator probes them inline). */
  readonly loads = new DataPageCache();
  readonly stores = new DataPageCache();
  private snapTlbGen = -1;
  private snapMsrLo = -1;
  private snapMsrHi = -1;
  private snapPid = -1;
  private snapLpid = -1;
  private snapMemGen = -1;
  private snapTlb: unknown = null;

  constructor(m: Machine, cpu: Cpu, power10: boolean, hooks: GuestHooks = {}) {
    this.m = m;
    this.cpu = cpu;
    this.g = cpu.gpr;
    this.g32 = new Uint32Array(cpu.gpr.buffer, cpu.gpr.byteOffset, 64);
    this.spr32 = new Uint32Array(cpu.spr.buffer, cpu.spr.byteOffset, cpu.spr.length * 2);
    this.t32 = new Uint32Array(this.t.buffer);
    const vb = cpu.vsr.buffer;
    this.v8 = cpu.vsr;
    this.v16 = new Uint16Array(vb, cpu.vsr.byteOffset, 64 * 8);
    this.v32 = new Uint32Array(vb, cpu.vsr.byteOffset, 64 * 4);
    this.v64 = new BigUint64Array(vb, cpu.vsr.byteOffset, 64 * 2);
    this.power10 = power10;
    this.hooks = hooks;
  }

  /** Address of the current instruction. */
  cia(): bigint {
    return this.pageBase + BigInt(this.idx * 4);
  }

  /**
   * Drop cached data translations if anything they depend on may have changed
   * (called after each yield and after context-changing instructions).
   */
  revalidate(): void {
    const cpu = this.cpu;
    const tlb = cpu.tlb;
    const tg = tlb === null ? -1 : tlb.generation;
    if (
      tlb !== this.snapTlb ||
      tg !== this.snapTlbGen ||
      cpu.msrLo !== this.snapMsrLo ||
      cpu.msrHi !== this.snapMsrHi ||
      cpu.pidr !== this.snapPid ||
      cpu.lpidr !== this.snapLpid ||
      this.m.mem.generation !== this.snapMemGen
    ) {
      this.gen++;
      this.snapTlb = tlb;
      this.snapTlbGen = tg;
      this.snapMsrLo = cpu.msrLo;
      this.snapMsrHi = cpu.msrHi;
      this.snapPid = cpu.pidr;
      this.snapLpid = cpu.lpidr;
      this.snapMemGen = this.m.mem.generation;
    }
  }

  /** Forget every cached data translation. */
  flush(): void {
    this.gen++;
    this.snapTlbGen = -2;
  }

  // ------------------------------------------------------------- interrupts

  /** Offer an interrupt to the hooks; true when they took it (the run stops). */
  private offer(info: RaisedInterrupt): boolean {
    const h = this.hooks.interrupt;
    if (h === undefined) return false;
    this.cpu.nia = info.cia;
    return h(this, info);
  }

  /** A translation fault of the current instruction's data access → DSI / segment / MCE. */
  fault(f: Fault): number {
    const cia = this.cia();
    const vector =
      f.kind === "dsi"
        ? VEC.DATA_STORAGE
        : f.kind === "dseg"
          ? VEC.DATA_SEGMENT
          : VEC.MACHINE_CHECK;
    if (this.offer({ vector, cia, srr1Cause: 0, dar: f.ea, fault: f })) return STOP;
    raiseFault(this.cpu, f, cia);
    return CTX;
  }

  /** Program interrupt (0x700) with an SRR1 reason (SRR1_PROG*) for the current instruction. */
  program(reason: number): number {
    const cia = this.cia();
    if (this.offer({ vector: VEC.PROGRAM, cia, srr1Cause: reason })) return STOP;
    programInterrupt(this.cpu, cia, reason);
    return CTX;
  }

  /**
   * An illegal or unimplemented instruction. On a CPU with hypervisor state
   * (POWER7 and later, as QEMU models them) that is the Hypervisor Emulation
   * Assistance interrupt (0xE40, HSRR0/HSRR1), isa.md §15.
   * SIMPLIFICATION: HEIR (the instruction image) is not recorded.
   */
  illegal(): number {
    const cia = this.cia();
    if (this.offer({ vector: VEC.HV_EMU_ASSIST, cia, srr1Cause: 0 })) return STOP;
    deliverInterrupt(this.cpu, VEC.HV_EMU_ASSIST, cia, { hv: true });
    return CTX;
  }

  /**
   * Alignment interrupt (0x600) for a data access at `ea` (atomic access not
   * naturally aligned), or — `prefixedBoundary` — a prefixed instruction
   * crossing a 64-byte boundary (SRR1 PREFIXED | BOUNDARY, reg.h).
   */
  alignment(ea: bigint, prefixedBoundary: boolean): number {
    const cia = this.cia();
    const srr1Cause = prefixedBoundary ? 0x3000_0000 : 0;
    if (this.offer({ vector: VEC.ALIGNMENT, cia, srr1Cause, dar: ea })) return STOP;
    deliverInterrupt(this.cpu, VEC.ALIGNMENT, cia, { srr1Cause, dar: ea, dsisr: 0 });
    return CTX;
  }

  // ------------------------------------------------------------ data access
  // Every accessor takes the effective address from t[0] (t32[0] low, t32[1] high).

  private lookup(c: DataPageCache): DataView | null {
    const lo = this.t32[0]!;
    const pg = lo >>> 12;
    const i = pg & (DCACHE - 1);
    if (c.tagLo[i] === pg && c.tagHi[i] === this.t32[1] && c.gen[i] === this.gen) {
      this.lastPa = c.pa[i]!;
      return c.view[i]!;
    }
    return null;
  }

  /** Real page address of the last successful lookup/fill. */
  private lastPa = 0;

  /** Translate t[0]; on success fill the cache and return the chunk view, else null (fault raised). */
  private fill(c: DataPageCache, access: Access): DataView | number {
    const ea = this.t[0]!;
    const pa = translate(this.m, this.cpu, ea, access);
    if (typeof pa !== "number") return this.fault(pa);
    const mem = this.m.mem;
    const view = mem.chunkForWrite(pa - (pa & (PAGE - 1)));
    const lo = this.t32[0]!;
    const pg = lo >>> 12;
    const i = pg & (DCACHE - 1);
    c.tagLo[i] = pg;
    c.tagHi[i] = this.t32[1]!;
    c.gen[i] = this.gen;
    c.view[i] = view;
    c.pa[i] = pa - (pa & (PAGE - 1));
    this.lastPa = pa - (pa & (PAGE - 1));
    return view;
  }

  /** The chunk view for a `size`-byte load at t[0], or a handler result (fault). */
  private loadView(size: number): DataView | number {
    const v = this.lookup(this.loads);
    if (v !== null && (this.t32[0]! & (PAGE - 1)) + size <= PAGE) return this.noted(v, size, false);
    if ((this.t32[0]! & (PAGE - 1)) + size > PAGE) return NaN;
    return this.noted(this.fill(this.loads, Access.LOAD), size, false);
  }

  /** Report a fast-path access to the machine's footprint sink (a checker's), if any. */
  private noted(v: DataView | number, size: number, write: boolean): DataView | number {
    const fp = this.m.footprint;
    if (fp !== null && typeof v !== "number") {
      // A translation the fast path holds: this CPU's TLB only read (a fill reported its write).
      fp.tlb(this.cpu.id, false);
      fp.mem(this.lastPa + (this.t32[0]! & (PAGE - 1)), size, write);
    }
    return v;
  }

  private storeView(size: number): DataView | number {
    const off = this.t32[0]! & (PAGE - 1);
    if (off + size > PAGE) {
      if (this.m.reservationCount !== 0) this.clearReservationsSlow(size);
      return NaN;
    }
    let v: DataView | number | null = this.lookup(this.stores);
    if (v === null) v = this.fill(this.stores, Access.STORE);
    if (typeof v !== "number" && this.m.reservationCount !== 0) {
      this.m.clearReservations(this.cpu, this.lastPa + off, size);
    }
    return this.noted(v, size, true);
  }

  /** Load through the general path (page-crossing): a bigint, or a handler result. */
  private slowLoad(size: 1 | 2 | 4 | 8): bigint | number {
    const r = load(this.m, this.cpu, this.t[0]!, size);
    if (typeof r === "bigint") return r;
    return this.fault(r);
  }

  /** 1-byte load; returns the byte, or a negative handler result after a fault. */
  rd8(): number {
    const v = this.loadView(1);
    if (typeof v === "number") return v;
    return v.getUint8(this.t32[0]! & (PAGE - 1));
  }

  rd16(): number {
    const v = this.loadView(2);
    if (typeof v !== "number") return v.getUint16(this.t32[0]! & (PAGE - 1), true);
    if (!Number.isNaN(v)) return v;
    const r = this.slowLoad(2);
    return typeof r === "bigint" ? Number(r) : r;
  }

  rd32(): number {
    const v = this.loadView(4);
    if (typeof v !== "number") return v.getUint32(this.t32[0]! & (PAGE - 1), true);
    if (!Number.isNaN(v)) return v;
    const r = this.slowLoad(4);
    return typeof r === "bigint" ? Number(r) : r;
  }

  /** 8-byte load into t[1]; returns 0 on success or a negative handler result. */
  rd64(): number {
    const v = this.loadView(8);
    if (typeof v !== "number") {
      const off = this.t32[0]! & (PAGE - 1);
      this.t32[2] = v.getUint32(off, true);
      this.t32[3] = v.getUint32(off + 4, true);
      return 0;
    }
    if (!Number.isNaN(v)) return v;
    const r = this.slowLoad(8);
    if (typeof r === "number") return r;
    this.t[1] = r;
    return 0;
  }

  /** Store the low byte of `value`; returns 0 or a negative handler result. */
  wr8(value: number): number {
    const v = this.storeView(1);
    if (typeof v === "number") return v;
    v.setUint8(this.t32[0]! & (PAGE - 1), value);
    return 0;
  }

  wr16(value: number): number {
    const v = this.storeView(2);
    if (typeof v !== "number") {
      v.setUint16(this.t32[0]! & (PAGE - 1), value, true);
      return 0;
    }
    if (!Number.isNaN(v)) return v;
    return this.slowStore(2, BigInt(value & 0xffff));
  }

  wr32(value: number): number {
    const v = this.storeView(4);
    if (typeof v !== "number") {
      v.setUint32(this.t32[0]! & (PAGE - 1), value, true);
      return 0;
    }
    if (!Number.isNaN(v)) return v;
    return this.slowStore(4, BigInt(value >>> 0));
  }

  /** Store t[1] (8 bytes). */
  wr64(): number {
    const v = this.storeView(8);
    if (typeof v !== "number") {
      const off = this.t32[0]! & (PAGE - 1);
      v.setUint32(off, this.t32[2]!, true);
      v.setUint32(off + 4, this.t32[3]!, true);
      return 0;
    }
    if (!Number.isNaN(v)) return v;
    return this.slowStore(8, this.t[1]!);
  }

  private slowStore(size: 1 | 2 | 4 | 8, value: bigint): number {
    const f = store(this.m, this.cpu, this.t[0]!, size, value);
    return f === null ? 0 : this.fault(f);
  }

  /**
   * Translate t[0] for `access` without touching memory (dcbz, icbi, reservations):
   * the real address, or a negative handler result after a fault.
   */
  realAddress(access: Access): number {
    const pa = translate(this.m, this.cpu, this.t[0]!, access);
    if (typeof pa === "number") return pa;
    return this.fault(pa);
  }

  // ----------------------------------------------------------- reservations

  /**
   * A store by this CPU to t[0]..+size clears every other CPU's reservation
   * on an overlapping granule (Book II "Atomic Update Primitives").
   * SIMPLIFICATION: the granule is the reserved access itself (1..16 bytes),
   * not the implementation's 128-byte reservation granule.
   */
  private clearReservationsSlow(size: number): void {
    for (let i = 0; i < size; i++) {
      const ea = BigInt.asUintN(64, this.t[0]! + BigInt(i));
      const pa = translate(this.m, this.cpu, ea, Access.STORE);
      if (typeof pa === "number") this.m.clearReservations(this.cpu, pa, 1);
    }
  }
}

/**
 * Builds the handler of one instruction at predecode time, with its fields
 * read once: `w` the word (the suffix of a prefixed instruction), `prefix`
 * the prefix word (0 otherwise), `off` its byte offset in the 4 KiB page.
 * Returns null when the CPU does not implement it (→ illegal instruction).
 */
export type Builder = (w: number, prefix: number, off: number, power10: boolean) => Handler | null;

/** The record-form wrapper: run `h`, then set CR0 from GPR `r`. */
export function withCr0(h: Handler, r: number, record: boolean): Handler {
  if (!record) return h;
  return (x) => {
    const n = h(x);
    const hi = x.g32[2 * r + 1]! | 0;
    const c = hi < 0 ? 8 : (hi | x.g32[2 * r]!) !== 0 ? 4 : 2;
    const cpu = x.cpu;
    cpu.cr = ((cpu.cr & 0x0fff_ffff) | ((c | (cpu.xer >>> 31)) << 28)) >>> 0;
    return n;
  };
}

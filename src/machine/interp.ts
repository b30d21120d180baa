/**
 * The interpreter: runs guest instructions on one CPU inside a CPU task (a
 * generator, architecture.md §3). Fetch goes through the ITLB and the CPU's
 * icache into predecoded handlers (predecode.ts); data accesses go through
 * the MMU (exec/context.ts). When other CPUs have tasks, the task yields
 * before every shared-state operation (loads, stores, icbi, barriers, TLB
 * invalidations, PIDR writes) with the operation in `cpu.pending`, so the
 * scheduler interleaves CPUs at exactly those points; alone, it runs many
 * instructions per resumption and yields only every `quantum` instructions
 * (OpKind.INSN) so interrupts can be delivered.
 */
import { decodeEntry } from "../isa/powerpc/decode.ts";
import { disassembleInst } from "../isa/powerpc/disasm.ts";
import { ppcInst, ppcInstPrefix } from "../isa/powerpc/inst.ts";
import { translate } from "./access.ts";
import type { Cpu } from "./cpu.ts";
import { MSR_SE, raiseFault, traceInterrupt } from "./exceptions.ts";
import {
  CTX,
  ExecContext,
  type GuestHooks,
  JUMP,
  LOCAL,
  REVALIDATE,
  STOP,
} from "./exec/context.ts";
import { type TraceSnapshot, takeSnapshot, traceChanges } from "./interp-trace.ts";
import type { Machine } from "./machine.ts";
import { Access } from "./mmu/fault.ts";
import { OpKind, type Task } from "./ops.ts";
import { landed, type PredecodedPage, predecodeOf } from "./predecode.ts";
import { VEC } from "./registers.ts";

export type CpuModel = "power9" | "power10";

export interface GuestOptions {
  /** POWER10 (ISA v3.1, prefixed instructions) or POWER9 (v3.0). Default power10. */
  readonly cpuModel?: CpuModel;
  /** Stop (status "returned") when control reaches this address: the return sentinel in LR. */
  readonly stopAt?: bigint;
  /** Stop (status "budget") after this many instructions. */
  readonly maxInsns?: number;
  /**
   * "always": yield before every shared-state operation; "never": only every
   * `quantum` instructions; "auto" (default): like "always" while another CPU
   * has a task, else like "never".
   */
  readonly yieldMode?: "auto" | "always" | "never";
  /** Instructions between INSN yields when not interleaving. Default 65536. */
  readonly quantum?: number;
  /** User-mode emulation hooks (system calls, signals). */
  readonly hooks?: GuestHooks;
  /** Called with one line per executed instruction: address, disassembly, changed registers. */
  readonly trace?: (line: string) => void;
}

export type GuestStatus = "running" | "returned" | "stopped" | "budget";

const PAGE = 4096;
const SLOTS = PAGE / 4;
const FETCH_CACHE = 16;

/** One guest execution on one CPU; `task()` is what the machine steps. */
export class Guest {
  readonly m: Machine;
  readonly cpu: Cpu;
  readonly x: ExecContext;
  readonly options: GuestOptions;
  /** Instructions completed (an instruction that raised an interrupt counts). */
  insns = 0;
  status: GuestStatus = "running";
  private readonly fetchTag: bigint[] = new Array<bigint>(FETCH_CACHE).fill(-1n);
  private readonly fetchGen = new Int32Array(FETCH_CACHE).fill(-1);
  private readonly fetchPage: (PredecodedPage | null)[] = new Array<PredecodedPage | null>(
    FETCH_CACHE,
  ).fill(null);

  constructor(m: Machine, cpu: Cpu, options: GuestOptions = {}) {
    this.m = m;
    this.cpu = cpu;
    this.options = options;
    this.x = new ExecContext(
      m,
      cpu,
      (options.cpuModel ?? "power10") === "power10",
      options.hooks ?? {},
    );
  }

  /** Why the run stopped (exit, signal), when status is "stopped". */
  get stopReason(): string | null {
    return this.x.stopReason;
  }

  /**
   * Yield at every instruction with a shared-state operation? Always when a
   * checker observes footprints (every shared access must be a step it can
   * order), else when another CPU has a task.
   */
  private interleave(): boolean {
    const mode = this.options.yieldMode ?? "auto";
    return (
      mode === "always" ||
      (mode === "auto" && (this.m.activeCount > 1 || this.m.footprint !== null))
    );
  }

  /**
   * The predecoded page for instruction address `pc`: ITLB translation (a
   * 16-entry cache in front of it, valid for one context generation), or a
   * handler result after an instruction storage fault.
   */
  private pageFor(pc: bigint): PredecodedPage | number {
    const x = this.x;
    const base = pc & ~0xfffn;
    const i = Number((pc >> 12n) & BigInt(FETCH_CACHE - 1));
    if (this.fetchTag[i] === base && this.fetchGen[i] === x.gen) return this.fetchPage[i]!;
    const pa = translate(this.m, this.cpu, pc, Access.IFETCH);
    if (typeof pa !== "number") {
      const hook = x.hooks.interrupt;
      const vector =
        pa.kind === "isi"
          ? VEC.INST_STORAGE
          : pa.kind === "iseg"
            ? VEC.INST_SEGMENT
            : VEC.MACHINE_CHECK;
      this.cpu.nia = pc;
      if (hook?.(x, { vector, cia: pc, srr1Cause: pa.srr1, fault: pa }) === true) return STOP;
      raiseFault(this.cpu, pa, pc);
      return CTX;
    }
    const page = predecodeOf(this.m, this.cpu, x.power10).page(pa - (pa & (PAGE - 1)));
    this.fetchTag[i] = base;
    this.fetchGen[i] = x.gen;
    this.fetchPage[i] = page;
    return page;
  }

  private nextAfter(r: number, base: bigint, idx: number): bigint | null {
    return nextAfterResult(this.x, this.cpu, r, base, idx);
  }

  /**
   * An instruction at `cia` completed under MSR[SE] with `next` the address
   * of the next one: take the trace interrupt (Power ISA Book III "Trace
   * Interrupt"). None when the instruction itself raised an interrupt or
   * wrote the MSR (SE is clear then). The hooks see it first with `cpu.nia`
   * = `next` (what SRR0 takes); false when they took it over (the run stops).
   */
  private traceAfter(cia: bigint, next: bigint): boolean {
    const { cpu, x } = this;
    cpu.nia = next;
    if ((cpu.msrLo & MSR_SE) === 0) return true;
    const h = x.hooks.interrupt;
    if (h?.(x, { vector: VEC.TRACE, cia, srr1Cause: 0 }) === true) return false;
    traceInterrupt(cpu, next);
    x.revalidate();
    return true;
  }

  /** The task that runs the guest from `cpu.nia` until a stop condition. */
  task(): Task {
    return this.run();
  }

  private finish(status: GuestStatus, pc: bigint): void {
    this.status = status;
    this.cpu.nia = pc;
  }

  // Loop state shared between the generator and the plain-function slice.
  private pc = 0n;
  /** The instruction at `pc` already yielded for its shared-state operation. */
  private announced = false;
  private interleaving = false;
  private checkpoint = 0;
  private pendingKind = 0;
  private pendingEa = 0n;
  private pendingSize = 0;

  /**
   * The effective address and size of the access the instruction in `idx`
   * is about to make, for `cpu.pending` (0 when it is not a D/DS/X/DQ-form
   * access or a prefixed one).
   */
  private announce(page: PredecodedPage, idx: number): void {
    const w = page.words[idx]!;
    const prefixed = w >>> 26 === 1;
    const e = prefixed ? decodeEntry(w, page.suffixes[idx]!) : decodeEntry(w);
    this.pendingEa = 0n;
    this.pendingSize = 0;
    if (e === undefined || prefixed) return;
    const g = this.cpu.gpr;
    const ra = (w >>> 16) & 31;
    const base = ra === 0 ? 0n : g[ra]!;
    let ea: bigint | null = null;
    if (e.form === "D") ea = base + BigInt((w << 16) >> 16);
    else if (e.form === "DS") ea = base + BigInt(((w << 16) >> 16) & ~3);
    else if (e.form === "DQ") ea = base + BigInt(((w << 16) >> 16) & ~15);
    else if (e.form === "X") ea = base + g[(w >>> 11) & 31]!;
    if (ea === null) return;
    this.pendingEa = BigInt.asUintN(64, ea);
    this.pendingSize = accessSize(e.mnemonic);
  }

  private *run(): Task {
    const { cpu, x } = this;
    const limit = this.options.maxInsns ?? Number.POSITIVE_INFINITY;
    const quantum = this.options.quantum ?? 65536;
    x.revalidate();
    this.interleaving = this.interleave();
    this.checkpoint = Math.min(limit, this.insns + quantum);
    this.pc = cpu.nia;
    for (;;) {
      const why = this.slice();
      if (why === SLICE_DONE) return;
      const here = this.pc;
      cpu.nia = here;
      const p = cpu.pending;
      if (why === SLICE_CHECKPOINT) {
        if (this.insns >= limit) {
          this.finish("budget", here);
          return;
        }
        p.kind = OpKind.INSN;
        p.ea = 0n;
        p.size = 0;
      } else {
        p.kind = this.pendingKind as OpKind;
        p.ea = this.pendingEa;
        p.size = this.pendingSize;
      }
      p.object = null;
      yield p.kind;
      x.revalidate();
      this.interleaving = this.interleave();
      this.checkpoint = Math.min(limit, this.insns + quantum);
      // An interrupt delivered meanwhile moved the CPU elsewhere.
      if (cpu.nia !== here) {
        this.pc = cpu.nia;
        this.announced = false;
      } else {
        this.announced = why === SLICE_YIELD;
      }
    }
  }

  /**
   * Execute instructions from `this.pc` until the run ends (SLICE_DONE), the
   * instruction count reaches the checkpoint, or — when interleaving — an
   * instruction with a shared-state operation is next (SLICE_YIELD, kind in
   * `pendingKind`). A plain function, so the hot loop is not a generator.
   */
  private slice(): number {
    const { m, cpu, x } = this;
    const pre = predecodeOf(m, cpu, x.power10);
    const stopAt = this.options.stopAt ?? -1n;
    const trace = this.options.trace ?? null;
    const interleave = this.interleaving;
    const checkpoint = this.checkpoint;
    // Compiled blocks run only when nothing needs to see single instructions.
    const blocks = !interleave && trace === null;
    let snap: TraceSnapshot | null = null;
    x.n = this.insns;
    x.limit = checkpoint;
    let pc = this.pc;
    try {
      for (;;) {
        if (pc === stopAt) {
          this.finish("returned", pc);
          return SLICE_DONE;
        }
        const page = this.pageFor(pc);
        if (typeof page === "number") {
          if (page === STOP) {
            this.finish("stopped", cpu.nia);
            return SLICE_DONE;
          }
          x.revalidate();
          pc = cpu.nia;
          continue;
        }
        const base = pc & ~0xfffn;
        x.pageBase = base;
        x.pageLo = Number(base & 0xffff_ffffn);
        x.pageHi = Number(base >> 32n);
        let idx = Number(pc & 0xfffn) >>> 2;
        const stopIdx = (stopAt & ~0xfffn) === base ? Number(stopAt & 0xfffn) >>> 2 : -1;
        // MSR[SE]: one instruction at a time, each followed by a trace interrupt.
        const se = (cpu.msrLo & MSR_SE) !== 0;
        const useBlocks = blocks && !se;
        const fns = useBlocks ? page.fns : page.singles;
        const ops = page.ops;
        if (useBlocks) landed(m, cpu, pre, page, idx);
        for (;;) {
          if (x.n >= checkpoint) {
            pc = base + BigInt(idx * 4);
            return SLICE_CHECKPOINT;
          }
          let fn = fns[idx];
          if (fn === undefined) fn = pre.decode(m, cpu, page, idx);
          if (interleave && ops[idx] !== 0) {
            if (!this.announced) {
              pc = base + BigInt(idx * 4);
              this.pendingKind = ops[idx]!;
              this.announce(page, idx);
              return SLICE_YIELD;
            }
            this.announced = false;
          }
          x.idx = idx;
          if (interleave) {
            const fp = m.footprint;
            // The fetch: this CPU's icache, and the line it may fill from memory.
            if (fp !== null) {
              fp.icache(cpu.id, true);
              fp.mem(page.pa + idx * 4 - ((page.pa + idx * 4) % 128), 128, false);
            }
            const fo = m.fetchObserver;
            if (fo !== null) {
              const w = page.words[idx]!;
              fo(cpu.id, base, idx * 4, w, w >>> 26 === 1 ? page.suffixes[idx]! : 0);
            }
          }
          if (trace !== null) snap = takeSnapshot(x, snap);
          const r = fn(x);
          x.n++;
          if (trace !== null) trace(traceChanges(x, page, idx, snap!, disasmAt));
          if (se) {
            const next = this.nextAfter(r, base, idx);
            if (next === null) {
              this.finish("stopped", cpu.nia);
              return SLICE_DONE;
            }
            if (!this.traceAfter(base + BigInt(idx * 4), next)) {
              pc = next;
              this.finish("stopped", next);
              return SLICE_DONE;
            }
            pc = cpu.nia;
            if (this.interleave() !== interleave) {
              this.interleaving = !interleave;
              return SLICE_CHECKPOINT_NOW;
            }
            break;
          }
          if (r > 0) {
            idx += r;
            if (idx < SLOTS) continue;
            pc = BigInt.asUintN(64, base + BigInt(idx * 4));
            break;
          }
          if (r === LOCAL) {
            idx = x.nidx;
            if (idx === stopIdx) {
              pc = stopAt;
              break;
            }
            if (useBlocks) landed(m, cpu, pre, page, idx);
            continue;
          }
          if (r === JUMP) {
            pc = x.npc;
            break;
          }
          if (r === REVALIDATE) {
            x.revalidate();
            pc = BigInt.asUintN(64, base + BigInt(x.idx * 4 + 4));
            if (this.interleave() !== interleave) {
              this.interleaving = !interleave;
              return SLICE_CHECKPOINT_NOW;
            }
            break;
          }
          if (r === CTX) {
            x.revalidate();
            pc = cpu.nia;
            break;
          }
          // STOP
          this.finish("stopped", cpu.nia);
          return SLICE_DONE;
        }
      }
    } finally {
      this.insns = x.n;
      this.pc = pc;
    }
  }
}

/**
 * The address of the next instruction after a handler at word `idx` of the
 * page at `base` returned `r`, revalidating as the fast loop does; null for
 * STOP.
 */
function nextAfterResult(
  x: ExecContext,
  cpu: Cpu,
  r: number,
  base: bigint,
  idx: number,
): bigint | null {
  if (r > 0) return BigInt.asUintN(64, base + BigInt((idx + r) * 4));
  if (r === LOCAL) return base + BigInt(x.nidx * 4);
  if (r === JUMP) return x.npc;
  if (r === REVALIDATE) {
    x.revalidate();
    return BigInt.asUintN(64, base + BigInt(x.idx * 4 + 4));
  }
  if (r === CTX) {
    x.revalidate();
    return cpu.nia;
  }
  return null;
}

/** Why `slice` returned. */
const SLICE_DONE = 0;
const SLICE_CHECKPOINT = 1;
const SLICE_YIELD = 2;
/** The interleaving mode changed: re-enter at once (handled as a checkpoint yield). */
const SLICE_CHECKPOINT_NOW = 1;

/** Bytes a load/store mnemonic accesses (a cache-block operation counts its block). */
function accessSize(mnemonic: string): number {
  if (/^(dcbz|icbi|dcb)/.test(mnemonic)) return 128;
  if (/^p?(lx|stx|lv|stv)/.test(mnemonic)) return /^p?(lxs|stxs)/.test(mnemonic) ? 8 : 16;
  const m = /^p?(?:l|st)([bhwdq])/.exec(mnemonic);
  if (m === null) return 0;
  return { b: 1, h: 2, w: 4, d: 8, q: 16 }[m[1] as "b" | "h" | "w" | "d" | "q"];
}

/** Disassembly of the instruction in a predecoded slot, at `address`. */
function disasmAt(page: PredecodedPage, idx: number, address: bigint): string {
  const w = page.words[idx]!;
  const inst = w >>> 26 === 1 ? ppcInstPrefix(w, page.suffixes[idx]!) : ppcInst(w);
  return disassembleInst(inst, address);
}

/** A task running the guest on `cpu` from `cpu.nia` (see Guest). */
export function runGuest(m: Machine, cpu: Cpu, options: GuestOptions = {}): Task {
  return new Guest(m, cpu, options).task();
}

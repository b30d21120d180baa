/**
 * Kernel probes: the types and state shared by the generic and the arch code
 * (include/linux/kprobes.h, and the probe table and instruction-slot cache
 * of kernel/kprobes.c, v6.2).
 */
import { type PpcInst, ppcInst, ppcInstPrefix } from "../../../isa/powerpc/inst.ts";
import { ld } from "../../../machine/task-ops.ts";
import type { InterruptRegs } from "../../arch/powerpc/kernel/interrupt.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import { type Mutex, mutexInit } from "../../kernel/locking/mutex.ts";

/** `MAX_INSN_SIZE` (powerpc): two words, for a prefixed instruction. */
export const MAX_INSN_SIZE = 2;

/**
 * `kprobe_pre_handler_t`: runs from the trap with the interrupted registers;
 * nonzero means it changed the execution path (regs->nip), so the probed
 * instruction is not stepped.
 */
export type KprobePreHandler = (c: Ctx, p: Kprobe, regs: InterruptRegs) => KGen<number>;
/** `kprobe_post_handler_t`: runs after the probed instruction was stepped or emulated. */
export type KprobePostHandler = (
  c: Ctx,
  p: Kprobe,
  regs: InterruptRegs,
  flags: number,
) => KGen<void>;

/** `struct kprobe` as far as the model needs it. */
export interface Kprobe {
  /** `symbol_name` (resolved through kallsyms when `addr` is not given). */
  readonly symbolName?: string;
  readonly offset?: number;
  addr: bigint;
  /** Set by the probe's owner; register_kretprobe() sets its own. */
  preHandler?: KprobePreHandler;
  postHandler?: KprobePostHandler | undefined;
  /** The original first word at `addr`. */
  opcode: number;
  /** `ainsn`: the instruction slot holding a copy of the probed instruction. */
  readonly ainsn: { insn: bigint | null; boostable: number };
  /** `nmissed`: hits while another probe was being handled. */
  nmissed: number;
  /** Hits handled as the active probe (model bookkeeping for `--kprobe`; nmissed not included). */
  hits: number;
  registered: boolean;
  /** `container_of(p, struct kretprobe, kp)`: the kretprobe this is the entry probe of. */
  rp?: Kretprobe;
}

/** A probe on `addr` or `symbolName` with optional handlers. */
export function newKprobe(spec: {
  addr?: bigint;
  symbolName?: string;
  offset?: number;
  preHandler?: KprobePreHandler;
  postHandler?: KprobePostHandler;
}): Kprobe {
  return {
    ...(spec.symbolName !== undefined ? { symbolName: spec.symbolName } : {}),
    ...(spec.offset !== undefined ? { offset: spec.offset } : {}),
    ...(spec.preHandler !== undefined ? { preHandler: spec.preHandler } : {}),
    ...(spec.postHandler !== undefined ? { postHandler: spec.postHandler } : {}),
    addr: spec.addr ?? 0n,
    opcode: 0,
    ainsn: { insn: null, boostable: 0 },
    nmissed: 0,
    hits: 0,
    registered: false,
  };
}

/** A page of instruction slots (`struct kprobe_insn_page`). */
export interface InsnPage {
  readonly addr: bigint;
  readonly used: Uint8Array;
  nused: number;
}

/** `struct kprobe_insn_cache`: where slot pages come from. */
export interface KprobeInsnCache {
  /** `alloc`: a new executable page for slots, or null. */
  readonly alloc: (c: Ctx) => KGen<bigint | null>;
}

export interface KprobesState {
  /** `kprobe_table`, by address. */
  readonly table: Map<bigint, Kprobe>;
  readonly kprobeMutex: Mutex;
  /** `kprobe_insn_slots.mutex`. */
  readonly slotMutex: Mutex;
  readonly insnPages: InsnPage[];
  kprobesInitialized: boolean;
  kprobesAllDisarmed: boolean;
}

export const KPROBES_STATE = defineSlot<KprobesState>("kprobes", () => ({
  table: new Map(),
  kprobeMutex: mutexInit("kprobe_mutex"),
  slotMutex: mutexInit("kprobe_insn_slots.mutex"),
  insnPages: [],
  kprobesInitialized: false,
  kprobesAllDisarmed: false,
}));

/** Models `get_kprobe(addr)`. */
export function getKprobe(k: Kernel, addr: bigint): Kprobe | undefined {
  return k.slot(KPROBES_STATE).table.get(addr);
}

/** Every registered probe (the `/sys/kernel/debug/kprobes/list` view). */
export function registeredKprobes(k: Kernel): readonly Kprobe[] {
  return [...k.slot(KPROBES_STATE).table.values()];
}

/** `kprobes_initialized`. */
export function kprobesInitialized(k: Kernel): boolean {
  return k.slot(KPROBES_STATE).kprobesInitialized;
}

/** Pages of the instruction-slot cache (for leak checks). */
export function insnSlotPages(k: Kernel): number {
  return k.slot(KPROBES_STATE).insnPages.length;
}

/**
 * Models `ppc_inst_read()` of kernel memory through the MMU (prefix-aware).
 * A fault here is a simulator bug: callers read mapped kernel text.
 */
export function* readKernelInst(c: Ctx, addr: bigint): KGen<PpcInst> {
  const w = yield* ld(c.k.machine, c.cpu, addr, 4);
  if (typeof w !== "bigint")
    throw new Error(`reading the instruction at 0x${addr.toString(16)} faulted`);
  const val = Number(w);
  if (val >>> 26 !== 1) return ppcInst(val);
  const s = yield* ld(c.k.machine, c.cpu, addr + 4n, 4);
  if (typeof s !== "bigint")
    throw new Error(`reading the suffix at 0x${(addr + 4n).toString(16)} faulted`);
  return ppcInstPrefix(val, Number(s));
}

/** `kprobe_status` values (include/linux/kprobes.h). */
export const KPROBE_HIT_ACTIVE = 0x0000_0001;
export const KPROBE_HIT_SS = 0x0000_0002;
export const KPROBE_REENTER = 0x0000_0004;
export const KPROBE_HIT_SSDONE = 0x0000_0008;

/** `struct prev_kprobe` (asm/kprobes.h, powerpc). */
export interface PrevKprobe {
  kp: Kprobe | null;
  status: number;
  savedMsr: bigint;
}

/** `struct kprobe_ctlblk` (asm/kprobes.h, powerpc), one per CPU. */
export interface KprobeCtlblk {
  kprobeStatus: number;
  kprobeSavedMsr: bigint;
  readonly prevKprobe: PrevKprobe;
}

interface KprobesPerCpu {
  /** `current_kprobe`. */
  current: Kprobe | null;
  readonly kcb: KprobeCtlblk;
}

const KPROBES_PER_CPU = defineSlot("kprobes-percpu", (k: Kernel): KprobesPerCpu[] =>
  k.machine.cpus.map(() => ({
    current: null,
    kcb: {
      kprobeStatus: 0,
      kprobeSavedMsr: 0n,
      prevKprobe: { kp: null, status: 0, savedMsr: 0n },
    },
  })),
);

function perCpu(c: Ctx): KprobesPerCpu {
  const p = c.k.slot(KPROBES_PER_CPU)[c.cpu.id];
  if (p === undefined) throw new Error(`no kprobe per-CPU state for CPU ${c.cpu.id}`);
  return p;
}

/** Models `kprobe_running()`: this CPU's `current_kprobe`. */
export function kprobeRunning(c: Ctx): Kprobe | null {
  return perCpu(c).current;
}

/** `__this_cpu_write(current_kprobe, p)`. */
export function setCurrentKprobeOnly(c: Ctx, p: Kprobe | null): void {
  perCpu(c).current = p;
}

/** Models `reset_current_kprobe()`. */
export function resetCurrentKprobe(c: Ctx): void {
  perCpu(c).current = null;
}

/** Models `get_kprobe_ctlblk()`: this CPU's control block. */
export function getKprobeCtlblk(c: Ctx): KprobeCtlblk {
  return perCpu(c).kcb;
}

/** Models `kprobes_inc_nmissed_count(p)` (no aggregated probes: just `p->nmissed++`). */
export function kprobesIncNmissedCount(p: Kprobe): void {
  p.nmissed++;
}

/**
 * `kretprobe_handler_t`: a kretprobe's entry or return handler, with the
 * instance and the registers at the probe (entry) or at the return. A
 * nonzero return from the entry handler means: do not track this call.
 */
export type KretprobeHandler = (c: Ctx, ri: KretprobeInstance, regs: InterruptRegs) => KGen<number>;

/**
 * `struct kretprobe_holder` (v6.2 without CONFIG_KRETPROBE_ON_RETHOOK, as on
 * powerpc): what every instance points at. `rp` is cleared when the
 * kretprobe is unregistered, so instances still out on a task's list run no
 * handler and are freed instead of recycled when their function returns.
 */
export interface KretprobeHolder {
  /** Names the holder in the checker's footprints. */
  readonly name: string;
  rp: Kretprobe | null;
  /** `ref`: instances allocated and not yet freed. */
  ref: number;
}

/** `struct kretprobe_instance`: one call of the probed function being tracked. */
export interface KretprobeInstance {
  /** `llist`: the next (older) instance on the task's `kretprobe_instances`. */
  llistNext: KretprobeInstance | null;
  readonly rph: KretprobeHolder;
  /** `ret_addr`: where the probed function would have returned. */
  retAddr: bigint;
  /** `fp`: the frame the return belongs to; NULL on powerpc. */
  fp: bigint | null;
  /**
   * `data[]`: the kretprobe's `data_size` bytes of per-instance data.
   * SIMPLIFICATION: held as 64-bit words (the handlers of this model store
   * 64-bit values, as the sample's ktime_t), not bytes in kernel memory.
   */
  readonly data: bigint[];
}

/**
 * The free instances (`struct freelist_head`, include/linux/freelist.h at
 * v6.2: a lock-free LIFO). SIMPLIFICATION: an array whose push and pop are
 * one atomic change each (no step boundary inside, as the freelist's CAS
 * loops have none that the model could interleave); the head is the end.
 */
export interface KretprobeFreelist {
  /** Names the list in the checker's footprints. */
  readonly name: string;
  readonly free: KretprobeInstance[];
}

/** `struct kretprobe` as far as the model needs it. */
export interface Kretprobe {
  /** The entry probe; register_kretprobe() sets its pre-handler. */
  readonly kp: Kprobe;
  readonly handler?: KretprobeHandler;
  readonly entryHandler?: KretprobeHandler;
  /** Instances allocated at registration; 0 or less picks the default. */
  maxactive: number;
  /** Bytes of per-instance data (`data_size`). */
  readonly dataSize: number;
  /** `nmissed`: entries with no free instance. */
  nmissed: number;
  /** `freelist`. */
  readonly freelist: KretprobeFreelist;
  /** `rph`: NULL before registration and once every instance is freed. */
  rph: KretprobeHolder | null;
  /** Return-handler runs (model bookkeeping, as `Kprobe.hits`). */
  hits: number;
}

/** A kretprobe on `symbolName[+offset]` with optional handlers (`maxactive` 0: the default). */
export function newKretprobe(spec: {
  symbolName: string;
  /** Bytes into the symbol (register_kretprobe wants the function's entry). */
  offset?: number;
  handler?: KretprobeHandler;
  entryHandler?: KretprobeHandler;
  maxactive?: number;
  dataSize?: number;
}): Kretprobe {
  const rp: Kretprobe = {
    kp: newKprobe({
      symbolName: spec.symbolName,
      ...(spec.offset !== undefined ? { offset: spec.offset } : {}),
    }),
    ...(spec.handler !== undefined ? { handler: spec.handler } : {}),
    ...(spec.entryHandler !== undefined ? { entryHandler: spec.entryHandler } : {}),
    maxactive: spec.maxactive ?? 0,
    dataSize: spec.dataSize ?? 0,
    nmissed: 0,
    freelist: { name: `kretprobe freelist ${spec.symbolName}`, free: [] },
    rph: null,
    hits: 0,
  };
  rp.kp.rp = rp;
  return rp;
}

/** Models `get_kretprobe(ri)`: the instance's kretprobe, or null once it was unregistered. */
export function getKretprobe(c: Ctx, ri: KretprobeInstance): Kretprobe | null {
  c.k.machine.footprint?.object(ri.rph, false);
  return ri.rph.rp;
}

/**
 * Each task's `kretprobe_instances` list head (task_struct, include/linux/sched.h),
 * by PID. SIMPLIFICATION: kept here rather than in TaskStruct; the list of a
 * task that exits with instances on it is not flushed (kprobe_flush_task is
 * not modelled: the model's tasks finish the calls they make).
 */
const KRETPROBE_INSTANCES = defineSlot<Map<number, KretprobeInstance>>(
  "kretprobe-instances",
  () => new Map(),
);

/** `current->kretprobe_instances.first`. */
export function kretprobeInstancesFirst(c: Ctx): KretprobeInstance | null {
  return c.k.slot(KRETPROBE_INSTANCES).get(c.current.pid) ?? null;
}

/** `current->kretprobe_instances.first = ri`. */
export function setKretprobeInstancesFirst(c: Ctx, ri: KretprobeInstance | null): void {
  const m = c.k.slot(KRETPROBE_INSTANCES);
  if (ri === null) m.delete(c.current.pid);
  else m.set(c.current.pid, ri);
}

/** Instances on every task's list (for leak checks and tests). */
export function outstandingKretprobeInstances(k: Kernel): number {
  let n = 0;
  for (const first of k.slot(KRETPROBE_INSTANCES).values()) {
    for (let ri: KretprobeInstance | null = first; ri !== null; ri = ri.llistNext) n++;
  }
  return n;
}

/**
 * Models `kretprobe_trampoline_addr()`: where a hijacked return goes,
 * `__kretprobe_trampoline` (no function descriptors on ELFv2).
 */
export function kretprobeTrampolineAddr(k: Kernel): bigint {
  const addr = k.kallsyms.lookupName("__kretprobe_trampoline");
  if (addr === undefined) throw new Error("image has no __kretprobe_trampoline");
  return addr;
}

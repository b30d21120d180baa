/**
 * Kernel probes: the types and state shared by the generic and the arch code
 * (include/linux/kprobes.h, and the probe table and instruction-slot cache
 * of kernel/kprobes.c, v6.2).
 */
import { type PpcInst, ppcInst, ppcInstPrefix } from "../../../isa/powerpc/inst.ts";
import { ld } from "../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import { kfunc } from "../../core/kfunc.ts";
import { type Mutex, mutexInit, mutexLock, mutexUnlock } from "../../kernel/locking/mutex.ts";
import { freeVmArea, vmAreas } from "../../mm/vmalloc.ts";

const FILE = "kernel/kprobes.c";

/** `MAX_INSN_SIZE` (powerpc): two words, for a prefixed instruction. */
export const MAX_INSN_SIZE = 2;

/** Handlers run from the trap: return nonzero from a pre-handler to skip single-stepping. */
export type KprobePreHandler = (c: Ctx, p: Kprobe) => KGen<number>;
export type KprobePostHandler = (c: Ctx, p: Kprobe) => KGen<void>;

/** `struct kprobe` as far as the model needs it. */
export interface Kprobe {
  /** `symbol_name` (resolved through kallsyms when `addr` is not given). */
  readonly symbolName?: string;
  readonly offset?: number;
  addr: bigint;
  readonly preHandler?: KprobePreHandler;
  readonly postHandler?: KprobePostHandler;
  /** The original first word at `addr`. */
  opcode: number;
  /** `ainsn`: the instruction slot holding a copy of the probed instruction. */
  readonly ainsn: { insn: bigint | null; boostable: number };
  /** `nmissed`: hits while another probe was being handled. */
  nmissed: number;
  /** How many times the pre-handler ran (model bookkeeping for `--kprobe`). */
  hits: number;
  registered: boolean;
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
interface InsnPage {
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

/**
 * Models `__get_insn_slot(&kprobe_insn_slots)` (`get_insn_slot()`): a free
 * MAX_INSN_SIZE-word slot, from a new read-only executable page when all are
 * full. Null when no page can be allocated.
 */
export const getInsnSlot = kfunc(
  { name: "__get_insn_slot", file: FILE, size: 0x1e0 },
  function* (c: Ctx, cache: KprobeInsnCache): KGen<bigint | null> {
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.slotMutex);
    try {
      const slotSize = MAX_INSN_SIZE * 4;
      const perPage = c.k.config.pageSize / slotSize;
      for (const page of st.insnPages) {
        if (page.nused >= perPage) continue;
        const i = page.used.indexOf(0);
        page.used[i] = 1;
        page.nused++;
        return page.addr + BigInt(i * slotSize);
      }
      const addr = yield* cache.alloc(c);
      if (addr === null) return null;
      const page: InsnPage = { addr, used: new Uint8Array(perPage), nused: 1 };
      page.used[0] = 1;
      st.insnPages.push(page);
      return addr;
    } finally {
      yield* mutexUnlock(c, st.slotMutex);
    }
  },
);

/**
 * Models `__free_insn_slot(&kprobe_insn_slots, slot, 0)`: free the slot, and
 * the page when it was the last slot in use.
 * SIMPLIFICATION: the kernel keeps one empty page cached and frees pages
 * after an RCU grace period; here an emptied page is freed at once.
 */
export const freeInsnSlot = kfunc(
  { name: "__free_insn_slot", file: FILE, size: 0x150 },
  function* (c: Ctx, slot: bigint): KGen<void> {
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.slotMutex);
    try {
      const ps = BigInt(c.k.config.pageSize);
      const page = st.insnPages.find((p) => slot >= p.addr && slot < p.addr + ps);
      if (page === undefined)
        throw new Error(`free_insn_slot: 0x${slot.toString(16)} is not a slot`);
      page.used[Number(slot - page.addr) / (MAX_INSN_SIZE * 4)] = 0;
      page.nused--;
      if (page.nused === 0) {
        st.insnPages.splice(st.insnPages.indexOf(page), 1);
        const area = vmAreas(c).find((a) => a.addr === page.addr);
        if (area !== undefined) yield* freeVmArea(c, area);
      }
    } finally {
      yield* mutexUnlock(c, st.slotMutex);
    }
  },
);

/**
 * The memory-resident part of `struct paca_struct` (arch/powerpc/include/
 * asm/paca.h, v6.2) that compiled kernel code reads through r13: the
 * kernel keeps r13 pointing at the running CPU's paca, and compiled code
 * finds `smp_processor_id()` (paca_index), the kernel TOC (PACATOC) and
 * the soft interrupt mask there.
 *
 * SIMPLIFICATION: only a head of the real layout (lppaca_ptr, paca_index,
 * lock_token, kernel_toc at their book3s/64 offsets) and a tail of
 * textpoke's: the soft mask and PACA_FTRACE_ENABLED at offsets of its own,
 * and a snapshot of current's pid, preempt count and thread flags, which
 * the kernel reads through paca->__current instead. The model keeps the
 * authoritative state in TypeScript (hw_irq.ts's PacaIrq, the TaskStruct);
 * `fillPaca` copies it into the CPU's paca before each call of compiled
 * code (src/linux/image/call-compiled.ts). The pacas exist only in kernels
 * whose compiled code reads them (the function tracer's): `allocatePacas`.
 * The layout is mirrored in fixtures/kernel/trace_functions.c.
 */
import type { Ctx } from "../../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../../core/kernel.ts";
import { imageLayout } from "../../../../image/build.ts";
import { memblockAlloc } from "../../../../mm/page_alloc.ts";
import { __pa, __va } from "../../kernel/vmlinux.ts";
import { pacaIrq } from "./hw_irq.ts";

/** Bytes per CPU's paca in the model (the kernel's is about 4 KiB). */
export const PACA_SIZE = 64;
export const PACA_INDEX = 8;
export const PACA_LOCK_TOKEN = 10;
export const PACATOC = 16;
export const PACAIRQSOFTMASK = 24;
export const PACAIRQHAPPENED = 25;
export const PACA_FTRACE_ENABLED = 26;
export const PACA_PID = 28;
export const PACA_PREEMPT_COUNT = 32;
export const PACA_THREAD_FLAGS = 40;

interface PacaState {
  /** Virtual address of CPU 0's paca (the others follow), 0n when none. */
  base: bigint;
  count: number;
}

const PACAS = defineSlot<PacaState>("paca-mem", () => ({ base: 0n, count: 0 }));

/**
 * Models `allocate_paca_ptrs()` / `allocate_paca()` for every possible CPU:
 * one zeroed paca each, with paca_index, lock_token (0x8000), kernel_toc
 * and ftrace_enabled (1) set as `initialise_paca()` sets them.
 */
export function allocatePacas(k: Kernel): void {
  const st = k.slot(PACAS);
  if (st.base !== 0n) return;
  const count = k.machine.cpus.length;
  const pa = memblockAlloc(k, count * PACA_SIZE);
  const mem = k.machine.mem;
  const toc = imageLayout(k).toc;
  for (let cpu = 0; cpu < count; cpu++) {
    const p = pa + cpu * PACA_SIZE;
    mem.write16(p + PACA_INDEX, cpu);
    mem.write16(p + PACA_LOCK_TOKEN, 0x8000);
    mem.write64(p + PACATOC, toc);
    mem.write8(p + PACA_FTRACE_ENABLED, 1);
  }
  st.base = __va(pa);
  st.count = count;
}

/** `paca_ptrs[cpu]`, or 0n when this kernel has no pacas in memory. */
export function pacaAddress(k: Kernel, cpu: number): bigint {
  const st = k.slot(PACAS);
  if (st.base === 0n || cpu >= st.count) return 0n;
  return st.base + BigInt(cpu * PACA_SIZE);
}

/**
 * Copy the running context's state into its CPU's paca (see the file
 * comment); returns the paca's address for r13, 0n when there is none.
 */
export function fillPaca(c: Ctx): bigint {
  const addr = pacaAddress(c.k, c.cpu.id);
  if (addr === 0n) return 0n;
  const mem = c.k.machine.mem;
  const p = __pa(addr);
  const irq = pacaIrq(c.k, c.cpu.id);
  mem.write8(p + PACAIRQSOFTMASK, irq.irqSoftMask & 0xff);
  mem.write8(p + PACAIRQHAPPENED, irq.irqHappened & 0xff);
  mem.write32(p + PACA_PID, c.current.pid >>> 0);
  mem.write32(p + PACA_PREEMPT_COUNT, c.current.preemptCount >>> 0);
  mem.write64(p + PACA_THREAD_FLAGS, 0n);
  return addr;
}

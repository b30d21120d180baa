/**
 * Stack frames of simulated kernel tasks, for the call traces of oopses,
 * WARNs and `dump_stack()`. The model keeps a shadow call stack per task
 * (core/kfunc.ts); this module lays it out as the ppc64 ELFv2 stack would
 * be (arch/powerpc/kernel/process.c `show_stack`, stacktrace.c): each
 * out-of-line function has a frame below its caller's, and a frame's
 * LR-save doubleword holds the return address into that function from its
 * callee.
 *
 * SIMPLIFICATION: frames are not written to simulated memory. Frame sizes
 * are stable synthetic values per function; return addresses are the
 * caller's address plus `callSiteOffset`. The innermost frame's LR-save
 * slot, which nothing wrote during the current call, is read from memory
 * (what the kernel's unwinder prints as the first, unreliable entry).
 */
import { OpKind } from "../../../../machine/ops.ts";
import { visible } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../core/kernel.ts";
import { callSiteOffset, type Frame, type KFuncInfo, kfunc } from "../../../core/kfunc.ts";
import type { TaskStruct } from "../../../include/linux/sched.ts";
import { getTaint } from "../../../kernel/panic.ts";
import { type DumpStackInfo, dumpStackPrintInfo } from "../../../lib/dump_stack.ts";
import { type ShowRegsContext, type StackFrame, showStack } from "./process.ts";

/** `STACK_FRAME_OVERHEAD` (ppc64 ELFv2): back chain, CR, LR save, TOC ... */
export const STACK_FRAME_OVERHEAD = 112;
/** `STACK_FRAME_MIN_SIZE` (ELFv2): 32 bytes. */
export const STACK_FRAME_MIN_SIZE = 32;
/** `INT_FRAME_SIZE`: an exception frame (pt_regs + overhead + red zone). */
export const INT_FRAME_SIZE = 0x1d0;
/** Offset of the LR-save doubleword in a frame (ELFv2). */
export const STACK_FRAME_LR_SAVE = 16;

/** The identification `dump_stack_print_info()` prints besides the task. */
export interface UtsInfo {
  /** `init_utsname()->version`, e.g. "#1 SMP ...". */
  version: string;
  /** `dump_stack_arch_desc_str`, set at boot (`dump_stack_set_arch_desc`). */
  hardwareName: string;
}

const UTS = defineSlot("uts", (): UtsInfo => ({ version: "#1 SMP", hardwareName: "" }));

/** The kernel's version string and Hardware name line (the boot code sets them). */
export function utsInfo(k: Kernel): UtsInfo {
  return k.slot(UTS);
}

/** A function's frame size: the declared one, else a stable 0x30..0xa0 bytes, a multiple of 16. */
export function frameSize(fn: KFuncInfo): number {
  if (fn.frameSize !== undefined) return fn.frameSize;
  let h = 0x811c9dc5;
  for (let i = 0; i < fn.name.length; i++) h = Math.imul(h ^ fn.name.charCodeAt(i), 0x01000193);
  return 0x30 + 0x10 * ((h >>> 0) % 8);
}

/** A frame's size, kept on the (per-function) frame: the red-zone spill asks at every patch. */
function frameBytes(f: Frame): number {
  let b = f.bytes;
  if (b < 0) {
    b = frameSize(f.fn);
    f.bytes = b;
  }
  return b;
}

/**
 * Stack pointers of the frames of `stack` (outermost first), as the task's
 * r1 would have been in each: the outermost frame sits just below
 * `stackTop`, each callee's frame below its caller's.
 */
export function frameSps(task: TaskStruct, stack: readonly Frame[]): bigint[] {
  const sps: bigint[] = [];
  let sp = task.stackTop;
  for (const f of stack) {
    sp -= BigInt(frameBytes(f));
    sps.push(sp);
  }
  return sps;
}

/** The stack pointer of the innermost frame of `stack` (the last of frameSps), or undefined. */
export function innermostFrameSp(task: TaskStruct, stack: readonly Frame[]): bigint | undefined {
  const below = innermostFrameDepth(stack);
  return below < 0 ? undefined : task.stackTop - BigInt(below);
}

/** How far below `stackTop` the innermost frame's stack pointer is, in bytes; -1 for no frame. */
export function innermostFrameDepth(stack: readonly Frame[]): number {
  if (stack.length === 0) return -1;
  let below = 0;
  for (let i = 0; i < stack.length; i++) below += frameBytes(stack[i]!);
  return below;
}

/** The address of a modelled function in the kernel image (its kallsyms symbol). */
export function functionAddress(k: Kernel, fn: KFuncInfo): bigint {
  const a = k.kallsyms.lookupName(fn.name);
  if (a === undefined) throw new Error(`kernel image has no symbol for ${fn.name}`);
  return a;
}

/**
 * The frames `show_stack()` walks, innermost first, for a task whose shadow
 * stack was `stack`: the innermost frame's saved LR is `firstIp`, every
 * other frame's is the return address into its function from its callee.
 */
export function unwind(
  k: Kernel,
  task: TaskStruct,
  stack: readonly Frame[],
  firstIp: bigint,
): StackFrame[] {
  const sps = frameSps(task, stack);
  const out: StackFrame[] = [];
  for (let i = stack.length - 1; i >= 0; i--) {
    const fn = stack[i]!.fn;
    const callee = stack[i + 1]?.fn;
    const ip =
      callee === undefined
        ? firstIp
        : functionAddress(k, fn) + BigInt(callSiteOffset(fn, callee.name));
    out.push({ sp: sps[i]!, ip });
  }
  return out;
}

/**
 * The stale LR-save slot of the innermost frame, read from the task's stack
 * memory through the linear map (0 when never written or not RAM).
 */
export function staleLrSlot(k: Kernel, sp: bigint): bigint {
  const pa = sp + BigInt(STACK_FRAME_LR_SAVE) - 0xc000_0000_0000_0000n;
  if (pa < 0n || !k.machine.mem.contains(Number(pa), 8)) return 0n;
  return k.machine.mem.read64(Number(pa));
}

/** What `dump_stack_print_info()` needs for a task on a CPU. */
export function dumpStackInfo(
  k: Kernel,
  cpu: number,
  task: TaskStruct,
): Omit<DumpStackInfo, "taint" | "release"> {
  const uts = utsInfo(k);
  return {
    cpu,
    pid: task.pid,
    comm: task.comm,
    version: uts.version,
    hardwareName: uts.hardwareName,
  };
}

/** The `ShowRegsContext` of the running kernel: taint, release, symbols. */
export function showRegsContext(k: Kernel): ShowRegsContext {
  return { taint: getTaint(k), release: k.release, kallsyms: k.kallsyms };
}

/**
 * Models `dump_stack()` → `dump_stack_lvl()` (lib/dump_stack.c) →
 * `show_stack(NULL, NULL)` on powerpc, for the current task: the CPU and
 * Hardware lines, then the call trace starting in `dump_stack_lvl`'s own
 * frame (shown unreliable, as on real traces).
 */
export const dumpStack = kfunc(
  { name: "dump_stack_lvl", file: "lib/dump_stack.c", size: 0xa8 },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    yield* visible(c.cpu, OpKind.OTHER, "dump_stack");
    const ctx = showRegsContext(k);
    const lines = dumpStackPrintInfo({
      ...dumpStackInfo(k, c.cpu.id, c.current),
      taint: ctx.taint,
      release: ctx.release,
    });
    const stack = c.current.stack;
    const self = stack[stack.length - 1]!.fn;
    const firstIp = functionAddress(k, self) + BigInt(callSiteOffset(self, "show_stack"));
    lines.push(...showStack(unwind(k, c.current, stack, firstIp), ctx));
    k.printk.printLines(lines, c.current.pid);
  },
);

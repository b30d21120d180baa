/**
 * The kretprobe hooks of arch/powerpc/kernel/kprobes.c (v6.2) that the
 * generic code calls: `arch_adjust_kprobe_addr` (is a probe point a
 * function's entry, as a kretprobe needs) and `arch_prepare_kretprobe`
 * (hijack the return address). The trampoline's probe and handler are in
 * kprobes-trampoline.ts. A file of their own because kernel/kprobes.ts calls
 * them and kprobes-trampoline.ts calls kernel/kprobes.ts: one file for both
 * would be an import cycle.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { type KretprobeInstance, kretprobeTrampolineAddr } from "../../../include/linux/kprobes.ts";
import type { InterruptRegs } from "./interrupt.ts";

const FILE = "arch/powerpc/kernel/kprobes.c";

/**
 * Models the static `arch_kprobe_on_func_entry(offset)` for ELFv2: the
 * global entry's TOC setup is two instructions, so up to 8 bytes in is still
 * the entry. (KPROBES_ON_FTRACE, which allows 16, is not modelled.)
 */
function archKprobeOnFuncEntry(offset: bigint): boolean {
  return offset <= 8n;
}

/**
 * Models `arch_adjust_kprobe_addr(addr, offset, &on_func_entry)`: the probe
 * point is the symbol's address plus the offset; whether that is the
 * function's entry is arch_kprobe_on_func_entry's answer.
 */
export function archAdjustKprobeAddr(
  addr: bigint,
  offset: bigint,
): { addr: bigint; onFuncEntry: boolean } {
  return { addr: addr + offset, onFuncEntry: archKprobeOnFuncEntry(offset) };
}

/**
 * Models `arch_prepare_kretprobe(ri, regs)`: remember the caller's return
 * address (LR at the function's entry) in the instance and make the function
 * return to `__kretprobe_trampoline` instead. `fp` is NULL: powerpc matches
 * returns to instances by order alone.
 */
export const archPrepareKretprobe = kfunc(
  { name: "arch_prepare_kretprobe", file: FILE, size: 0x30 },
  // biome-ignore lint/correctness/useYield: touches only the frame and the instance
  function* (c: Ctx, ri: KretprobeInstance, regs: InterruptRegs): KGen<void> {
    ri.retAddr = regs.link;
    ri.fp = null;
    regs.link = kretprobeTrampolineAddr(c.k);
  },
);

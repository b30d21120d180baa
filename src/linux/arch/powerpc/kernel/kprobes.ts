/**
 * Kernel probes, the powerpc half (arch/powerpc/kernel/kprobes.c, v6.2),
 * registration side (the trap and single-step side is kprobes-handler.ts):
 * the symbol lookup, preparing a probe (the instruction copied into a read-only executable slot
 * through patch_instruction), arming (a `trap` patched over the probed
 * instruction), disarming, and the kretprobe trampoline probe registered at
 * boot — the path on which c28c15b6d28a's bug fires (boot-and-oops.md §2).
 */
import { ppcFunctionEntry } from "../../../../isa/powerpc/branch.ts";
import { ppcInst, ppcInstPrefixed, ppcInstVal } from "../../../../isa/powerpc/inst.ts";
import { ld } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { kfunc } from "../../../core/kfunc.ts";
import {
  getKprobe,
  type Kprobe,
  type KprobeInsnCache,
  readKernelInst,
} from "../../../include/linux/kprobes.ts";
import { EINVAL, ENOMEM } from "../../../include/uapi/errno.ts";
import { freeInsnSlot, getInsnSlot } from "../../../kernel/kprobes-insn-slots.ts";
import { warnOnOnce } from "../include/asm/bug.ts";
import { patchingOps } from "../lib/code-patching-ops.ts";
import { setMemoryRox } from "../mm/pageattr.ts";
import { BREAKPOINT_INSTRUCTION, canSingleStep } from "./kprobes-insn.ts";
import { moduleAlloc } from "./module.ts";

const FILE = "arch/powerpc/kernel/kprobes.c";

export { BREAKPOINT_INSTRUCTION, canSingleStep } from "./kprobes-insn.ts";

/**
 * Models `kprobe_lookup_name(name, offset)` for ELFv2: the kallsyms address,
 * and with no offset the function's local entry point (ppc_function_entry:
 * past the TOC setup), where calls from the same TOC enter. Null when the
 * symbol is unknown. (KPROBES_ON_FTRACE is not modelled.)
 */
export function* kprobeLookupName(c: Ctx, name: string, offset: number): KGen<bigint | null> {
  const addr = c.k.kallsyms.lookupName(name);
  if (addr === undefined) return null;
  if (offset !== 0) return addr;
  const w0 = yield* ld(c.k.machine, c.cpu, addr, 4);
  const w1 = yield* ld(c.k.machine, c.cpu, addr + 4n, 4);
  if (typeof w0 !== "bigint" || typeof w1 !== "bigint") return addr;
  return ppcFunctionEntry(Number(w0), Number(w1), addr);
}

/**
 * Models `arch_within_kprobe_blacklist(addr)`: the interrupt vectors
 * [_stext, __head_end). SIMPLIFICATION: there is no separate __kprobes text.
 */
export function archWithinKprobeBlacklist(k: Kernel, addr: bigint): boolean {
  const img = k.image;
  if (img === undefined) return false;
  const headEnd = k.kallsyms.lookupName("__head_end") ?? img.stext;
  return addr >= img.stext && addr < headEnd;
}

/**
 * Models `alloc_insn_page()`: a module_alloc'd page, made read-only and
 * executable when strict module RWX is on.
 * SIMPLIFICATION: strict module RWX follows CONFIG_STRICT_KERNEL_RWX (the
 * default on ppc64, where STRICT_MODULE_RWX defaults to it).
 */
export const allocInsnPage = kfunc(
  { name: "alloc_insn_page", file: FILE, size: 0x70 },
  function* (c: Ctx): KGen<bigint | null> {
    const page = yield* moduleAlloc(c, c.k.config.pageSize);
    if (page === null) return null;
    if (c.k.config.bool("STRICT_KERNEL_RWX")) yield* setMemoryRox(c, page, 1);
    return page;
  },
);

/** `kprobe_insn_slots` (kernel/kprobes.c): slot pages from alloc_insn_page(). */
const KPROBE_INSN_SLOTS: KprobeInsnCache = { alloc: (c) => allocInsnPage(c) };

/**
 * Models `arch_prepare_kprobe(p)`: refuse unaligned addresses, instructions
 * that cannot be single-stepped and the second word of a prefixed
 * instruction; otherwise take an instruction slot and copy the probed
 * instruction into it with patch_instruction (the slot page is read-only).
 */
export const archPrepareKprobe = kfunc(
  { name: "arch_prepare_kprobe", file: FILE, size: 0x2d0 },
  function* (c: Ctx, p: Kprobe): KGen<number> {
    let ret = 0;
    const insn = yield* readKernelInst(c, p.addr);
    const pageMask = BigInt(c.k.config.pageSize) - 1n;
    if ((p.addr & 3n) !== 0n) {
      c.k.printk.printk("Attempt to register kprobe at an unaligned address\n");
      ret = -EINVAL;
    } else if (!canSingleStep(ppcInstVal(insn))) {
      c.k.printk.printk("Cannot register a kprobe on instructions that can't be single stepped\n");
      ret = -EINVAL;
    } else if (
      (p.addr & pageMask) !== 0n &&
      ppcInstPrefixed(yield* readKernelInst(c, p.addr - 4n))
    ) {
      c.k.printk.printk("Cannot register a kprobe on the second word of prefixed instruction\n");
      ret = -EINVAL;
    }
    const prev = getKprobe(c.k, p.addr - 4n);
    if (
      prev !== undefined &&
      prev.ainsn.insn !== null &&
      ppcInstPrefixed(yield* readKernelInst(c, prev.ainsn.insn))
    ) {
      c.k.printk.printk("Cannot register a kprobe on the second word of prefixed instruction\n");
      ret = -EINVAL;
    }
    if (!ret) {
      p.ainsn.insn = yield* getInsnSlot(c, KPROBE_INSN_SLOTS);
      if (p.ainsn.insn === null) ret = -ENOMEM;
    }
    if (!ret) {
      // The return value is ignored, as in the kernel.
      yield* patchingOps(c.k).patchInstruction(c, p.ainsn.insn!, insn);
      p.opcode = ppcInstVal(insn);
    }
    p.ainsn.boostable = 0;
    return ret;
  },
);

/** Models `arch_arm_kprobe(p)`: patch the trap over the probed instruction. */
export const archArmKprobe = kfunc(
  { name: "arch_arm_kprobe", file: FILE, size: 0x60 },
  function* (c: Ctx, p: Kprobe): KGen<void> {
    const err = yield* patchingOps(c.k).patchInstruction(
      c,
      p.addr,
      ppcInst(BREAKPOINT_INSTRUCTION),
    );
    yield* warnOnOnce(c, err !== 0, { file: FILE, line: 146 });
  },
);

/** Models `arch_disarm_kprobe(p)`: patch the original word back. */
export const archDisarmKprobe = kfunc(
  { name: "arch_disarm_kprobe", file: FILE, size: 0x60 },
  function* (c: Ctx, p: Kprobe): KGen<void> {
    const err = yield* patchingOps(c.k).patchInstruction(c, p.addr, ppcInst(p.opcode));
    yield* warnOnOnce(c, err !== 0, { file: FILE, line: 152 });
  },
);

/** Models `arch_remove_kprobe(p)`: give the slot back. */
export function* archRemoveKprobe(c: Ctx, p: Kprobe): KGen<void> {
  if (p.ainsn.insn !== null) {
    yield* freeInsnSlot(c, p.ainsn.insn);
    p.ainsn.insn = null;
  }
}

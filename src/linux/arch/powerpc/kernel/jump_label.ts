/** arch/powerpc/kernel/jump_label.c (v6.2): a jump-label site is one word, `nop` or `b target`. */
import { ppcInst } from "../../../../isa/powerpc/inst.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import {
  JUMP_LABEL_JMP,
  jumpEntryCode,
  jumpEntryTarget,
} from "../../../include/linux/jump_label.ts";
import { patchingOps } from "../lib/code-patching-ops.ts";

/** PPC_RAW_NOP(). */
const NOP = 0x6000_0000;

/**
 * Models `arch_jump_label_transform(entry, type)`: patch_branch to the
 * entry's target for JUMP_LABEL_JMP, else patch_instruction of a nop. The
 * kernel ignores both return values.
 */
export const archJumpLabelTransform = kfunc(
  { name: "arch_jump_label_transform", file: "arch/powerpc/kernel/jump_label.c", size: 0x70 },
  function* (c: Ctx, entry: bigint, type: number): KGen<void> {
    const ops = patchingOps(c.k);
    const addr = jumpEntryCode(c.k, entry);
    if (type === JUMP_LABEL_JMP) yield* ops.patchBranch(c, addr, jumpEntryTarget(c.k, entry), 0);
    else yield* ops.patchInstruction(c, addr, ppcInst(NOP));
  },
);

/**
 * What a code-patching variant is written against — the built-in variants and
 * a user's `--variant ./file.js` module alike. A variant names the kernel
 * commit whose arch/powerpc/lib/code-patching.c it models and overrides the
 * functions that differ from its base; everything else is inherited.
 *
 * The building blocks are the simulated kernel's own functions, under their
 * kernel names (camelCase), so a variant reads like the C it models.
 */
import { ppcInst, ppcInstPrefix } from "../isa/powerpc/inst.ts";
import {
  geometry,
  PAGE_KERNEL,
  pdNone,
  pfnPte,
  pteNone,
} from "../linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { pteClear } from "../linux/arch/powerpc/include/asm/book3s/64/pte-update.ts";
import { __setPteAt } from "../linux/arch/powerpc/include/asm/book3s/64/set-pte.ts";
import {
  flushTlbKernelRange,
  localFlushTlbPagePsize,
} from "../linux/arch/powerpc/include/asm/book3s/64/tlbflush.ts";
import { bugOn, warnOn, warnOnceMsg } from "../linux/arch/powerpc/include/asm/bug.ts";
import { localIrqRestore, localIrqSave } from "../linux/arch/powerpc/include/asm/hw_irq.ts";
import { radixEnabled } from "../linux/arch/powerpc/include/asm/mmu.ts";
import { mmIsThreadLocal } from "../linux/arch/powerpc/include/asm/tlb.ts";
import * as base from "../linux/arch/powerpc/lib/code-patching.ts";
import {
  type CodePatchingOps,
  type CodePatchingVariant,
  enablePokingInitDone,
  patchContext,
  patchingOps,
  pokingInitDone,
} from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import { switchMmIrqsOff } from "../linux/arch/powerpc/mm/mmu_context.ts";
import { kfunc } from "../linux/core/kfunc.ts";
import { CPUHP } from "../linux/include/linux/cpuhotplug.ts";
import { ENOMEM, EPERM, ERANGE } from "../linux/include/uapi/errno.ts";
import { cpuhpSetupState } from "../linux/kernel/cpu.ts";
import { mmAlloc, mmput } from "../linux/kernel/fork.ts";
import { initMm } from "../linux/mm/init-mm.ts";
import { getLockedPte, pteUnmapUnlock, virtToKpte } from "../linux/mm/memory.ts";
import { freeVmArea, getVmArea, VM_ALLOC } from "../linux/mm/vmalloc.ts";
import { OpKind } from "../machine/ops.ts";
import { icbiOp, isync, ptesync, st, visible } from "../machine/task-ops.ts";
import { UserError } from "../util/user-error.ts";

export type { CodePatchingOps, CodePatchingVariant };

/** How a variant is declared: its commit, subject, base, and the functions it replaces. */
export interface VariantDefinition {
  /** The kernel commit whose code-patching.c this models (12+ hex digits). */
  readonly commit: string;
  /** The commit's subject line. */
  readonly subject: string;
  /** Short names (`fixed`, `pre-fix`). */
  readonly aliases?: readonly string[];
  /** The variant it starts from; default the built-in 980411a4d1bb. */
  readonly base?: CodePatchingOps;
  /** The functions that differ. */
  readonly overrides: Partial<CodePatchingOps>;
}

const OP_NAMES: readonly (keyof CodePatchingOps)[] = [
  "pokingInit",
  "mmPatchEnabled",
  "textAreaCpuUp",
  "textAreaCpuDown",
  "textAreaCpuUpMm",
  "textAreaCpuDownMm",
  "getPatchPfn",
  "mapPatchArea",
  "unmapPatchArea",
  "putPatchingMm",
  "__patchInstruction",
  "__doPatchInstruction",
  "__doPatchInstructionMm",
  "rawPatchInstruction",
  "patchInstruction",
];

/**
 * Build a variant from its definition: the base's functions with the
 * overrides applied. Bad definitions (from a user's module) are UserErrors.
 */
export function defineVariant(def: VariantDefinition): CodePatchingVariant {
  if (typeof def !== "object" || def === null)
    throw new UserError("variant: definition is not an object");
  if (typeof def.commit !== "string" || !/^[0-9a-f]{7,40}$/.test(def.commit)) {
    throw new UserError(
      `variant: 'commit' must be a kernel commit id in lower-case hex, got ${JSON.stringify(def.commit)}`,
    );
  }
  if (typeof def.subject !== "string" || def.subject.trim() === "") {
    throw new UserError(`variant ${def.commit}: 'subject' must be the commit's subject line`);
  }
  if (typeof def.overrides !== "object" || def.overrides === null) {
    throw new UserError(`variant ${def.commit}: 'overrides' must be an object of functions`);
  }
  for (const [name, fn] of Object.entries(def.overrides)) {
    if (!OP_NAMES.includes(name as keyof CodePatchingOps)) {
      throw new UserError(
        `variant ${def.commit}: unknown function '${name}' (known: ${OP_NAMES.join(", ")})`,
      );
    }
    if (typeof fn !== "function")
      throw new UserError(`variant ${def.commit}: '${name}' is not a function`);
  }
  const aliases = def.aliases ?? [];
  if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== "string")) {
    throw new UserError(`variant ${def.commit}: 'aliases' must be an array of strings`);
  }
  const ops: CodePatchingOps = {
    ...(def.base ?? base.CODE_PATCHING_980411A4D1BB),
    ...def.overrides,
  };
  return { commit: def.commit.slice(0, 12), subject: def.subject, aliases, ops };
}

/**
 * Everything a variant module may use, passed to a user module's default
 * export: `export default (tp) => tp.defineVariant({...})`.
 */
export const variantApi = {
  defineVariant,
  kfunc,
  /** The 980411a4d1bb functions, to call or to start from. */
  base,
  baseOps: base.CODE_PATCHING_980411A4D1BB,
  patchContext,
  patchingOps,
  pokingInitDone,
  enablePokingInitDone,
  // kernel building blocks, by kernel name
  mmAlloc,
  mmput,
  initMm,
  getLockedPte,
  pteUnmapUnlock,
  virtToKpte,
  getVmArea,
  freeVmArea,
  VM_ALLOC,
  cpuhpSetupState,
  CPUHP,
  __setPteAt,
  pteClear,
  pfnPte,
  geometry,
  PAGE_KERNEL,
  pdNone,
  pteNone,
  switchMmIrqsOff,
  mmIsThreadLocal,
  localFlushTlbPagePsize,
  flushTlbKernelRange,
  localIrqSave,
  localIrqRestore,
  radixEnabled,
  warnOn,
  warnOnceMsg,
  bugOn,
  // machine operations
  ptesync,
  isync,
  icbiOp,
  st,
  visible,
  OpKind,
  // instructions and errno
  ppcInst,
  ppcInstPrefix,
  EPERM,
  ENOMEM,
  ERANGE,
} as const;

export type VariantApi = typeof variantApi;

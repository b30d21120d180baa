/**
 * What a code-patching variant is written against — the built-in variants and
 * a user's `--variant ./file.js` module alike. A variant names the kernel
 * commit whose arch/powerpc/lib/code-patching.c it models and overrides the
 * functions that differ from its base; everything else is inherited.
 *
 * The building blocks are the simulated kernel's own functions, under their
 * kernel names (camelCase), so a variant reads like the C it models.
 */
import { BRANCH_SET_LINK, createBranch } from "../isa/powerpc/branch.ts";
import {
  ppcInst,
  ppcInstAsUlong,
  ppcInstPrefix,
  ppcInstPrefixed,
  ppcInstVal,
} from "../isa/powerpc/inst.ts";
import {
  geometry,
  PAGE_KERNEL,
  PAGE_OFFSET,
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
import {
  BUG,
  bugOn,
  warnOn,
  warnOnceMsg,
  warnOnOnce,
} from "../linux/arch/powerpc/include/asm/bug.ts";
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
import { defineSlot, type Kernel, type SlotKey } from "../linux/core/kernel.ts";
import { kfunc, registeredFunctions } from "../linux/core/kfunc.ts";
import type { BugSiteDecl } from "../linux/image/sites.ts";
import { CPUHP } from "../linux/include/linux/cpuhotplug.ts";
import { ENOMEM, EPERM, ERANGE } from "../linux/include/uapi/errno.ts";
import { cpuhpSetupState } from "../linux/kernel/cpu.ts";
import { mmAlloc, mmput } from "../linux/kernel/fork.ts";
import { initMm } from "../linux/mm/init-mm.ts";
import { freePgdRange, getLockedPte, pteUnmapUnlock, virtToKpte } from "../linux/mm/memory.ts";
import { tlbFinishMmu, tlbGatherMmu } from "../linux/mm/mmu_gather.ts";
import {
  freeVmArea,
  getVmArea,
  isVmallocOrModuleAddr,
  VM_ALLOC,
  vmallocToPfn,
} from "../linux/mm/vmalloc.ts";
import { OpKind } from "../machine/ops.ts";
import { icbiOp, isync, ptesync, st, visible } from "../machine/task-ops.ts";
import { UserError } from "../util/user-error.ts";

export type { CodePatchingOps, CodePatchingVariant };

/** How a BUG/WARN check compiles (asm/bug.h): which `tp` function makes it. */
export type BugSiteKind = BugSiteDecl["kind"];

/**
 * A BUG/WARN site of the variant's own code: `tp.warnOn(c, cond, { file,
 * line })` at a line the built-in functions have no check at must be
 * declared, so the image carries its trap word as compiled code would.
 */
export interface VariantBugSite {
  /**
   * The function the check is compiled into: the innermost `tp.kfunc` on
   * the call stack when it runs (an override not wrapped in `tp.kfunc`
   * shares its caller's frame, as an inlined function does).
   */
  readonly fn: string;
  readonly file: string;
  readonly line: number;
  /** `warn-on` (tp.warnOn, the default), `warn-on-once`, `warn-once-msg`, `bug-on`, `bug`. */
  readonly kind?: BugSiteKind;
}

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
  /** WARN/BUG sites in the overrides that the built-in functions do not declare. */
  readonly bugSites?: readonly VariantBugSite[];
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
  "patchBranch",
];

const BUG_SITE_KINDS: readonly BugSiteKind[] = [
  "warn-on",
  "warn-on-once",
  "warn-once-msg",
  "bug-on",
  "bug",
];

/** Check a definition's `bugSites` and turn them into image declarations. */
function bugSitesOf(commit: string, sites: unknown): BugSiteDecl[] {
  if (sites === undefined) return [];
  if (!Array.isArray(sites)) {
    throw new UserError(`variant ${commit}: 'bugSites' must be an array of { fn, file, line }`);
  }
  const known = new Set(registeredFunctions().map((f) => f.name));
  return sites.map((site: unknown, i): BugSiteDecl => {
    const s = site as Partial<VariantBugSite> | null;
    const where = `variant ${commit}: bugSites[${i}]`;
    if (typeof s !== "object" || s === null) throw new UserError(`${where} is not an object`);
    if (typeof s.fn !== "string" || !known.has(s.fn)) {
      throw new UserError(
        `${where}: 'fn' must name a kernel function (a built-in one or one declared with tp.kfunc), got ${JSON.stringify(s.fn)}`,
      );
    }
    if (typeof s.file !== "string" || s.file.trim() === "")
      throw new UserError(`${where}: 'file' must be a source file name`);
    if (typeof s.line !== "number" || !Number.isSafeInteger(s.line) || s.line < 1)
      throw new UserError(`${where}: 'line' must be a line number >= 1`);
    const kind = s.kind ?? "warn-on";
    if (!BUG_SITE_KINDS.includes(kind)) {
      throw new UserError(`${where}: 'kind' must be one of ${BUG_SITE_KINDS.join(", ")}`);
    }
    return { fn: s.fn, file: s.file, line: s.line, kind };
  });
}

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
  const bugSites = bugSitesOf(def.commit, def.bugSites);
  const ops: CodePatchingOps = {
    ...(def.base ?? base.CODE_PATCHING_980411A4D1BB),
    ...def.overrides,
  };
  return {
    commit: def.commit.slice(0, 12),
    subject: def.subject,
    aliases,
    ops,
    ...(bugSites.length !== 0 ? { bugSites } : {}),
  };
}

/** A variant's per-kernel state, made by `defineState`; read it with `state(k, key)`. */
export interface StateKey<T> {
  readonly name: string;
  /** @internal the kernel slot that holds it. */
  readonly slot: SlotKey<T>;
}

/**
 * Throw unless `v` is plain data: undefined, null, booleans, numbers,
 * bigints, strings, arrays, Maps, Sets and plain objects of them.
 */
function checkPlainData(v: unknown, path: string, seen: Set<object>): void {
  if (v === null || v === undefined) return;
  const t = typeof v;
  if (t === "boolean" || t === "number" || t === "bigint" || t === "string") return;
  if (t !== "object") throw new UserError(`${path} is a ${t}: state must be plain data`);
  const o = v as object;
  if (seen.has(o)) return;
  seen.add(o);
  if (Array.isArray(o)) {
    for (const [i, e] of o.entries()) checkPlainData(e, `${path}[${i}]`, seen);
    return;
  }
  if (o instanceof Map) {
    for (const [key, e] of o) {
      checkPlainData(key, `${path} (a key)`, seen);
      checkPlainData(e, `${path}.get(${String(key)})`, seen);
    }
    return;
  }
  if (o instanceof Set) {
    for (const e of o) checkPlainData(e, `${path} (an element)`, seen);
    return;
  }
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto?.constructor as { name?: string } | undefined)?.name ?? "an object";
    throw new UserError(`${path} is an instance of ${name}: state must be plain data`);
  }
  for (const [key, e] of Object.entries(o)) checkPlainData(e, `${path}.${key}`, seen);
}

/**
 * Declare a piece of per-kernel state: `init(k)` makes each kernel's first
 * value, on first use. Each kernel has its own, and it forks with the kernel
 * (the checker's copies of a booted kernel each get theirs), which module
 * globals do not. The value must be plain data — objects, arrays, Maps,
 * Sets, numbers, bigints, strings, booleans — and new for every kernel.
 */
export function defineState<T>(name: string, init: (k: Kernel) => T): StateKey<T> {
  if (typeof name !== "string" || name.trim() === "")
    throw new UserError("defineState: the name must be a non-empty string");
  if (typeof init !== "function")
    throw new UserError(
      `defineState('${name}'): the second argument must be a function (k) => value`,
    );
  const given = new WeakSet<object>();
  const slot = defineSlot<T>(`variant-state:${name}`, (k) => {
    const v = init(k);
    checkPlainData(v, `state '${name}'`, new Set());
    if (typeof v === "object" && v !== null) {
      if (given.has(v)) {
        throw new UserError(
          `state '${name}': init returned a value it already gave another kernel; return a new one each time`,
        );
      }
      given.add(v);
    }
    return v;
  });
  return { name, slot };
}

/** The kernel's value of a state declared with `defineState` (created on first use). */
export function state<T>(k: Kernel, key: StateKey<T>): T {
  return k.slot(key.slot);
}

/**
 * Everything a variant module may use, passed to a user module's default
 * export: `export default (tp) => tp.defineVariant({...})`.
 */
export const variantApi = {
  defineVariant,
  kfunc,
  defineState,
  state,
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
  isVmallocOrModuleAddr,
  vmallocToPfn,
  tlbGatherMmu,
  freePgdRange,
  tlbFinishMmu,
  cpuhpSetupState,
  CPUHP,
  __setPteAt,
  pteClear,
  pfnPte,
  geometry,
  PAGE_KERNEL,
  PAGE_OFFSET,
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
  warnOnOnce,
  warnOnceMsg,
  bugOn,
  BUG,
  /** `__patch_instruction`'s first step: the value's spill to the red zone. */
  spillVal: base.spillVal,
  // machine operations
  ptesync,
  isync,
  icbiOp,
  st,
  visible,
  OpKind,
  // instructions, branches and errno
  ppcInst,
  ppcInstPrefix,
  ppcInstPrefixed,
  ppcInstVal,
  ppcInstAsUlong,
  createBranch,
  BRANCH_SET_LINK,
  EPERM,
  ENOMEM,
  ERANGE,
} as const;

export type VariantApi = typeof variantApi;

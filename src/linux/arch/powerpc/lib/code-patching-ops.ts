/**
 * The seam between the simulated kernel and the code-patching subsystem's
 * historical versions. poking_init, patch_instruction and the CPU-hotplug
 * callbacks dispatch through a `CodePatchingOps` table, so a variant (a
 * kernel commit, built in or loaded from a user's module) replaces exactly
 * the functions that differ and inherits the rest.
 */
import type { PpcInst } from "../../../../isa/powerpc/inst.ts";
import { markShared } from "../../../../util/clone.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../core/kernel.ts";
import { type BugSiteDecl, declareKernelBugSites } from "../../../image/sites.ts";
import type { MmStruct } from "../../../include/linux/mm_types.ts";
import type { VmStruct } from "../../../mm/vmalloc.ts";

/**
 * `struct patch_context` (2f228ee1ade5 onward): one per CPU. `mm` is set on
 * the temporary-mm path, `area` on the vmalloc path; `pte` is the physical
 * address of a cached PTE slot (the vmalloc path's kernel PTE, or the
 * pre-fix temp-mm path's PTE in the patching mm), null when none.
 */
export interface PatchContext {
  area: VmStruct | null;
  mm: MmStruct | null;
  addr: bigint;
  pte: number | null;
}

/** The functions of arch/powerpc/lib/code-patching.c a variant may replace. */
export interface CodePatchingOps {
  /** `poking_init()`, called once from start_kernel. */
  pokingInit(c: Ctx): KGen<void>;
  /** `mm_patch_enabled()`: temporary-mm path (true) or vmalloc path. */
  mmPatchEnabled(k: Kernel): boolean;
  textAreaCpuUp(c: Ctx, cpu: number): KGen<number>;
  textAreaCpuDown(c: Ctx, cpu: number): KGen<number>;
  textAreaCpuUpMm(c: Ctx, cpu: number): KGen<number>;
  textAreaCpuDownMm(c: Ctx, cpu: number): KGen<number>;
  /** `get_patch_pfn(addr)`. */
  getPatchPfn(c: Ctx, addr: bigint): KGen<bigint>;
  mapPatchArea(c: Ctx, addr: bigint, textPokeAddr: bigint): KGen<number>;
  unmapPatchArea(c: Ctx, addr: bigint): KGen<void>;
  putPatchingMm(c: Ctx, mm: MmStruct, patchingAddr: bigint): KGen<void>;
  /** `__patch_instruction(exec_addr, instr, patch_addr)`: the store and cache maintenance. */
  __patchInstruction(c: Ctx, execAddr: bigint, instr: PpcInst, patchAddr: bigint): KGen<number>;
  __doPatchInstruction(c: Ctx, addr: bigint, instr: PpcInst): KGen<number>;
  __doPatchInstructionMm(c: Ctx, addr: bigint, instr: PpcInst): KGen<number>;
  rawPatchInstruction(c: Ctx, addr: bigint, instr: PpcInst): KGen<number>;
  patchInstruction(c: Ctx, addr: bigint, instr: PpcInst): KGen<number>;
  /** `patch_branch(addr, target, flags)`: -ERANGE if out of reach, else patch_instruction. */
  patchBranch(c: Ctx, addr: bigint, target: bigint, flags: number): KGen<number>;
}

/** A version of the subsystem, named by the kernel commit whose state it models. */
export interface CodePatchingVariant {
  /** 12-hex-digit commit id. */
  readonly commit: string;
  /** The commit's subject line. */
  readonly subject: string;
  /** Short names accepted wherever the commit is (`fixed`, `pre-fix`). */
  readonly aliases: readonly string[];
  readonly ops: CodePatchingOps;
  /**
   * BUG/WARN sites of the variant's own code (lines the built-in functions do
   * not have), carried by the image of every kernel that runs the variant.
   */
  readonly bugSites?: readonly BugSiteDecl[];
}

interface PatchingState {
  variant: CodePatchingVariant | null;
  /** The static key `poking_init_done`. */
  pokingInitDone: boolean;
  /** `cpu_patching_context`, by CPU. */
  readonly context: Map<number, PatchContext>;
}

const STATE = defineSlot<PatchingState>("code-patching", () => ({
  variant: null,
  pokingInitDone: false,
  context: new Map(),
}));

/**
 * Install the variant this kernel runs: before its image is built when the
 * variant brings BUG/WARN sites of its own (the image must carry their trap
 * words), in any case before boot.
 */
export function setCodePatchingVariant(k: Kernel, variant: CodePatchingVariant): void {
  declareKernelBugSites(k, variant.bugSites ?? []);
  // A variant is code and constants: forks of the kernel share it (src/util/clone.ts).
  k.slot(STATE).variant = markShared(variant);
}

/** The variant this kernel runs. */
export function codePatchingVariant(k: Kernel): CodePatchingVariant {
  const v = k.slot(STATE).variant;
  if (v === null) throw new Error("no code-patching variant installed");
  return v;
}

/** The dispatch table of the installed variant. */
export function patchingOps(k: Kernel): CodePatchingOps {
  return codePatchingVariant(k).ops;
}

/** `this_cpu_ptr(&cpu_patching_context)` for `cpu`. */
export function patchContext(k: Kernel, cpu: number): PatchContext {
  const all = k.slot(STATE).context;
  let p = all.get(cpu);
  if (p === undefined) {
    p = { area: null, mm: null, addr: 0n, pte: null };
    all.set(cpu, p);
  }
  return p;
}

/** Every CPU's patching context that has been touched (for checkers). */
export function patchContexts(k: Kernel): ReadonlyMap<number, PatchContext> {
  return k.slot(STATE).context;
}

/** `static_branch_likely(&poking_init_done)`. */
export function pokingInitDone(k: Kernel): boolean {
  return k.slot(STATE).pokingInitDone;
}

/**
 * `static_branch_enable(&poking_init_done)`.
 * SIMPLIFICATION: the key is a flag; the jump-label site in patch_instruction
 * is not itself patched.
 */
export function enablePokingInitDone(k: Kernel): void {
  k.slot(STATE).pokingInitDone = true;
}

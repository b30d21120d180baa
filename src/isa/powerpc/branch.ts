/**
 * The kernel's branch helpers: building, recognising, retargeting I-form
 * (`b`, primary opcode 18) and B-form (`bc`, primary opcode 16) branches.
 * Models arch/powerpc/lib/code-patching.c and the inline helpers of
 * arch/powerpc/include/asm/code-patching.h at v6.2, with their exact numeric
 * rules and return values (1 on failure, not an errno).
 *
 * Addresses are unsigned 64-bit bigints, wrapping at 64 bits like the
 * kernel's `unsigned long`; offsets are the kernel's signed `long`.
 *
 * Out-parameters: the C helpers write `*instr` and return an error code. Here
 * they return `{ err, instr }`, where `instr` is the value `*instr` holds when
 * the C function returns. `create_branch` zeroes `*instr` first, so its
 * failure result carries `ppcInst(0)`. `create_cond_branch` and
 * `translate_branch` leave `*instr` untouched on failure, so they take the
 * caller's current value (`prev`, default `ppcInst(0)`) and hand it back
 * unchanged when they fail.
 */
import { s64, u64 } from "../../util/u64.ts";
import { type PpcInst, ppcInst, ppcInstPrimaryOpcode, ppcInstVal } from "./inst.ts";

/** `BRANCH_SET_LINK`: the LK bit (bit 31) of a branch, arch/powerpc/include/asm/code-patching.h. */
export const BRANCH_SET_LINK = 0x1;
/** `BRANCH_ABSOLUTE`: the AA bit (bit 30) of a branch, arch/powerpc/include/asm/code-patching.h. */
export const BRANCH_ABSOLUTE = 0x2;

/** The C convention of these helpers: 0 = success, 1 = failure. */
export interface BranchResult {
  readonly err: 0 | 1;
  /** What the caller's `ppc_inst_t *instr` holds after the call. */
  readonly instr: PpcInst;
}

/**
 * Models `is_offset_in_branch_range()`, arch/powerpc/include/asm/code-patching.h:
 * a signed offset an I-form branch (24-bit LI, word aligned) can encode.
 */
export function isOffsetInBranchRange(off: bigint): boolean {
  return off >= -0x200_0000n && off <= 0x1ff_fffcn && (off & 3n) === 0n;
}

/**
 * Models `is_offset_in_cond_branch_range()`,
 * arch/powerpc/include/asm/code-patching.h: a signed offset a B-form branch
 * (14-bit BD, word aligned) can encode. The upper bound is written 0x7fff in
 * the kernel; the alignment test makes 0x7ffc the largest.
 */
export function isOffsetInCondBranchRange(off: bigint): boolean {
  return off >= -0x8000n && off <= 0x7fffn && (off & 3n) === 0n;
}

/** The kernel's `long offset = target; if (!AA) offset -= addr;`. */
function branchOffset(addr: bigint, target: bigint, flags: number): bigint {
  const t = u64(target);
  return s64(flags & BRANCH_ABSOLUTE ? t : u64(t - u64(addr)));
}

/**
 * Models `create_branch()`, arch/powerpc/include/asm/code-patching.h (static
 * inline): an I-form branch at `addr` to `target`. Only AA and LK are taken from `flags`.
 * `*instr` is set to 0 before the range check, so failure returns
 * `{ err: 1, instr: ppcInst(0) }`.
 */
export function createBranch(addr: bigint, target: bigint, flags: number): BranchResult {
  const off = branchOffset(addr, target, flags);
  if (!isOffsetInBranchRange(off)) return { err: 1, instr: ppcInst(0) };
  const li = Number(BigInt.asUintN(32, off) & 0x03ff_fffcn);
  return { err: 0, instr: ppcInst(0x4800_0000 | (flags & 0x3) | li) };
}

/**
 * Models `create_cond_branch()`, arch/powerpc/lib/code-patching.c: a B-form
 * branch at `addr` to `target`. `flags` & 0x03ff0003 keeps BO, BI, AA and LK.
 * On failure `*instr` is not written: the result carries `prev` unchanged.
 */
export function createCondBranch(
  addr: bigint,
  target: bigint,
  flags: number,
  prev: PpcInst = ppcInst(0),
): BranchResult {
  const off = branchOffset(addr, target, flags);
  if (!isOffsetInCondBranchRange(off)) return { err: 1, instr: prev };
  const bd = Number(BigInt.asUintN(32, off) & 0xfffcn);
  return { err: 0, instr: ppcInst(0x4000_0000 | (flags & 0x03ff_0003) | bd) };
}

/** Models `branch_opcode()`, arch/powerpc/include/asm/code-patching.h: the primary opcode. */
export function branchOpcode(instr: PpcInst): number {
  return ppcInstPrimaryOpcode(instr) & 0x3f;
}

/** Models `instr_is_branch_iform()`, arch/powerpc/include/asm/code-patching.h: opcode 18. */
export function instrIsBranchIform(instr: PpcInst): boolean {
  return branchOpcode(instr) === 18;
}

/** Models `instr_is_branch_bform()`, arch/powerpc/include/asm/code-patching.h: opcode 16. */
export function instrIsBranchBform(instr: PpcInst): boolean {
  return branchOpcode(instr) === 16;
}

/**
 * Models `instr_is_relative_branch()`, arch/powerpc/lib/code-patching.c: an
 * I- or B-form branch with AA clear.
 */
export function instrIsRelativeBranch(instr: PpcInst): boolean {
  if (ppcInstVal(instr) & BRANCH_ABSOLUTE) return false;
  return instrIsBranchIform(instr) || instrIsBranchBform(instr);
}

/**
 * Models `instr_is_relative_link_branch()`, arch/powerpc/lib/code-patching.c:
 * a relative branch with LK set.
 */
export function instrIsRelativeLinkBranch(instr: PpcInst): boolean {
  return instrIsRelativeBranch(instr) && (ppcInstVal(instr) & BRANCH_SET_LINK) !== 0;
}

/**
 * Models `is_conditional_branch()`, arch/powerpc/lib/code-patching.c: `bc*`,
 * or opcode 19 with XO 16 (`bclr`), 528 (`bcctr`), 560 (`bctar`). BO is not
 * looked at, so the unconditional `blr` counts as conditional, as in the kernel.
 */
export function isConditionalBranch(instr: PpcInst): boolean {
  const opcode = ppcInstPrimaryOpcode(instr);
  if (opcode === 16) return true;
  if (opcode === 19) {
    const xo = (ppcInstVal(instr) >>> 1) & 0x3ff;
    return xo === 16 || xo === 528 || xo === 560;
  }
  return false;
}

/**
 * Models `branch_target()` with `branch_iform_target()` /
 * `branch_bform_target()`, arch/powerpc/lib/code-patching.c. The kernel reads
 * the instruction at `ptr`; here the caller passes the instruction and the
 * address it sits at. Returns 0 for anything that is not an I- or B-form
 * branch. The result wraps at 64 bits (`unsigned long`).
 */
export function branchTarget(inst: PpcInst, addr: bigint): bigint {
  const word = ppcInstVal(inst);
  let imm: number;
  if (instrIsBranchIform(inst)) {
    imm = word & 0x03ff_fffc;
    if (imm & 0x0200_0000) imm -= 0x0400_0000;
  } else if (instrIsBranchBform(inst)) {
    imm = word & 0xfffc;
    if (imm & 0x8000) imm -= 0x1_0000;
  } else {
    return 0n;
  }
  const rel = (word & BRANCH_ABSOLUTE) === 0;
  return u64(BigInt(imm) + (rel ? u64(addr) : 0n));
}

/**
 * Models `translate_branch()`, arch/powerpc/lib/code-patching.c: rebuild the
 * branch `srcInst` (found at `src`) so that, placed at `dest`, it reaches the
 * same target. The whole source word is passed as flags, so an I-form keeps
 * AA/LK and a B-form keeps BO/BI/AA/LK; an absolute branch stays absolute.
 * Not a branch: `{ err: 1, instr: prev }` (`*instr` untouched).
 */
export function translateBranch(
  dest: bigint,
  src: bigint,
  srcInst: PpcInst,
  prev: PpcInst = ppcInst(0),
): BranchResult {
  const target = branchTarget(srcInst, src);
  // The kernel passes the u32 word as `int flags`; the masks inside ignore the sign.
  const flags = ppcInstVal(srcInst) | 0;
  if (instrIsBranchIform(srcInst)) return createBranch(dest, target, flags);
  if (instrIsBranchBform(srcInst)) return createCondBranch(dest, target, flags, prev);
  return { err: 1, instr: prev };
}

/** `OP_RT_RA_MASK`, arch/powerpc/include/asm/code-patching.h: opcode, RT, RA of a D-form. */
const OP_RT_RA_MASK = 0xffff_0000;
/** `ADDIS_R2_R12`: `addis r2,r12,…`, the usual first word of an ELFv2 global entry. */
const ADDIS_R2_R12 = 0x3c4c_0000;
/** `LIS_R2`: `lis r2,…`, what the linker may turn that `addis` into. */
const LIS_R2 = 0x3c40_0000;
/** `ADDI_R2_R2`: `addi r2,r2,…`, the second word of the global entry. */
const ADDI_R2_R2 = 0x3842_0000;

/**
 * Models `ppc_function_entry()`, arch/powerpc/include/asm/code-patching.h, for
 * ELFv2: the local entry point of the function at `func` whose first two words
 * are `word0`, `word1` — `func + 8` when they are the TOC-setup pair, else
 * `func`.
 * SIMPLIFICATION: ELFv2 (ppc64le) only; no ELFv1 descriptors, no ppc32.
 */
export function ppcFunctionEntry(word0: number, word1: number, func: bigint): bigint {
  const w0 = (word0 & OP_RT_RA_MASK) >>> 0;
  const w1 = (word1 & OP_RT_RA_MASK) >>> 0;
  if ((w0 === ADDIS_R2_R12 || w0 === LIS_R2) && w1 === ADDI_R2_R2) return u64(func + 8n);
  return u64(func);
}

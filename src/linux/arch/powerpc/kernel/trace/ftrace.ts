/**
 * Dynamic ftrace's arch half on ppc64 with -mprofile-kernel
 * (arch/powerpc/kernel/trace/ftrace.c, v6.2): a traced function starts with
 * `mflr r0; bl _mcount`; `ftrace_make_nop` turns the `bl` into a nop,
 * `ftrace_make_call` into `bl ftrace_caller`, and `ftrace_update_ftrace_func`
 * points the `bl` at `ftrace_call` (inside ftrace_caller) at the tracer.
 * Every change goes through `ftrace_modify_code`: read the word, compare it
 * with the one expected, refuse with -EINVAL when it differs, else
 * patch_instruction.
 *
 * SIMPLIFICATION: the image is far smaller than a branch's reach (32 MiB),
 * so every site is within range of _mcount and ftrace_caller: the
 * long-branch trampolines (ftrace_tramp_text/_init, __ftrace_make_nop_kernel,
 * __ftrace_make_call_kernel) and the module paths (__ftrace_make_nop,
 * __ftrace_make_call through the module's trampolines) are reduced to their
 * refusal; no DYNAMIC_FTRACE_WITH_REGS (ftrace_regs_caller/ftrace_regs_call)
 * nor graph-tracer hooks.
 */
import { type PpcInst, ppcInst, ppcInstVal } from "../../../../../isa/powerpc/inst.ts";
import type { Fault } from "../../../../../machine/mmu/fault.ts";
import { ld } from "../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import type { Kernel } from "../../../../core/kernel.ts";
import { kfunc } from "../../../../core/kfunc.ts";
import { imageSymbol } from "../../../../image/build.ts";
import { EFAULT, EINVAL } from "../../../../include/uapi/errno.ts";
import { coreKernelText } from "../../../../kernel/extable.ts";
import { patchingOps } from "../../lib/code-patching-ops.ts";
import { __pa } from "../vmlinux.ts";

const FILE = "arch/powerpc/kernel/trace/ftrace.c";
const CONFIG = "FUNCTION_TRACER" as const;

/** PPC_RAW_NOP(). */
export const PPC_NOP = 0x6000_0000;
/** `mflr r0`: what precedes every -mprofile-kernel site. */
export const PPC_MFLR_R0 = 0x7c08_02a6;
/** `BRANCH_SET_LINK`. */
const BRANCH_SET_LINK = 1;

/** The `pr_fmt` of arch/powerpc/kernel/trace/ftrace.c. */
function log(k: Kernel) {
  return k.printk.withPrefix("ftrace-powerpc: ");
}

/** An image symbol's address (the ftrace entry points and data are compiled: fixtures/kernel). */
export function ftraceSymbol(k: Kernel, name: string): bigint {
  const s = imageSymbol(k, name);
  if (s === undefined) throw new Error(`no ${name} in the kernel image`);
  return s.address;
}

/**
 * `%p` of a pointer. SIMPLIFICATION: the model has no crng, so the hashing
 * key is never filled and every `%p` prints the placeholder, as the kernel
 * does before the random pool is ready (lib/vsprintf.c).
 */
export function printkPointer(_addr: bigint): string {
  return "(____ptrval____)";
}

/** Models `is_offset_in_branch_range(offset)` (asm/code-patching.h). */
function isOffsetInBranchRange(offset: bigint): boolean {
  return offset >= -0x200_0000n && offset <= 0x1ff_fffcn && (offset & 3n) === 0n;
}

/** Models `ppc_function_entry(func)` (ELFv2): skip a global entry's `addis r2,r12 / addi r2,r2`. */
export function ppcFunctionEntry(k: Kernel, func: bigint): bigint {
  const mem = k.machine.mem;
  const w0 = mem.read32(__pa(func));
  const w1 = mem.read32(__pa(func + 4n));
  const hi = w0 & 0xffff_0000;
  if ((hi === 0x3c4c_0000 || hi === 0x3c40_0000) && (w1 & 0xffff_0000) === 0x3842_0000)
    return func + 8n;
  return func;
}

/** Models `create_branch(&instr, addr, target, flags)`: null when out of range. */
function createBranch(addr: bigint, target: bigint, flags: number): PpcInst | null {
  const offset = target - addr;
  if (!isOffsetInBranchRange(offset)) return null;
  return ppcInst(
    (0x4800_0000 | (flags & 3) | Number(BigInt.asUintN(32, offset) & 0x03ff_fffcn)) >>> 0,
  );
}

/** Models `ftrace_call_replace(ip, addr, link)`: `bl`/`b` to addr's local entry (0 when out of range). */
export function ftraceCallReplace(k: Kernel, ip: bigint, addr: bigint, link: boolean): PpcInst {
  const target = ppcFunctionEntry(k, addr);
  return createBranch(ip, target, link ? BRANCH_SET_LINK : 0) ?? ppcInst(0);
}

/** Models `test_24bit_addr(ip, addr)`. */
function test24bitAddr(k: Kernel, ip: bigint, addr: bigint): boolean {
  return isOffsetInBranchRange(ppcFunctionEntry(k, addr) - ip);
}

/** `copy_inst_from_kernel_nofault()` of a word: null when the load faults. */
export function* copyInstFromKernelNofault(c: Ctx, addr: bigint): KGen<PpcInst | null> {
  const w: bigint | Fault = yield* ld(c.k.machine, c.cpu, addr, 4);
  if (typeof w !== "bigint") return null;
  return ppcInst(Number(w));
}

const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, "0");

/**
 * Models `ftrace_modify_code(ip, old, new)`: -EFAULT if the site cannot be
 * read, -EINVAL (with the kernel's pr_err, which has no newline) if it does
 * not hold `old`, else patch_instruction's result.
 */
export const ftraceModifyCode = kfunc(
  { name: "ftrace_modify_code", file: FILE, inline: true },
  function* (c: Ctx, ip: bigint, old: PpcInst, next: PpcInst): KGen<number> {
    const replaced = yield* copyInstFromKernelNofault(c, ip);
    if (replaced === null) return -EFAULT;
    if (ppcInstVal(replaced) !== ppcInstVal(old)) {
      log(c.k).prErr(
        `${printkPointer(ip)}: replaced (${hex8(ppcInstVal(replaced))}) != old (${hex8(ppcInstVal(old))})`,
        c.current.pid,
      );
      return -EINVAL;
    }
    return yield* patchingOps(c.k).patchInstruction(c, ip, next);
  },
);

/** A core-kernel site out of `bl` reach with no long-branch trampoline: the kernel's pr_err. */
function noTrampoline(c: Ctx, ip: bigint): void {
  log(c.k).prErr(
    `No ftrace trampolines reachable from ${c.k.kallsyms.sprintSymbolNoOffset(ip)}\n`,
    c.current.pid,
  );
}

/**
 * Models `ftrace_make_nop(mod, rec, addr)`: a site in reach of `addr` goes
 * from `bl addr` to a nop through ftrace_modify_code.
 */
export const ftraceMakeNop = kfunc(
  { name: "ftrace_make_nop", file: FILE, size: 0x1c0, config: CONFIG },
  function* (c: Ctx, ip: bigint, addr: bigint): KGen<number> {
    const k = c.k;
    if (test24bitAddr(k, ip, addr)) {
      const old = ftraceCallReplace(k, ip, addr, true);
      return yield* ftraceModifyCode(c, ip, old, ppcInst(PPC_NOP));
    }
    // __ftrace_make_nop_kernel() with no long-branch trampoline in reach.
    if (coreKernelText(k, ip)) noTrampoline(c, ip);
    // Module sites: SIMPLIFICATION (the file comment).
    return -EINVAL;
  },
);

/**
 * Models `ftrace_make_call(rec, addr)`: a nop in reach of `addr` becomes
 * `bl addr` through ftrace_modify_code.
 */
export const ftraceMakeCall = kfunc(
  { name: "ftrace_make_call", file: FILE, size: 0x1a0, config: CONFIG },
  function* (c: Ctx, ip: bigint, addr: bigint): KGen<number> {
    const k = c.k;
    if (test24bitAddr(k, ip, addr)) {
      const next = ftraceCallReplace(k, ip, addr, true);
      return yield* ftraceModifyCode(c, ip, ppcInst(PPC_NOP), next);
    }
    // __ftrace_make_call_kernel(), likewise.
    if (coreKernelText(k, ip)) noTrampoline(c, ip);
    return -EINVAL;
  },
);

/**
 * Models `ftrace_update_ftrace_func(func)`: point the `bl` at ftrace_call at
 * `func`, the old word being whatever ftrace_call holds (ppc_inst_read).
 */
export const ftraceUpdateFtraceFunc = kfunc(
  { name: "ftrace_update_ftrace_func", file: FILE, size: 0xa0, config: CONFIG },
  function* (c: Ctx, func: bigint): KGen<number> {
    const ip = ftraceSymbol(c.k, "ftrace_call");
    const old = yield* copyInstFromKernelNofault(c, ip);
    if (old === null) return -EFAULT;
    const next = ftraceCallReplace(c.k, ip, func, true);
    return yield* ftraceModifyCode(c, ip, old, next);
  },
);

/**
 * Models `ftrace_dyn_arch_init()` (ppc64): set up the long-branch
 * trampolines to ftrace_caller. SIMPLIFICATION: none are needed (the file
 * comment), so it only succeeds.
 */
export function ftraceDynArchInit(_k: Kernel): number {
  return 0;
}

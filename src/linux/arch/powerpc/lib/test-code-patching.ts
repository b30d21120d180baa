/**
 * The code-patching self-tests: arch/powerpc/lib/test-code-patching.c at v6.2
 * (selftests.md §2-§8), a late initcall under CONFIG_CODE_PATCHING_SELFTEST.
 *
 * The checks run on the machine: the branch words are stored to and read
 * back from simulated memory (a two-word array in test_code_patching's stack
 * frame, a vmalloc'd buffer for test_translate_branch), and §5/§7 patch the
 * real `test_trampoline` of the linked fixtures/kernel/test-code-patching.o
 * through patch_instruction. A failing check prints
 * `code-patching: test failed at line N` (KERN_ERR); N is the line of that
 * check in test-code-patching.c as of v6.4 (whose five tests are the v6.2
 * ones), kept as a stable identifier.
 */

import {
  BRANCH_SET_LINK,
  branchTarget,
  createBranch,
  createCondBranch,
  instrIsBranchBform,
  instrIsBranchIform,
  ppcFunctionEntry,
  translateBranch,
} from "../../../../isa/powerpc/branch.ts";
import {
  OP_PREFIX,
  type PpcInst,
  ppcInst,
  ppcInstAsUlong,
  ppcInstEqual,
  ppcInstPrefix,
  ppcInstPrefixed,
  ppcInstVal,
} from "../../../../isa/powerpc/inst.ts";
import { ld, st } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { imageSymbol } from "../../../image/build.ts";
import { lateInitcall } from "../../../include/linux/init.ts";
import { vfree, vmalloc } from "../../../mm/vmalloc.ts";
import { frameSps } from "../kernel/stacktrace.ts";
import { patchingOps } from "./code-patching-ops.ts";

const FILE = "arch/powerpc/lib/test-code-patching.c";

/** The `check(x)` macro: print the failing line at KERN_ERR, never stop. */
function check(c: Ctx, ok: boolean, line: number): void {
  if (!ok) c.k.printk.prErr(`code-patching: test failed at line ${line}\n`, c.current.pid);
}

/** A plain kernel load that must not fault (the kernel would oops). */
function* load32(c: Ctx, addr: bigint): KGen<number> {
  const v = yield* ld(c.k.machine, c.cpu, addr, 4);
  if (typeof v !== "bigint") throw new Error(`load of 0x${addr.toString(16)} faulted`);
  return Number(v);
}

/** `ppc_inst_read(p)`: one word, or prefix and suffix when the first word's opcode is 1. */
function* ppcInstReadMem(c: Ctx, p: bigint): KGen<PpcInst> {
  const w = yield* load32(c, p);
  if (w >>> 26 === OP_PREFIX) return ppcInstPrefix(w, yield* load32(c, p + 4n));
  return ppcInst(w);
}

/** `ppc_inst_write(p, instr)`: a 4-byte store, or one 8-byte store for a prefixed instruction. */
function* ppcInstWriteMem(c: Ctx, p: bigint, instr: PpcInst): KGen<void> {
  const f = ppcInstPrefixed(instr)
    ? yield* st(c.k.machine, c.cpu, p, 8, ppcInstAsUlong(instr))
    : yield* st(c.k.machine, c.cpu, p, 4, BigInt(ppcInstVal(instr)));
  if (f !== null) throw new Error(`store to 0x${p.toString(16)} faulted`);
}

/** `instr_is_branch_to_addr(p, addr)`: an I- or B-form branch at `p` whose target is `addr`. */
function* instrIsBranchToAddr(c: Ctx, p: bigint, addr: bigint): KGen<boolean> {
  const instr = yield* ppcInstReadMem(c, p);
  if (instrIsBranchIform(instr) || instrIsBranchBform(instr))
    return branchTarget(instr, p) === BigInt.asUintN(64, addr);
  return false;
}

/** `ppc_function_entry(func)` for a function of the kernel image. */
function* ppcFunctionEntryOf(c: Ctx, name: string): KGen<bigint> {
  const sym = imageSymbol(c.k, name);
  if (sym === undefined) throw new Error(`kernel image has no symbol ${name}`);
  const w0 = yield* load32(c, sym.address);
  const w1 = yield* load32(c, sym.address + 4n);
  return ppcFunctionEntry(w0, w1, sym.address);
}

const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** Models `test_branch_iform()` (inlined); `addr` is the two-word `tmp` array. */
function* testBranchIform(c: Ctx, addr: bigint): KGen<void> {
  const is = (w: number) => instrIsBranchIform(ppcInst(w));
  check(c, is(0x4800_0000), 39);
  check(c, is(0x4bff_ffff), 41);
  check(c, !is(0xcbff_ffff), 43);
  check(c, !is(0x7bff_ffff), 45);
  check(c, is(0x4800_0001), 48);
  check(c, is(0x4bff_fffd), 50);
  check(c, is(0x4bff_00fd), 52);
  check(c, !is(0x7bff_fffd), 54);

  const at = function* (word: number, target: bigint, line: number): KGen<void> {
    yield* ppcInstWriteMem(c, addr, ppcInst(word));
    check(c, yield* instrIsBranchToAddr(c, addr, target), line);
  };
  yield* at(0x4800_0103, 0x100n, 58);
  yield* at(0x4804_20ff, 0x420fcn, 61);
  yield* at(0x49ff_fffc, addr + 0x1ff_fffcn, 64);
  yield* at(0x4bff_fffc, addr - 4n, 67);
  yield* at(0x4a00_0000, addr - 0x200_0000n, 70);

  const create = function* (target: bigint, flags: number, line: number): KGen<void> {
    const { instr } = createBranch(addr, u64(target), flags);
    yield* ppcInstWriteMem(c, addr, instr);
    check(c, yield* instrIsBranchToAddr(c, addr, target), line);
  };
  yield* create(addr, BRANCH_SET_LINK, 75);
  yield* create(addr - 0x100n, BRANCH_SET_LINK, 80);
  yield* create(addr + 0x100n, 0, 85);
  yield* create(addr - 0x200_0000n, BRANCH_SET_LINK, 90);
  check(c, createBranch(addr, u64(addr - 0x200_0004n), BRANCH_SET_LINK).err !== 0, 94);
  check(c, createBranch(addr, addr + 0x200_0000n, BRANCH_SET_LINK).err !== 0, 98);
  check(c, createBranch(addr, addr + 3n, BRANCH_SET_LINK).err !== 0, 102);
  // Check flags are masked correctly
  const { instr } = createBranch(addr, addr, 0xffff_fffc | 0);
  yield* ppcInstWriteMem(c, addr, instr);
  check(c, yield* instrIsBranchToAddr(c, addr, addr), 107);
  check(c, ppcInstEqual(instr, ppcInst(0x4800_0000)), 108);
}

/** Models `test_branch_bform()` (inlined). */
function* testBranchBform(c: Ctx, addr: bigint): KGen<void> {
  const is = (w: number) => instrIsBranchBform(ppcInst(w));
  check(c, is(0x4000_0000), 137);
  check(c, is(0x43ff_ffff), 139);
  check(c, !is(0xc3ff_ffff), 141);
  check(c, !is(0x7bff_ffff), 143);

  const at = function* (word: number, target: bigint, line: number): KGen<void> {
    yield* ppcInstWriteMem(c, addr, ppcInst(word));
    check(c, yield* instrIsBranchToAddr(c, addr, target), line);
  };
  yield* at(0x43ff_0103, 0x100n, 147);
  yield* at(0x43ff_20ff, 0x20fcn, 150);
  yield* at(0x43ff_7ffc, addr + 0x7ffcn, 153);
  yield* at(0x43ff_fffc, addr - 4n, 156);
  yield* at(0x43ff_8000, addr - 0x8000n, 159);

  // All condition code bits set & link
  const flags = 0x3f_f000 | BRANCH_SET_LINK;
  let instr = ppcInst(0);
  const create = function* (target: bigint, line: number): KGen<void> {
    instr = createCondBranch(addr, u64(target), flags, instr).instr;
    yield* ppcInstWriteMem(c, addr, instr);
    check(c, yield* instrIsBranchToAddr(c, addr, target), line);
  };
  yield* create(addr, 167);
  yield* create(addr - 0x100n, 172);
  yield* create(addr + 0x100n, 177);
  yield* create(addr - 0x8000n, 182);
  check(c, createCondBranch(addr, u64(addr - 0x8004n), flags, instr).err !== 0, 186);
  check(c, createCondBranch(addr, addr + 0x8000n, flags, instr).err !== 0, 190);
  check(c, createCondBranch(addr, addr + 3n, flags, instr).err !== 0, 194);
  // Check flags are masked correctly
  instr = createCondBranch(addr, addr, 0xffff_fffc | 0, instr).instr;
  yield* ppcInstWriteMem(c, addr, instr);
  check(c, yield* instrIsBranchToAddr(c, addr, addr), 199);
  check(c, ppcInstEqual(instr, ppcInst(0x43ff_0000)), 200);
}

/**
 * Models `test_create_function_call()`: patch a `bl test_create_function_call`
 * over test_trampoline's entry through the real patch_instruction.
 */
const testCreateFunctionCall = kfunc(
  { name: "test_create_function_call", file: FILE, init: true, size: 0xb0 },
  function* (c: Ctx): KGen<void> {
    const iptr = yield* ppcFunctionEntryOf(c, "test_trampoline");
    const dest = yield* ppcFunctionEntryOf(c, "test_create_function_call");
    const { instr } = createBranch(iptr, dest, BRANCH_SET_LINK);
    yield* patchingOps(c.k).patchInstruction(c, iptr, instr);
    check(c, yield* instrIsBranchToAddr(c, iptr, dest), 122);
  },
);

/** One translate_branch row (selftests.md §6): create at p, move to q, check both. */
interface TranslateRow {
  readonly p: bigint;
  readonly target: bigint;
  readonly cond: boolean;
  readonly flags: number;
  readonly q: bigint;
  /** Line of the check of p before the move (rows 1 and 6), else null. */
  readonly pBefore: number | null;
  /** Line of the check of p after the move, or null. */
  readonly pAfter: number | null;
  readonly qLine: number;
  /** The word expected at q, with the line of that check. */
  readonly word?: readonly [number, number];
}

/** Models `test_translate_branch()` (inlined). */
function* testTranslateBranch(c: Ctx): KGen<void> {
  const ps = c.k.config.pageSize;
  const buf = yield* vmalloc(c, Math.ceil((0x200_0000 + 1) / ps) * ps);
  check(c, buf !== null, 211);
  if (buf === null) return;
  const B = buf;
  const rows: TranslateRow[] = [
    // I-form
    { p: B, target: B, cond: false, flags: 0, q: B + 4n, pBefore: 220, pAfter: null, qLine: 224 },
    {
      p: B,
      target: B,
      cond: false,
      flags: 0,
      q: B + 0x200_0000n,
      pBefore: null,
      pAfter: 234,
      qLine: 235,
      word: [0x4a00_0000, 236],
    },
    {
      p: B + 0x200_0000n,
      target: B + 0x200_0000n,
      cond: false,
      flags: 0,
      q: B + 4n,
      pBefore: null,
      pAfter: 246,
      qLine: 247,
      word: [0x49ff_fffc, 248],
    },
    {
      p: B,
      target: B + 0x100_0000n,
      cond: false,
      flags: BRANCH_SET_LINK,
      q: B + 0x140_0000n,
      pBefore: null,
      pAfter: 258,
      qLine: 259,
    },
    {
      p: B + 0x100_0000n,
      target: B + 0x200_0000n,
      cond: false,
      flags: 0,
      q: B + 4n,
      pBefore: null,
      pAfter: 269,
      qLine: 270,
    },
    // B-form
    { p: B, target: B, cond: true, flags: 0, q: B + 4n, pBefore: 280, pAfter: null, qLine: 284 },
    {
      p: B,
      target: B,
      cond: true,
      flags: 0xffff_fffc | 0,
      q: B + 0x8000n,
      pBefore: null,
      pAfter: 294,
      qLine: 295,
      word: [0x43ff_8000, 296],
    },
    {
      p: B + 0x8000n,
      target: B + 0x8000n,
      cond: true,
      flags: 0xffff_fffc | 0,
      q: B + 4n,
      pBefore: null,
      pAfter: 306,
      qLine: 307,
      word: [0x43ff_7ffc, 308],
    },
    {
      p: B,
      target: B + 0x3000n,
      cond: true,
      flags: BRANCH_SET_LINK,
      q: B + 0x5000n,
      pBefore: null,
      pAfter: 318,
      qLine: 319,
    },
    {
      p: B + 0x2000n,
      target: B + 0x4000n,
      cond: true,
      flags: 0,
      q: B + 4n,
      pBefore: null,
      pAfter: 329,
      qLine: 330,
    },
  ];
  // `instr` is one variable across the whole function, as in the C code.
  let instr = ppcInst(0);
  for (const r of rows) {
    instr = r.cond
      ? createCondBranch(r.p, r.target, r.flags, instr).instr
      : createBranch(r.p, r.target, r.flags).instr;
    yield* ppcInstWriteMem(c, r.p, instr);
    if (r.pBefore !== null) check(c, yield* instrIsBranchToAddr(c, r.p, r.target), r.pBefore);
    instr = translateBranch(r.q, r.p, yield* ppcInstReadMem(c, r.p), instr).instr;
    yield* ppcInstWriteMem(c, r.q, instr);
    if (r.pAfter !== null) check(c, yield* instrIsBranchToAddr(c, r.p, r.target), r.pAfter);
    check(c, yield* instrIsBranchToAddr(c, r.q, r.target), r.qLine);
    if (r.word !== undefined) {
      const [w, line] = r.word;
      check(c, ppcInstEqual(yield* ppcInstReadMem(c, r.q), ppcInst(w)), line);
    }
  }
  // Free the buffer we were using
  yield* vfree(c, buf);
}

/** Models `test_prefixed_patching()` (inlined): an 8-byte patch of test_trampoline. */
function* testPrefixedPatching(c: Ctx): KGen<void> {
  if (!c.k.config.bool("PPC64")) return;
  const iptr = yield* ppcFunctionEntryOf(c, "test_trampoline");
  const inst = ppcInstPrefix(OP_PREFIX << 26, 0);
  yield* patchingOps(c.k).patchInstruction(c, iptr, inst);
  const w0 = yield* load32(c, iptr);
  const w1 = yield* load32(c, iptr + 4n);
  check(c, w0 === OP_PREFIX << 26 && w1 === 0, 347);
}

/** Offset of the `u32 tmp[2]` local in test_code_patching's frame (above the ELFv2 header). */
const TMP_IN_FRAME = 0x20n;

/**
 * Models `test_code_patching()`, the late initcall: the banner, then the five
 * tests in the kernel's order. Always returns 0.
 * The kernel builds the file only with CONFIG_CODE_PATCHING_SELFTEST; here
 * the initcall is always registered and returns at once without it.
 */
export const testCodePatching = lateInitcall(
  { name: "test_code_patching", file: FILE, size: 0x5c0 },
  function* (c: Ctx): KGen<number> {
    if (!c.k.config.bool("CODE_PATCHING_SELFTEST")) return 0;
    c.k.printk.prInfo("Running code patching self-tests ...\n", c.current.pid);
    const sp = frameSps(c.current, c.current.stack).at(-1);
    if (sp === undefined) throw new Error("test_code_patching runs without a frame");
    const tmp = sp + TMP_IN_FRAME;
    yield* testBranchIform(c, tmp);
    yield* testBranchBform(c, tmp);
    yield* testCreateFunctionCall(c);
    yield* testTranslateBranch(c);
    yield* testPrefixedPatching(c);
    return 0;
  },
);

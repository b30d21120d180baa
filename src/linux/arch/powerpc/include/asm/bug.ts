/**
 * BUG_ON / BUG / WARN_ON / WARN_ON_ONCE as the ppc64 kernel compiles them
 * (arch/powerpc/include/asm/bug.h at v6.2; boot-and-oops.md §3): a trap
 * instruction at a site inside the function that contains the check
 * (`tdnei rX,0` on the condition's register for BUG_ON/WARN_ON, `twi 31,0,0`
 * for BUG/WARN) plus a bug-table entry with file, line and flags. When the
 * condition holds, the trap raises a program interrupt on the machine
 * (SRR0 = trap address, SRR1 trap reason) and the kernel's handler runs:
 * a BUG never returns, a WARN prints and returns.
 *
 * The site's address is the function on top of the current call stack (the
 * one the check was compiled into, inlining included) plus a stable offset
 * (`siteOffset`, or an explicit one), so traps have real addresses in kallsyms.
 */
import { programInterrupt } from "../../../../../machine/exceptions.ts";
import { OpKind } from "../../../../../machine/ops.ts";
import { SRR1_PROGTRAP } from "../../../../../machine/registers.ts";
import { visible } from "../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import { defineSlot } from "../../../../core/kernel.ts";
import { siteOffset } from "../../../../core/kfunc.ts";
import { __warnPrintk, TAINT_WARN } from "../../../../kernel/panic.ts";
import {
  BUGFLAG_NO_CUT_HERE,
  BUGFLAG_ONCE,
  BUGFLAG_TAINT,
  BUGFLAG_WARNING,
  registerBugEntry,
} from "../../../../lib/bug.ts";
import { programCheckException } from "../../kernel/die.ts";
import type { PtRegs } from "../../kernel/process.ts";
import {
  functionAddress,
  INT_FRAME_SIZE,
  innermostFrameSp,
  STACK_FRAME_OVERHEAD,
} from "../../kernel/stacktrace.ts";
import { irqSoftMaskReturn } from "./hw_irq.ts";

/** Where a check sits in the source: what its bug-table entry records. */
export interface BugSite {
  /** Source file relative to the tree root, e.g. "arch/powerpc/mm/pgtable.c". */
  readonly file: string;
  readonly line: number;
  /**
   * Offset of the trap inside the containing function, when known from a
   * real build (the seed's `assert_pte_locked+0x180`); default `siteOffset`.
   */
  readonly offset?: number;
  /** Offset of the return address of the function's last call before the trap (the LR). */
  readonly lrOffset?: number;
  /** The register `tdnei` tests (default r9, as in the seed's `0b090000`). */
  readonly reg?: number;
}

/** `tdnei rX,0` (D-form, PO 2, TO 24): traps when rX != 0. */
export function tdneiWord(reg: number): number {
  return ((2 << 26) | (24 << 21) | ((reg & 31) << 16)) >>> 0;
}
/** Is `word` one of the trap instructions (tdi, twi, td, tw)? */
function isTrapWord(word: number): boolean {
  const po = word >>> 26;
  if (po === 2 || po === 3) return true;
  const xo = (word >>> 1) & 0x3ff;
  return po === 31 && (xo === 4 || xo === 68);
}

/** `twi 31,0,0`: the unconditional trap of BUG() / WARN(). */
export const TWI_31_0_0 = 0x0fe0_0000;

/**
 * Trap at `site` in the current function: register the bug entry, set up
 * the architected state, raise the program interrupt and run the handler.
 * Returns only for a WARN.
 */
function* trap(c: Ctx, site: BugSite, flags: number, conditional: boolean): KGen<void> {
  const k = c.k;
  const stack = c.current.stack;
  const top = stack[stack.length - 1];
  if (top === undefined) throw new Error("BUG/WARN outside any kernel function");
  const fn = top.fn;
  const base = functionAddress(k, fn);
  const off = site.offset ?? siteOffset(fn, `bug ${site.file}:${site.line}`);
  const addr = base + BigInt(off);
  // The image carries every site's trap word (src/linux/image/bug-sites.ts), as
  // compiled code does; a site missing there would trap on a non-trap word,
  // which the program-check path (kprobes first) cannot recognise.
  const word = k.machine.mem.read32(Number(addr - 0xc000_0000_0000_0000n));
  if (!isTrapWord(word)) {
    throw new Error(
      `BUG/WARN site ${site.file}:${site.line} in ${fn.name} has no trap word in the image: declare it in src/linux/image/bug-sites.ts (a variant's own: in its definition's bugSites, with fn '${fn.name}')`,
    );
  }
  registerBugEntry(k, { bugAddr: addr, file: site.file, line: site.line, flags });
  yield* visible(c.cpu, OpKind.OTHER, "trap", addr);
  const cpu = c.cpu;
  const sp = innermostFrameSp(c.current, stack)!;
  const lr = base + BigInt(site.lrOffset ?? Math.max(16, off - 16));
  cpu.gpr[1] = sp;
  if (conditional) cpu.gpr[site.reg ?? 9] = 1n;
  cpu.lr = lr;
  const softe = irqSoftMaskReturn(k, cpu.id);
  const snapshot = stack.slice();
  programInterrupt(cpu, addr, SRR1_PROGTRAP);
  const regs: PtRegs = {
    gpr: Array.from(cpu.gpr),
    nip: cpu.srr0,
    msr: cpu.srr1,
    // CFAR: the last branch before the trap, taken as the return from that call.
    origGpr3: lr - 4n,
    ctr: cpu.ctr,
    link: cpu.lr,
    xer: BigInt(cpu.xer >>> 0),
    ccr: BigInt(cpu.cr >>> 0),
    softe: BigInt(softe),
    trap: 0x700,
    dar: cpu.dar,
    dsisr: BigInt(cpu.dsisr >>> 0),
    address: sp - BigInt(INT_FRAME_SIZE) + BigInt(STACK_FRAME_OVERHEAD),
  };
  yield* programCheckException(c, regs, snapshot);
}

/** Models `BUG_ON(cond)`: a `tdnei` that traps when `cond` holds; never returns then. */
export function* bugOn(c: Ctx, cond: boolean, site: BugSite): KGen<void> {
  if (!cond) return;
  yield* trap(c, site, 0, true);
  throw new Error(`BUG_ON at ${site.file}:${site.line} returned`);
}

/** Models `BUG()`: never returns. */
export function* BUG(c: Ctx, site: BugSite): KGen<never> {
  yield* trap(c, site, 0, false);
  throw new Error(`BUG at ${site.file}:${site.line} returned`);
}

/** Models `WARN_ON(cond)`: reports (taint W) and continues; returns `cond`. */
export function* warnOn(c: Ctx, cond: boolean, site: BugSite): KGen<boolean> {
  if (cond) yield* trap(c, site, BUGFLAG_WARNING | BUGFLAG_TAINT(TAINT_WARN), true);
  return cond;
}

/** Models `WARN_ON_ONCE(cond)`: reports the first time only; returns `cond`. */
export function* warnOnOnce(c: Ctx, cond: boolean, site: BugSite): KGen<boolean> {
  if (cond) {
    yield* trap(c, site, BUGFLAG_WARNING | BUGFLAG_ONCE | BUGFLAG_TAINT(TAINT_WARN), true);
  }
  return cond;
}

/**
 * Models `WARN_ONCE(cond, fmt...)`: the first time `cond` holds, print the
 * cut line and the message, then trap with NO_CUT_HERE so report_bug prints
 * only the WARNING block. Returns `cond`.
 */
export function* warnOnceMsg(c: Ctx, cond: boolean, site: BugSite, message: string): KGen<boolean> {
  if (!cond) return false;
  const key = `${site.file}:${site.line}`;
  const done = c.k.slot(WARNED_ONCE);
  if (done.has(key)) return true;
  done.add(key);
  c.k.printk.printLines(__warnPrintk(message));
  yield* trap(
    c,
    site,
    BUGFLAG_WARNING | BUGFLAG_ONCE | BUGFLAG_NO_CUT_HERE | BUGFLAG_TAINT(TAINT_WARN),
    false,
  );
  return true;
}

/** WARN_ONCE sites that have fired (the `__already_done` flags of the kernel). */
const WARNED_ONCE = defineSlot("warn-once", () => new Set<string>());

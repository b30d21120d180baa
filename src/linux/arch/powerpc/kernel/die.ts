/**
 * The control flow of a kernel-mode program check on powerpc (the text of
 * the oops is in traps.ts, split from the same kernel file): models
 * `program_check_exception` / `do_program_check`, `_exception`, `die`,
 * `oops_begin`, `__die` and `oops_end` of arch/powerpc/kernel/traps.c at
 * v6.2 (boot-and-oops.md §4).
 */
import { rfid } from "../../../../machine/exceptions.ts";
import { SRR1_PROGFPE, SRR1_PROGILL, SRR1_PROGTRAP } from "../../../../machine/registers.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../core/kernel.ts";
import { type Frame, kfunc } from "../../../core/kfunc.ts";
import { mdelay } from "../../../include/linux/delay.ts";
import { makeTaskDead } from "../../../kernel/exit.ts";
import { moduleInfos, printModulesOf } from "../../../kernel/module/list.ts";
import type { ModuleInfo } from "../../../kernel/module/main.ts";
import { addTaintTo, getTaint, panicState, TAINT_DIE } from "../../../kernel/panic.ts";
import { doPanic } from "../../../kernel/panic-flow.ts";
import { reportBug, type WarnContext } from "../../../lib/bug.ts";
import { hardIrqDisable, PACA_IRQ_HARD_DIS, pacaIrq } from "../include/asm/hw_irq.ts";
import { type InterruptRegs, interruptReturn } from "./interrupt.ts";
import { kprobeHandler } from "./kprobes-handler.ts";
import { MSR_PR, type PtRegs, type ShowRegsInput, showRegs } from "./process.ts";
import { dumpStackInfo, staleLrSlot, unwind } from "./stacktrace.ts";
import { __die, type DieConfig, oopsEndLines } from "./traps.ts";

/** Signal numbers (include/uapi/asm-generic/signal.h). */
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;

/** traps.c's globals. */
interface DieState {
  /** `die_counter`. */
  dieCounter: number;
  /** `oops_in_progress` (bust_spinlocks). */
  oopsInProgress: number;
  /** `die_owner` / `die_nest_count`. */
  dieOwner: number;
  dieNestCount: number;
}

const DIE = defineSlot(
  "die",
  (): DieState => ({ dieCounter: 0, oopsInProgress: 0, dieOwner: -1, dieNestCount: 0 }),
);

/** `oops_in_progress` of the running kernel (nonzero while an oops prints). */
export function oopsInProgress(k: Kernel): number {
  return k.slot(DIE).oopsInProgress;
}

/** The build and platform facts of the `__die()` configuration line. */
export function dieConfig(k: Kernel): DieConfig {
  const cfg = k.config;
  return {
    littleEndian: cfg.bool("CPU_LITTLE_ENDIAN"),
    pageSize: cfg.pageSize,
    mmu: k.machine.mmu,
    preempt: cfg.bool("PREEMPT"),
    smp: cfg.bool("SMP"),
    nrCpus: cfg.int("NR_CPUS"),
    debugPagealloc: false,
    numa: cfg.bool("NUMA"),
    machineName: cfg.bool("PPC_POWERNV") ? "PowerNV" : "",
  };
}

/** A kernel instruction word for `show_instructions()`: readable kernel text only. */
function readKernelText(k: Kernel, address: bigint): number | undefined {
  const img = k.image;
  const inText =
    img === undefined
      ? address >= 0xc000_0000_0000_0000n
      : (address >= img.stext && address < img.etext) ||
        (!k.initMemIsFree && address >= img.initBegin && address < img.initEnd);
  if (!inText) return undefined;
  const pa = address - 0xc000_0000_0000_0000n;
  if (!k.machine.mem.contains(Number(pa), 4)) return undefined;
  return k.machine.mem.read32(Number(pa));
}

/** What `show_regs()` prints for the current task, whose stack at the trap was `stack`. */
export function showRegsInput(c: Ctx, stack: readonly Frame[]): ShowRegsInput {
  const k = c.k;
  const frames = unwind(k, c.current, stack, 0n);
  const first = frames[0];
  if (first !== undefined) frames[0] = { sp: first.sp, ip: staleLrSlot(k, first.sp) };
  return {
    taint: getTaint(k),
    release: k.release,
    kallsyms: k.kallsyms,
    task: dumpStackInfo(k, c.cpu.id, c.current),
    frames,
    readInstruction: (a) => readKernelText(k, a),
  };
}

/**
 * Models `program_check_exception()` → `do_program_check()`: see
 * `doProgramCheck`. `stack` is the task's call stack at the trap.
 */
export const programCheckException = kfunc(
  { name: "program_check_exception", file: "arch/powerpc/kernel/traps.c", size: 0x90 },
  function* (c: Ctx, regs: PtRegs, stack: readonly Frame[]): KGen<void> {
    return yield* doProgramCheck(c, regs, stack);
  },
);

/**
 * Models `emulation_assist_interrupt()` (traps.c, v6.2): the Hypervisor
 * Emulation Assistance interrupt (0xE40), which an illegal instruction
 * raises when running in hypervisor mode on POWER6 and later, is handled as
 * a program check for an illegal instruction — `regs->msr |= REASON_ILLEGAL`,
 * then `do_program_check()`. In kernel mode that ends in `die()` with
 * SIGILL: the handler never returns then.
 * SIMPLIFICATION: not given a kallsyms entry (no `kfunc`), so as not to move
 * the image's other functions; its frame shows in no stack dump.
 */
export function* emulationAssistInterrupt(
  c: Ctx,
  regs: InterruptRegs,
  stack: readonly Frame[],
): KGen<void> {
  regs.msr |= BigInt(SRR1_PROGILL);
  return yield* doProgramCheck(c, regs, stack);
}

/**
 * Models `do_program_check()` (traps.c, v6.2) for a kernel-mode program
 * check, by the reason bits of SRR1 (`get_reason(regs)` = regs->msr):
 * - FP (REASON_FP): `parse_fpe()` → `_exception(SIGFPE)` → die;
 * - a trap (REASON_TRAP): `kprobe_handler()` first — a kprobe's trap
 *   returns through the frame it changed; otherwise no debugger or die
 *   notifier claims it and `report_bug()` decides: a WARN resumes after the
 *   trap (`regs->nip += 4`, return from interrupt) and this returns; a BUG
 *   (or a trap not in the bug table) goes to `_exception(SIGTRAP)` → die;
 * - anything else taken in the kernel skips the user-space emulation and
 *   goes to `sigill:` — `_exception(SIGILL, regs, ILL_PRVOPC or ILL_ILLOPC)`
 *   → die.
 * `_exception()` → `exception_common()` in kernel mode is
 * `die("Exception in kernel mode", regs, signr)`, which never returns.
 * SIMPLIFICATION: user-mode program checks (signals, emulation) and the TM
 * "Bad Thing" case are not modelled: they die as a kernel-mode check would.
 */
function* doProgramCheck(c: Ctx, regs: PtRegs, stack: readonly Frame[]): KGen<void> {
  const reason = Number(regs.msr & 0xffff_ffffn);
  if ((reason & SRR1_PROGFPE) !== 0) {
    return yield* die(c, "Exception in kernel mode", regs, SIGFPE, stack);
  }
  if ((reason & SRR1_PROGTRAP) === 0) {
    return yield* die(c, "Exception in kernel mode", regs, SIGILL, stack);
  }
  // do_program_check: kprobes come before the die notifiers and report_bug.
  const frame: InterruptRegs = { ...regs, gpr: [...regs.gpr] };
  if (yield* kprobeHandler(c, frame)) {
    interruptReturn(c.cpu, frame);
    return;
  }
  if ((regs.msr & MSR_PR) === 0n) {
    const warn = (): WarnContext => ({
      cpu: c.cpu.id,
      pid: c.current.pid,
      caller: c.k.kallsyms.sprintSymbol(regs.nip),
      modules: [printModulesOf(c.k)],
      regsOrStack: showRegs(regs, showRegsInput(c, stack)),
    });
    const type = yield* reportBug(c, regs.nip, warn);
    if (type === "warn") {
      c.cpu.srr0 = regs.nip + 4n;
      rfid(c.cpu);
      return;
    }
  }
  // _exception(SIGTRAP, regs, TRAP_BRKPT, nip): not user mode → die().
  return yield* die(c, "Exception in kernel mode", regs, SIGTRAP, stack);
}

/**
 * Models `die(str, regs, err)`: `oops_begin()` (interrupts hard-disabled,
 * die lock, oops in progress), `__die()` (the Oops block), `oops_end()`
 * (taint D, end marker, the 1 s delay when the kernel will panic, then
 * `panic("Fatal exception")` with panic_on_oops or `make_task_dead()`).
 * SIMPLIFICATION: the die lock is not contended (one oops at a time), no
 * debugger, notifier, fadump or kexec.
 */
export const die = kfunc(
  { name: "die", file: "arch/powerpc/kernel/traps.c", size: 0x160 },
  function* (c: Ctx, str: string, regs: PtRegs, err: number, stack: readonly Frame[]): KGen<never> {
    const k = c.k;
    const s = k.slot(DIE);
    // oops_begin()
    s.oopsInProgress++;
    const paca = pacaIrq(k, c.cpu.id);
    const savedMask = paca.irqSoftMask;
    hardIrqDisable(c);
    s.dieOwner = c.cpu.id;
    s.dieNestCount++;
    // __die()
    s.dieCounter++;
    const lines = __die(str, regs, err, {
      ...showRegsInput(c, stack),
      config: dieConfig(k),
      ...modulesForDie(k),
      dieCounter: s.dieCounter,
    });
    k.printk.printLines(lines, c.current.pid);
    // oops_end()
    addTaintTo(k, TAINT_DIE);
    s.dieNestCount--;
    if (s.dieNestCount === 0) s.dieOwner = -1;
    k.printk.printLines(oopsEndLines(), c.current.pid);
    s.oopsInProgress--;
    paca.irqSoftMask = savedMask;
    paca.irqHappened &= ~PACA_IRQ_HARD_DIS;
    const ps = panicState(k);
    if (ps.panicOnOops || c.current.pid === 0 || c.current.pid === 1) yield* mdelay(c, 1000);
    if (ps.panicOnOops) yield* doPanic(c, "Fatal exception");
    // SIMPLIFICATION: the CPU leaves interrupt state here (MSR from the
    // frame's, as SRR1 of a program check holds it — an HSRR interrupt's is in
    // HSRR1), as the dying task would once it schedules away.
    c.cpu.srr0 = regs.nip;
    c.cpu.srr1 = regs.msr;
    rfid(c.cpu);
    return yield* makeTaskDead(c, err);
  },
);

/** print_modules()'s input for __die: the loaded modules and the last unloaded one. */
function modulesForDie(k: Kernel): { modules: ModuleInfo[]; lastUnloadedModule?: string } {
  const { modules, lastUnloaded } = moduleInfos(k);
  return lastUnloaded === undefined ? { modules } : { modules, lastUnloadedModule: lastUnloaded };
}

/** CPUs in NMI context (`nmi_enter()` without its `nmi_exit()`): `in_nmi()`. */
const IN_NMI = defineSlot("in-nmi", (): boolean[] => []);

/**
 * `nmi_enter()` / `nmi_exit()` around an NMI handler (the
 * DEFINE_INTERRUPT_HANDLER_NMI wrappers of asm/interrupt.h). Only what
 * `in_nmi()` and `in_interrupt()` answer is modelled.
 */
export function nmiEnter(c: Ctx): void {
  c.k.slot(IN_NMI)[c.cpu.id] = true;
}
export function nmiExit(c: Ctx): void {
  c.k.slot(IN_NMI)[c.cpu.id] = false;
}
/** `in_nmi()` — and `in_interrupt()`, as no other interrupt context is modelled. */
export function inNmi(c: Ctx): boolean {
  return c.k.slot(IN_NMI)[c.cpu.id] === true;
}

/**
 * Models `die_will_crash()` (traps.c, v6.2): die() would take the kernel
 * down — in an interrupt, with panic_on_oops, or for the idle task or init.
 * (No fadump or kexec crash kernel is modelled.)
 */
export function dieWillCrash(c: Ctx): boolean {
  return inNmi(c) || panicState(c.k).panicOnOops || c.current.pid === 0 || c.current.pid === 1;
}

/**
 * Models `die_mce(str, regs, err)`: leave the NMI (make_task_dead() would
 * panic in interrupt context), then `die()`.
 * SIMPLIFICATION: irq_exit() for a non-NMI caller is not modelled.
 */
export function* dieMce(
  c: Ctx,
  str: string,
  regs: PtRegs,
  err: number,
  stack: readonly Frame[],
): KGen<never> {
  if (inNmi(c)) nmiExit(c);
  return yield* die(c, str, regs, err, stack);
}

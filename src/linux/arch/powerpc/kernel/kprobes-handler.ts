/**
 * Kernel probes at run time, the powerpc half (arch/powerpc/kernel/kprobes.c,
 * v6.2): `kprobe_handler` (the `trap` over a probed instruction was hit),
 * `try_to_emulate`, `prepare_singlestep` and `kprobe_post_handler` (the
 * trace interrupt after the copy in the slot was stepped), with the per-CPU
 * `current_kprobe` and `kprobe_ctlblk`. Split from kprobes.c's registration
 * half (kprobes.ts) so that the trap handlers in die.ts and
 * traps-single-step.ts can call it.
 */
import { ppcInstLen, ppcInstVal } from "../../../../isa/powerpc/inst.ts";
import { ld } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import {
  getKprobe,
  getKprobeCtlblk,
  KPROBE_HIT_ACTIVE,
  KPROBE_HIT_SS,
  KPROBE_HIT_SSDONE,
  KPROBE_REENTER,
  type Kprobe,
  type KprobeCtlblk,
  kprobeRunning,
  kprobesIncNmissedCount,
  readKernelInst,
  resetCurrentKprobe,
  setCurrentKprobeOnly,
} from "../../../include/linux/kprobes.ts";
import type { InterruptRegs } from "./interrupt.ts";
import { emulateStep } from "./kprobes-emulate.ts";
import { BREAKPOINT_INSTRUCTION, isTrap, MSR_SINGLESTEP } from "./kprobes-insn.ts";
import { MSR_DR, MSR_IR, MSR_PR } from "./process.ts";

const FILE = "arch/powerpc/kernel/kprobes.c";

const userMode = (regs: InterruptRegs) => (regs.msr & MSR_PR) !== 0n;

function preemptDisable(c: Ctx): void {
  c.current.preemptCount++;
}
function preemptEnable(c: Ctx): void {
  c.current.preemptCount--;
}

/** Models `save_previous_kprobe(kcb)`. */
function savePreviousKprobe(c: Ctx, kcb: KprobeCtlblk): void {
  kcb.prevKprobe.kp = kprobeRunning(c);
  kcb.prevKprobe.status = kcb.kprobeStatus;
  kcb.prevKprobe.savedMsr = kcb.kprobeSavedMsr;
}

/** Models `restore_previous_kprobe(kcb)`. */
function restorePreviousKprobe(c: Ctx, kcb: KprobeCtlblk): void {
  setCurrentKprobeOnly(c, kcb.prevKprobe.kp);
  kcb.kprobeStatus = kcb.prevKprobe.status;
  kcb.kprobeSavedMsr = kcb.prevKprobe.savedMsr;
}

/** Models `set_current_kprobe(p, regs, kcb)`. */
function setCurrentKprobe(c: Ctx, p: Kprobe, regs: InterruptRegs, kcb: KprobeCtlblk): void {
  setCurrentKprobeOnly(c, p);
  kcb.kprobeSavedMsr = regs.msr;
}

/**
 * Models `prepare_singlestep(p, regs)`: MSR[SE] in the frame and NIP = the
 * slot, so the interrupt return executes the copy and traps right after it.
 */
function prepareSinglestep(p: Kprobe, regs: InterruptRegs): void {
  regs.msr |= MSR_SINGLESTEP;
  regs.nip = p.ainsn.insn!;
}

/**
 * Models `try_to_emulate(p, regs)`: emulate the slot's instruction at the
 * probed address; note whether it can be boosted (emulated every time).
 */
function* tryToEmulate(c: Ctx, p: Kprobe, regs: InterruptRegs): KGen<number> {
  const insn = yield* readKernelInst(c, p.ainsn.insn!);
  const ret = emulateStep(c.k.machine, regs, insn);
  if (ret > 0) {
    if (p.ainsn.boostable === 0) p.ainsn.boostable = 1;
  } else if (ret < 0) {
    // The kernel prints "Can't step on instruction %08lx" and BUG()s; the
    // emulation model never refuses that way.
    throw new Error(`emulate_step refused ${ppcInstVal(insn).toString(16)}`);
  } else if (p.ainsn.boostable !== 1) {
    p.ainsn.boostable = -1;
  }
  return ret;
}

/** Models `get_kernel_nofault(instr, addr)` for an instruction word: null when it faults. */
function* getKernelNofault32(c: Ctx, addr: bigint): KGen<number | null> {
  const w = yield* ld(c.k.machine, c.cpu, addr, 4);
  return typeof w === "bigint" ? Number(w) : null;
}

/**
 * Models `kprobe_handler(regs)`, called from the program check of a trap:
 * 1 when the trap was a kprobe's (the frame now says where to resume), 0
 * when it is someone else's (BUG/WARN, a debugger).
 */
export const kprobeHandler = kfunc(
  { name: "kprobe_handler", file: FILE, size: 0x3a0 },
  function* (c: Ctx, regs: InterruptRegs): KGen<number> {
    if (userMode(regs)) return 0;
    if ((regs.msr & MSR_IR) === 0n || (regs.msr & MSR_DR) === 0n) return 0;
    // Not preempted for the whole of kprobe processing.
    preemptDisable(c);
    const kcb = getKprobeCtlblk(c);
    const p = getKprobe(c.k, regs.nip);
    if (p === undefined) {
      let ret = 0;
      const instr = yield* getKernelNofault32(c, regs.nip);
      // A trap variant may belong to someone else; a word that is no longer a
      // trap means another CPU removed the probe after this one hit it.
      if (instr !== null && instr !== BREAKPOINT_INSTRUCTION && !isTrap(instr)) ret = 1;
      preemptEnable(c);
      return ret;
    }
    if (kprobeRunning(c) !== null) {
      const insn = ppcInstVal(yield* readKernelInst(c, p.ainsn.insn!));
      if (kcb.kprobeStatus === KPROBE_HIT_SS && isTrap(insn)) {
        // Turn off the trace bits.
        regs.msr = (regs.msr & ~MSR_SINGLESTEP) | kcb.kprobeSavedMsr;
        preemptEnable(c);
        return 0;
      }
      // A probe hit inside a handler: step over it without running handlers.
      savePreviousKprobe(c, kcb);
      setCurrentKprobe(c, p, regs, kcb);
      kprobesIncNmissedCount(p);
      kcb.kprobeStatus = KPROBE_REENTER;
      if (p.ainsn.boostable >= 0) {
        const ret = yield* tryToEmulate(c, p, regs);
        if (ret > 0) {
          restorePreviousKprobe(c, kcb);
          preemptEnable(c);
          return 1;
        }
      }
      prepareSinglestep(p, regs);
      return 1;
    }
    kcb.kprobeStatus = KPROBE_HIT_ACTIVE;
    setCurrentKprobe(c, p, regs, kcb);
    p.hits++;
    if (p.preHandler !== undefined) {
      if ((yield* p.preHandler(c, p, regs)) !== 0) {
        // The handler changed the execution path: no single-step.
        resetCurrentKprobe(c);
        preemptEnable(c);
        return 1;
      }
    }
    if (p.ainsn.boostable >= 0) {
      const ret = yield* tryToEmulate(c, p, regs);
      if (ret > 0) {
        if (p.postHandler !== undefined) yield* p.postHandler(c, p, regs, 0);
        kcb.kprobeStatus = KPROBE_HIT_SSDONE;
        resetCurrentKprobe(c);
        preemptEnable(c);
        return 1;
      }
    }
    prepareSinglestep(p, regs);
    kcb.kprobeStatus = KPROBE_HIT_SS;
    return 1;
  },
);

/**
 * Models `kprobe_post_handler(regs)`, called from the trace interrupt: when
 * this CPU just stepped its current probe's slot, run the post-handler,
 * resume after the probed instruction with the saved MSR, and clear the
 * current probe. 1 when handled.
 */
export const kprobePostHandler = kfunc(
  { name: "kprobe_post_handler", file: FILE, size: 0x1a0 },
  function* (c: Ctx, regs: InterruptRegs): KGen<number> {
    const cur = kprobeRunning(c);
    const kcb = getKprobeCtlblk(c);
    if (cur === null || userMode(regs)) return 0;
    const len = BigInt(ppcInstLen(yield* readKernelInst(c, cur.ainsn.insn!)));
    // Only for the instruction this probe stepped.
    if (cur.ainsn.insn! + len !== regs.nip) return 0;
    if (kcb.kprobeStatus !== KPROBE_REENTER && cur.postHandler !== undefined) {
      kcb.kprobeStatus = KPROBE_HIT_SSDONE;
      yield* cur.postHandler(c, cur, regs, 0);
    }
    regs.nip = cur.addr + len;
    regs.msr |= kcb.kprobeSavedMsr;
    if (kcb.kprobeStatus === KPROBE_REENTER) restorePreviousKprobe(c, kcb);
    else resetCurrentKprobe(c);
    preemptEnable(c);
    // Someone else single-stepping across the probe: let do_debug go on.
    if ((regs.msr & MSR_SINGLESTEP) !== 0n) return 0;
    return 1;
  },
);

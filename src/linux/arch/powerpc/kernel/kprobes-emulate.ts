/**
 * Models `emulate_step(regs, instr)` (arch/powerpc/lib/sstep.c, v6.2) as
 * kprobes' try_to_emulate() uses it: perform the probed instruction's effect
 * on the saved registers as if it executed at regs->nip — so a relative
 * branch goes where it would have gone from the probed address, not from the
 * slot holding its copy — and advance regs->nip. Kept beside kprobes because
 * kprobes is its only caller in this model.
 *
 * SIMPLIFICATION: the instruction runs once in the interpreter against a
 * scratch CPU that holds the frame's registers (GPRs, CR, XER, LR, CTR, MSR).
 * Instructions that access memory or other shared state (loads, stores,
 * barriers, cache and TLB operations, sc) and moves to or from SPRs other
 * than XER, LR and CTR are not emulated (return 0, so they are single-stepped
 * from the slot); the kernel's analyse_instr emulates loads and stores too.
 */
import { decodeEntry } from "../../../../isa/powerpc/decode.ts";
import { type PpcInst, ppcInstPrefixed, ppcInstVal } from "../../../../isa/powerpc/inst.ts";
import { Cpu, Spr } from "../../../../machine/cpu.ts";
import { ExecContext, JUMP, LOCAL } from "../../../../machine/exec/context.ts";
import { buildHandler, opKindOf } from "../../../../machine/exec/index.ts";
import { mtsprNumber } from "../../../../machine/exec/processor-ctrl.ts";
import type { Machine } from "../../../../machine/machine.ts";
import type { InterruptRegs } from "./interrupt.ts";

/** SPR numbers whose moves only touch the frame: XER, LR, CTR. */
const FRAME_SPRS = new Set([1, 8, 9]);
/** Moves to/from non-SPR state that live in the frame (CR, MSR read). */
const FRAME_MOVES = new Set(["mfcr", "mtcrf", "mfocrf", "mtocrf", "mfmsr"]);

/** Does executing this instruction need only the registers in the frame? */
function frameOnly(sem: string, word: number): boolean {
  if (sem === "mfspr" || sem === "mtspr") return FRAME_SPRS.has(mtsprNumber(word));
  if (sem.startsWith("mf") || sem.startsWith("mt")) return FRAME_MOVES.has(sem);
  return true;
}

/**
 * Emulate `insn` at `regs.nip` on the frame `regs`: 1 when done (the frame
 * holds the result and the next NIP), 0 when the caller must single-step it.
 */
export function emulateStep(m: Machine, regs: InterruptRegs, insn: PpcInst): number {
  // The kernel is built without prefixed instructions (-mno-prefixed).
  if (ppcInstPrefixed(insn)) return 0;
  const word = ppcInstVal(insn);
  const e = decodeEntry(word);
  if (e === undefined || opKindOf(e, word) !== 0 || !frameOnly(e.sem, word)) return 0;
  const s = new Cpu(0);
  s.gpr.set(regs.gpr);
  s.lr = regs.link;
  s.ctr = regs.ctr;
  s.cr = Number(regs.ccr & 0xffff_ffffn);
  s.xer = Number(regs.xer & 0xffff_ffffn);
  s.msr = regs.msr;
  const x = new ExecContext(m, s, false);
  const nip = regs.nip;
  const off = Number(nip & 0xfffn);
  const base = nip - BigInt(off);
  x.pageBase = base;
  x.pageLo = Number(base & 0xffff_ffffn);
  x.pageHi = Number(base >> 32n);
  x.idx = off >>> 2;
  const r = buildHandler(e, word, 0, off, false)(x);
  let next: bigint;
  if (r > 0) next = nip + BigInt(4 * r);
  else if (r === LOCAL) next = base + BigInt(x.nidx * 4);
  else if (r === JUMP) next = x.npc;
  // An interrupt (illegal, privileged) or a context change: not emulated.
  else return 0;
  if (s.msr !== regs.msr || s.srr0 !== 0n || s.srr1 !== 0n || s.spr[Spr.HSRR0] !== 0n) return 0;
  regs.gpr = Array.from(s.gpr);
  regs.link = s.lr;
  regs.ctr = s.ctr;
  regs.ccr = BigInt(s.cr >>> 0);
  regs.xer = BigInt(s.xer >>> 0);
  regs.nip = BigInt.asUintN(64, next);
  return 1;
}

/**
 * The instruction facts kprobes use, from arch/powerpc/include/asm/probes.h
 * and asm/ppc-opcode.h (v6.2): the breakpoint, the trap forms, which
 * instructions can be single-stepped, and MSR_SINGLESTEP. Kept apart from
 * kprobes.ts so the trap handlers can use them without the registration path.
 */
import { MSR_SE } from "./process.ts";

/** `BREAKPOINT_INSTRUCTION` (asm/probes.h): `trap` (`tw 31,0,0`). */
export const BREAKPOINT_INSTRUCTION = 0x7fe0_0008;

/** `MSR_SINGLESTEP` on book3s/64 (no PPC_ADV_DEBUG_REGS): MSR[SE]. */
export const MSR_SINGLESTEP = MSR_SE;

/** `get_op(inst)`: the primary opcode. */
const getOp = (inst: number) => inst >>> 26;
/** `get_xop(inst)`: the extended opcode (instruction bits 21..30). */
const getXop = (inst: number) => (inst >>> 1) & 0x3ff;

/** Models `is_trap(instr)` for ppc64: tw, td, twi or tdi. */
export function isTrap(instr: number): boolean {
  const x = (instr & 0xfc00_07fe) >>> 0;
  const op = (instr & 0xfc00_0000) >>> 0;
  return x === 0x7c00_0008 || x === 0x7c00_0088 || op === 0x0c00_0000 || op === 0x0800_0000;
}

/** Opcode 19 extended opcodes that return from interrupts or stop the thread. */
const OP_19_NO_STEP = new Set([18, 38, 39, 50, 51, 82, 274, 306, 370, 402, 434, 466, 498]);
/** Opcode 31 extended opcodes: tw, td, mtmsr, mtmsrd. */
const OP_31_NO_STEP = new Set([4, 68, 146, 178]);

/**
 * Models `can_single_step(inst)`: not the traps (tdi, twi, tw, td), `sc`,
 * the rfi/rfid family and the power-saving instructions, mtmsr or mtmsrd.
 */
export function canSingleStep(inst: number): boolean {
  switch (getOp(inst)) {
    case 2:
    case 3:
    case 17:
      return false;
    case 19:
      return !OP_19_NO_STEP.has(getXop(inst));
    case 31:
      return !OP_31_NO_STEP.has(getXop(inst));
    default:
      return true;
  }
}

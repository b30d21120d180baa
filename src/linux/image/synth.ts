/**
 * Synthesised text for modelled kernel functions that the machine never
 * executes: a plausible ELFv2 non-leaf function — prologue `mflr r0; std
 * r0,16(r1); stdu r1,-112(r1)`, a body of nops with a `bl` at each declared
 * call site and the declared trap words, and the epilogue `addi r1,r1,112;
 * ld r0,16(r1); mtlr r0; blr`. Kprobes and code patching read and patch these
 * words like any other text.
 *
 * SIMPLIFICATION: the modelled functions are not compiled; only their call
 * and trap sites are placed where the model's frames and bug table say.
 */
import { BRANCH_SET_LINK, createBranch } from "../../isa/powerpc/branch.ts";
import { ppcInstVal } from "../../isa/powerpc/inst.ts";

// The skeleton's words, as numbers: the image is built at every boot, and
// encoding them would build the whole opcode table before a run needs it.
// test/linux/image/synth.test.ts checks each against the assembler.

/** Stack frame size of the synthesised functions. */
export const SYNTH_FRAME = 112;
/** `nop` */
export const NOP = 0x6000_0000;
/** `blr` */
export const BLR = 0x4e80_0020;
/** `mflr r0; std r0,16(r1); stdu r1,-112(r1)` */
export const PROLOGUE: readonly number[] = [0x7c08_02a6, 0xf801_0010, 0xf821_ff91];
/** `addi r1,r1,112; ld r0,16(r1); mtlr r0; blr` */
export const EPILOGUE: readonly number[] = [0x3821_0070, 0xe801_0010, 0x7c08_03a6, BLR];

/** `bl` from `from` to `to` (I-form, LK=1), or null when out of the ±32 MiB range. */
export function blWord(from: bigint, to: bigint): number | null {
  const r = createBranch(from, to, BRANCH_SET_LINK);
  return r.err === 0 ? ppcInstVal(r.instr) : null;
}

/** `b .`: a branch to itself, what the interrupt vector placeholders hold. */
export const BRANCH_SELF = 0x4800_0000;

/** Fill `out` (one function's bytes, little-endian words) with the frame skeleton. */
export function synthFunction(out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const words = out.length / 4;
  for (let i = 0; i < words; i++) view.setUint32(i * 4, NOP, true);
  if (words < PROLOGUE.length + EPILOGUE.length + 1) {
    // Too small for a frame: a leaf.
    view.setUint32((words - 1) * 4, BLR, true);
    return;
  }
  for (const [i, w] of PROLOGUE.entries()) view.setUint32(i * 4, w, true);
  for (const [i, w] of EPILOGUE.entries())
    view.setUint32((words - EPILOGUE.length + i) * 4, w, true);
}

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
import { encode } from "../../isa/powerpc/encode.ts";
import { ppcInstVal } from "../../isa/powerpc/inst.ts";

const word = (m: string, v: number[] = []) => ppcInstVal(encode(m, v));

/** Stack frame size of the synthesised functions. */
export const SYNTH_FRAME = 112;
export const NOP = word("nop");
export const BLR = word("blr");
const PROLOGUE = [word("mflr", [0]), word("std", [0, 16, 1]), word("stdu", [1, -SYNTH_FRAME, 1])];
const EPILOGUE = [
  word("addi", [1, 1, SYNTH_FRAME]),
  word("ld", [0, 16, 1]),
  word("mtlr", [0]),
  BLR,
];

/** `bl` from `from` to `to` (I-form, LK=1), or null when out of the ±32 MiB range. */
export function blWord(from: bigint, to: bigint): number | null {
  const d = to - from;
  if (d < -(1n << 25n) || d >= 1n << 25n || (d & 3n) !== 0n) return null;
  return word("bl", [Number(d)]);
}

/** `b .`: a branch to itself, what the interrupt vector placeholders hold. */
export const BRANCH_SELF = word("b", [0]);

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

// The synthesised skeleton's words against the assembler (itself checked
// against GNU objdump by test/oracle/): synth.ts keeps them as numbers so
// that building an image does not need the opcode table.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encode } from "../../../src/isa/powerpc/encode.ts";
import { ppcInstVal } from "../../../src/isa/powerpc/inst.ts";
import {
  BLR,
  BRANCH_SELF,
  blWord,
  EPILOGUE,
  NOP,
  PROLOGUE,
  SYNTH_FRAME,
  synthFunction,
} from "../../../src/linux/image/synth.ts";

const asm = (m: string, v: number[] = []) => ppcInstVal(encode(m, v));

describe("synthesised function skeleton", () => {
  it("has the words the assembler gives for its prologue, epilogue, nop, blr and b .", () => {
    assert.equal(NOP, asm("nop"));
    assert.equal(BLR, asm("blr"));
    assert.equal(BRANCH_SELF, asm("b", [0]));
    assert.deepEqual(PROLOGUE, [
      asm("mflr", [0]),
      asm("std", [0, 16, 1]),
      asm("stdu", [1, -SYNTH_FRAME, 1]),
    ]);
    assert.deepEqual(EPILOGUE, [
      asm("addi", [1, 1, SYNTH_FRAME]),
      asm("ld", [0, 16, 1]),
      asm("mtlr", [0]),
      asm("blr"),
    ]);
  });

  it("encodes bl as the assembler does, within ±32 MiB and word-aligned only", () => {
    const from = 0xc000_0000_0000_1000n;
    for (const d of [4, -4, 0x100, -0x2000000, 0x1fffffc]) {
      assert.equal(blWord(from, from + BigInt(d)), asm("bl", [d]), `bl ${d}`);
    }
    assert.equal(blWord(from, from + 0x2000000n), null);
    assert.equal(blWord(from, from - 0x2000004n), null);
    assert.equal(blWord(from, from + 2n), null);
  });

  it("fills a function with the frame skeleton, or a leaf blr when it is too small", () => {
    const f = new Uint8Array(64);
    synthFunction(f);
    const v = new DataView(f.buffer);
    const words = Array.from({ length: 16 }, (_, i) => v.getUint32(i * 4, true));
    assert.deepEqual(words.slice(0, 3), PROLOGUE);
    assert.deepEqual(words.slice(12), EPILOGUE);
    assert.ok(words.slice(3, 12).every((w) => w === NOP));
    const leaf = new Uint8Array(16);
    synthFunction(leaf);
    const lv = new DataView(leaf.buffer);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => lv.getUint32(i * 4, true)),
      [NOP, NOP, NOP, BLR],
    );
  });
});

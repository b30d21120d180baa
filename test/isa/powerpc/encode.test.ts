import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { disassembleInst } from "../../../src/isa/powerpc/disasm.ts";
import { encode } from "../../../src/isa/powerpc/encode.ts";
import { ppcInstEqual, ppcInstPrefix } from "../../../src/isa/powerpc/inst.ts";

describe("encode", () => {
  it("encodes words that objdump prints back identically", () => {
    const cases: [string, number[], number][] = [
      ["addi", [3, 4, 8], 0x38640008],
      ["li", [3, -1], 0x3860ffff],
      ["lis", [3, 4660], 0x3c601234],
      ["stdu", [1, -112, 1], 0xf821ff91],
      ["ld", [3, -8, 1], 0xe861fff8],
      ["std", [0, 16, 1], 0xf8010010],
      ["lwarx", [3, 0, 4], 0x7c602028],
      ["stwcx.", [3, 0, 4], 0x7c60212d],
      ["add", [3, 4, 5], 0x7c642a14],
      ["addo", [3, 4, 5], 0x7c642e14],
      ["cmpd", [7, 3, 4], 0x7fa32000],
      ["cmpwi", [3, 0], 0x2c030000],
      ["mflr", [0], 0x7c0802a6],
      ["mtctr", [3], 0x7c6903a6],
      ["mfspr", [3, 48], 0x7c700aa6],
      ["b", [8], 0x48000008],
      ["bl", [-4], 0x4bfffffd],
      ["beq", [7, 8], 0x419e0008],
      ["bdnz", [8], 0x42000008],
      ["bc", [20, 0, 8], 0x42800008],
      ["blr", [], 0x4e800020],
      ["nop", [], 0x60000000],
      ["tlbie", [3, 4, 2, 1, 1], 0x7c8b1a64],
      ["tlbiel", [3], 0x7c001a24],
      ["mtmsrd", [3, 1], 0x7c610164],
      ["rldicl", [3, 4, 60, 4], 0x7883e102],
      ["rlwinm", [3, 4, 2, 0, 29], 0x5483103a],
      ["sradi", [3, 4, 3], 0x7c831e74],
      ["hwsync", [], 0x7c0004ac],
      ["twi", [31, 0, 0], 0x0fe00000],
    ];
    for (const [m, v, w] of cases) {
      const inst = encode(m, v);
      assert.equal(inst.val, w, `${m} ${v.join(",")}: 0x${inst.val.toString(16)}`);
    }
  });

  it("encodes prefixed instructions", () => {
    assert.ok(ppcInstEqual(encode("paddi", [3, 4, 74565]), ppcInstPrefix(0x06000001, 0x38642345)));
    assert.ok(ppcInstEqual(encode("pld", [3, 74565, 4]), ppcInstPrefix(0x04000001, 0xe4642345)));
    assert.ok(ppcInstEqual(encode("pli", [3, -1]), ppcInstPrefix(0x0603ffff, 0x3860ffff)));
    assert.equal(disassembleInst(encode("pstd", [3, -8, 1]), 0n), "pstd    r3,-8(r1)");
  });

  it("rejects what it cannot encode", () => {
    assert.throws(() => encode("addi", [3, 4, 70000]));
    assert.throws(() => encode("lwzu", [3, 8, 3])); // RA = RT is invalid
    assert.throws(() => encode("nosuch", []));
  });
});

/** ppc_inst_t helpers against selftests.md §8 (asm/inst.h, ppc64 little-endian). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ppcInst,
  ppcInstAsUlong,
  ppcInstBytes,
  ppcInstEqual,
  ppcInstLen,
  ppcInstPrefix,
  ppcInstPrefixed,
  ppcInstPrimaryOpcode,
  ppcInstRead,
  ppcInstSuffix,
  ppcInstSwab,
  ppcInstVal,
  ppcInstWrite,
} from "../../../src/isa/powerpc/inst.ts";

describe("ppc_inst_t helpers", () => {
  it("ppc_inst leaves the suffix zero; accessors", () => {
    const i = ppcInst(0x60000000);
    assert.equal(ppcInstVal(i), 0x60000000);
    assert.equal(ppcInstSuffix(i), 0);
    assert.equal(ppcInstPrimaryOpcode(i), 24);
    assert.equal(ppcInstPrefixed(i), false);
    assert.equal(ppcInstLen(i), 4);
  });

  it("prefixed is decided by val alone (primary opcode 1)", () => {
    assert.equal(ppcInstPrefixed(ppcInst(0x04000000)), true);
    assert.equal(ppcInstLen(ppcInst(0x04000000)), 8);
    assert.equal(ppcInstPrefixed(ppcInstPrefix(0x60000000, 0x12345678)), false);
    assert.equal(ppcInstLen(ppcInstPrefix(0x04000000, 0)), 8);
  });

  it("ppc_inst_equal compares suffixes only when the first is prefixed", () => {
    assert.ok(ppcInstEqual(ppcInstPrefix(0x60000000, 1), ppcInstPrefix(0x60000000, 2)));
    assert.ok(!ppcInstEqual(ppcInstPrefix(0x04000000, 1), ppcInstPrefix(0x04000000, 2)));
    assert.ok(ppcInstEqual(ppcInstPrefix(0x04000000, 5), ppcInstPrefix(0x04000000, 5)));
    assert.ok(!ppcInstEqual(ppcInst(0x60000000), ppcInst(0x60000001)));
  });

  it("as_ulong on little-endian puts the prefix in the low half", () => {
    assert.equal(ppcInstAsUlong(ppcInstPrefix(0x04000000, 0xe4600008)), 0xe460000804000000n);
    assert.equal(ppcInstAsUlong(ppcInst(0x7fe00008)), 0x7fe00008n);
  });

  it("read/write round-trip little-endian memory (prefix first)", () => {
    const mem = new Uint8Array(16);
    ppcInstWrite(mem, 4, ppcInstPrefix(0x04000000, 0x00000000));
    assert.deepEqual([...mem.subarray(4, 12)], [0, 0, 0, 4, 0, 0, 0, 0]);
    ppcInstWrite(mem, 12, ppcInst(0x7fe00008));
    assert.deepEqual([...mem.subarray(12, 16)], [8, 0, 0xe0, 0x7f]);
    const p = ppcInstRead(mem, 4);
    assert.ok(ppcInstPrefixed(p));
    assert.ok(ppcInstEqual(p, ppcInstPrefix(0x04000000, 0)));
    const t = ppcInstRead(mem, 12);
    assert.ok(ppcInstEqual(t, ppcInst(0x7fe00008)));
    assert.equal(t.suffix, 0);
    assert.deepEqual([...ppcInstBytes(ppcInst(0x60000000))], [0, 0, 0, 0x60]);
    assert.throws(() => ppcInstRead(mem, 14), RangeError);
  });

  it("swab byte-swaps both words", () => {
    const s = ppcInstSwab(ppcInstPrefix(0x04000001, 0x12345678));
    assert.equal(s.val, 0x01000004);
    assert.equal(s.suffix, 0x78563412);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode, decodeEntry, decodePrefixed } from "../../../src/isa/powerpc/decode.ts";
import * as f from "../../../src/isa/powerpc/fields.ts";
import { OPERANDS } from "../../../src/isa/powerpc/operand-defs.ts";
import { entriesFor, isMnemonic, opcodeTable } from "../../../src/isa/powerpc/table.ts";

describe("decode", () => {
  it("returns the entry, sem, length and operand values", () => {
    const d = decode(0x38640008)!; // addi r3,r4,8
    assert.equal(d.mnemonic, "addi");
    assert.equal(d.sem, "addi");
    assert.equal(d.length, 4);
    assert.deepEqual(d.operandValues(), [3, 4, 8]);
    assert.equal(d.field("rt"), 3);
    assert.equal(d.field("ra"), 4);
    assert.equal(d.field("si"), 8);

    const li = decode(0x3860ffff)!; // li r3,-1
    assert.equal(li.mnemonic, "li");
    assert.equal(li.sem, "addi");
    assert.equal(li.field("si"), -1);

    const std = decode(0xf821ff91)!; // stdu r1,-112(r1)
    assert.equal(std.mnemonic, "stdu");
    assert.deepEqual(std.operandValues(), [1, -112, 1]);
    assert.equal(std.field("ds"), -112);
  });

  it("simplified mnemonics share their base's sem; flags mark Rc/OE/LK/AA", () => {
    const cases: [number, string, string][] = [
      [0x60000000, "nop", "ori"],
      [0x7c832378, "mr", "or"],
      [0x7c8320f8, "not", "nor"],
      [0x7c0802a6, "mflr", "mfspr"],
      [0x7c0903a6, "mtctr", "mtspr"],
      [0x41820008, "beq", "bc"],
      [0x4e800020, "blr", "bclr"],
      [0x4e800420, "bctr", "bcctr"],
      [0x48000001, "bl", "b"],
      [0x7fe00008, "trap", "tw"],
      [0x0fe00000, "twui", "twi"],
      [0x5483103a, "slwi", "rlwinm"],
      [0x7883e102, "srdi", "rldicl"],
      [0x7c0004ac, "hwsync", "sync"],
      [0x4cc63182, "crclr", "crxor"],
      [0x7c642e15, "addo.", "add"],
      [0x7c601a2c, "dcbtct", "dcbt"],
    ];
    for (const [w, m, sem] of cases) {
      const d = decode(w);
      assert.ok(d, `0x${w.toString(16)} decodes`);
      assert.equal(d.mnemonic, m);
      assert.equal(d.sem, sem, m);
    }
    const addo = decode(0x7c642e15)!.entry;
    assert.ok(addo.rc && addo.oe);
    assert.ok(decode(0x48000003)!.entry.lk && decode(0x48000003)!.entry.aa);
    assert.ok(!decode(0x48000000)!.entry.lk);
    assert.equal(decode(0x7c642a14)!.entry.form, "XO");
    assert.equal(decode(0x48000000)!.entry.form, "I");
  });

  it("branch fields: BO, BI, BD signed, LI signed", () => {
    const b = decode(0x4000fffc)!; // bdnzf lt,-4
    assert.equal(b.field("bd"), -4);
    assert.equal(f.bo(0x419e0008), 12);
    assert.equal(f.bi(0x419e0008), 30);
    assert.equal(f.bd(0x4000fffc), -4);
    assert.equal(f.li(0x4a000000), -0x2000000);
    assert.equal(f.li(0x49fffffc), 0x1fffffc);
    assert.equal(f.spr(0x7c7f4aa6), 319);
    assert.equal(f.sh6(0x7883e102), 60);
    assert.equal(f.mb6(0x7883e102), 4);
    assert.equal(f.ds(0xe861fff8), -8);
  });

  it("prefixed: a valid pair decodes as 8 bytes; a prefix alone does not", () => {
    const p = decode(0x0603ffff, 0x3860ffff)!;
    assert.equal(p.mnemonic, "pli");
    assert.equal(p.sem, "paddi");
    assert.equal(p.length, 8);
    assert.equal(p.field("si"), -1);
    assert.equal(p.entry.form, "MLS");
    assert.equal(decode(0x06020000, 0x38610000)!.field("si"), -(2 ** 33));
    assert.equal(f.d34(0x06020000, 0x38610000), -(2 ** 33));
    assert.equal(decode(0x04000000), undefined);
    assert.equal(decodeEntry(0x04000000, 0), undefined);
    assert.equal(decodePrefixed(0x07000000, 0x7fe00008), undefined);
    assert.equal(decodePrefixed(0x07000000, 0)!.mnemonic, "pnop");
  });

  it("undecodable words give undefined", () => {
    for (const w of [0x43ff0000, 0x00000000, 0x04000000, 0x7c0000ae | 0x00000001]) {
      assert.equal(decode(w), undefined, `0x${w.toString(16)}`);
    }
  });

  it("load/store with update rejects RA=0 and RA=RT like objdump", () => {
    assert.equal(decode(0x84600008), undefined); // lwzu r3,8(0)
    assert.equal(decode(0x84630008), undefined); // lwzu r3,8(r3)
    assert.equal(decode(0x94000008)?.mnemonic, undefined); // stwu r0,8(0)
    assert.equal(decode(0x94210008)?.mnemonic, "stwu"); // stwu r1,8(r1) is fine
  });

  it("the table is well formed", () => {
    assert.ok(opcodeTable().length > 1900);
    for (const e of opcodeTable()) {
      assert.equal((e.opcode & ~e.mask) >>> 0, 0, `${e.mnemonic}: opcode outside mask`);
      assert.equal((e.prefixOpcode & ~e.prefixMask) >>> 0, 0, `${e.mnemonic}: prefix`);
      assert.ok(e.sem.length > 0);
      for (const o of e.operands) assert.ok(OPERANDS.get(o.name) === o);
    }
    for (const m of [
      "lhbrx",
      "lwbrx",
      "ldbrx",
      "sthbrx",
      "stwbrx",
      "stdbrx",
      "lbarx",
      "lharx",
      "stbcx.",
      "sthcx.",
      "addpcis",
      "lnia",
      "extswsli",
      "cmpb",
      "cmprb",
      "cmpeqb",
      "setb",
      "setbc",
      "setbcr",
      "setnbc",
      "setnbcr",
      "isel",
      "isellt",
      "mcrxrx",
      "cnttzd",
      "popcntd",
      "bpermd",
      "cfuged",
      "pdepd",
      "pextd",
      "cntlzdm",
      "cnttzdm",
      "brh",
      "brw",
      "brd",
      "maddld",
      "maddhd",
      "maddhdu",
      "modsw",
      "moduw",
      "modsd",
      "modud",
      "mtocrf",
      "mfocrf",
      "scv",
      "rfid",
      "hrfid",
      "rfscv",
      "tlbsync",
      "slbia",
      "slbie",
      "slbmte",
      "slbmfee",
      "slbsync",
      "cpabort",
      "plq",
      "pstq",
      "plxv",
      "pstxv",
      "plxsd",
      "pstxsd",
      "lxv",
      "stxv",
      "lxvx",
      "stxvx",
      "lxvd2x",
      "stxvd2x",
      "lxvw4x",
      "lxvl",
      "lxvll",
      "stxvl",
      "stxvll",
      "lxsd",
      "stxsd",
      "lxsdx",
      "stxsdx",
      "lxsiwzx",
      "mtvsrd",
      "mtvsrdd",
      "mfvsrd",
      "mfvsrld",
      "mtvsrws",
      "xxspltib",
      "xxspltiw",
      "xxspltidp",
      "xxsplti32dx",
      "xxlxor",
      "xxlor",
      "xxlnor",
      "xxpermdi",
      "xxmrghd",
      "xxmrgld",
      "xxswapd",
      "xxspltd",
      "xxspltw",
      "vspltisw",
      "vspltisb",
      "lfd",
      "stfd",
      "fadd",
      "fmul",
    ]) {
      assert.ok(isMnemonic(m), `table has ${m}`);
      assert.ok(entriesFor(m).length > 0);
    }
  });
});

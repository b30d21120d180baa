/**
 * Every instruction word / objdump text pair in shared/reference/isa.md (GNU
 * objdump 2.40, an outside oracle), as a table-driven test. The reference shows
 * `objdump -d` output with symbols (`b 8 <f+0x8>`); here branch targets are in
 * the raw-image form (`b 0x8`) that `-b binary` prints and disassembleInst returns.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { disassembleBytes, disassembleInst } from "../../../src/isa/powerpc/disasm.ts";
import { ppcInst, ppcInstPrefix } from "../../../src/isa/powerpc/inst.ts";

/** [address, word, objdump text] */
const WORDS: readonly (readonly [number, number, string])[] = [
  // §2 I-form branches
  [0x0, 0x48000008, "b       0x8"],
  [0x4, 0x48000102, "ba      0x100"],
  [0x8, 0x48000101, "bl      0x108"],
  [0xc, 0x48000103, "bla     0x100"],
  [0x10, 0x4bfffffc, "b       0xc"],
  [0x14, 0x48000000, "b       0x14"],
  [0x18, 0x48000001, "bl      0x18"],
  [0x20, 0x4a000000, "b       0xfffffffffe000020"],
  [0x24, 0x49fffffc, "b       0x2000020"],
  // §3 B-form
  [0x40, 0x41820008, "beq     0x48"],
  [0x44, 0x40820008, "bne     0x4c"],
  [0x48, 0x41800008, "blt     0x50"],
  [0x4c, 0x41810008, "bgt     0x54"],
  [0x50, 0x40810008, "ble     0x58"],
  [0x54, 0x40800008, "bge     0x5c"],
  [0x58, 0x419e0008, "beq     cr7,0x60"],
  [0x5c, 0x42000008, "bdnz    0x64"],
  [0x60, 0x42400008, "bdz     0x68"],
  [0x70, 0x42800008, "bc      20,lt,0x78"],
  [0x84, 0x40000008, "bdnzf   lt,0x8c"],
  [0x88, 0x403f0008, "bdnzf   4*cr7+so,0x90"],
  [0x8c, 0x40000000, "bdnzf   lt,0x8c"],
  [0x90, 0x403f0001, "bdnzfl  4*cr7+so,0x90"],
  [0x9c, 0x4000fffc, "bdnzf   lt,0x98"],
  [0xa0, 0x43ff0103, ".long 0x43ff0103"],
  [0xa4, 0x41820103, "beqla   0x100"],
  [0x0, 0x43ff0000, ".long 0x43ff0000"],
  // §4 XL-form
  [0, 0x4e800020, "blr"],
  [0, 0x4e800021, "blrl"],
  [0, 0x4e800420, "bctr"],
  [0, 0x4e800421, "bctrl"],
  [0, 0x4d820020, "beqlr"],
  [0, 0x4c820020, "bnelr"],
  [0, 0x4d820420, "beqctr"],
  [0, 0x4e800460, "btar"],
  // §5 traps and sc
  [0, 0x7fe00008, "trap"],
  [0, 0x0fe00000, "twui    r0,0"],
  [0, 0x0b090000, "tdnei   r9,0"],
  [0, 0x0f030000, "twnei   r3,0"],
  [0, 0x7c832088, "tdeq    r3,r4"],
  [0, 0x7fe00088, "tdu     r0,r0"],
  [0, 0x7c832008, "tweq    r3,r4"],
  [0, 0x44000002, "sc"],
  [0, 0x44000022, "sc      1"],
  // §6 loads and stores
  [0, 0x88640008, "lbz     r3,8(r4)"],
  [0, 0xa0640008, "lhz     r3,8(r4)"],
  [0, 0xa8640008, "lha     r3,8(r4)"],
  [0, 0x80640008, "lwz     r3,8(r4)"],
  [0, 0x84640008, "lwzu    r3,8(r4)"],
  [0, 0x98640008, "stb     r3,8(r4)"],
  [0, 0xb0640008, "sth     r3,8(r4)"],
  [0, 0x90640008, "stw     r3,8(r4)"],
  [0, 0x9421ffe0, "stwu    r1,-32(r1)"],
  [0, 0xe8640008, "ld      r3,8(r4)"],
  [0, 0xe861fff8, "ld      r3,-8(r1)"],
  [0, 0xe8640009, "ldu     r3,8(r4)"],
  [0, 0xe864000a, "lwa     r3,8(r4)"],
  [0, 0xf8640008, "std     r3,8(r4)"],
  [0, 0xf8010010, "std     r0,16(r1)"],
  [0, 0xf821ff91, "stdu    r1,-112(r1)"],
  [0, 0x7c6428ae, "lbzx    r3,r4,r5"],
  [0, 0x7c64282e, "lwzx    r3,r4,r5"],
  [0, 0x7c64282a, "ldx     r3,r4,r5"],
  [0, 0x7c64292e, "stwx    r3,r4,r5"],
  [0, 0x7c64292a, "stdx    r3,r4,r5"],
  [0, 0x7c21296a, "stdux   r1,r1,r5"],
  [0, 0x7c602028, "lwarx   r3,0,r4"],
  [0, 0x7c6020a8, "ldarx   r3,0,r4"],
  [0, 0x7c60212d, "stwcx.  r3,0,r4"],
  [0, 0x7c6021ad, "stdcx.  r3,0,r4"],
  // §7 arithmetic, logical
  [0, 0x38640008, "addi    r3,r4,8"],
  [0, 0x38600005, "li      r3,5"],
  [0, 0x3860ffff, "li      r3,-1"],
  [0, 0x3c4c0010, "addis   r2,r12,16"],
  [0, 0x3c64ffff, "addis   r3,r4,-1"],
  [0, 0x3c601234, "lis     r3,4660"],
  [0, 0x60831234, "ori     r3,r4,4660"],
  [0, 0x60000000, "nop"],
  [0, 0x64831234, "oris    r3,r4,4660"],
  [0, 0x68000000, "xnop"],
  [0, 0x708300ff, "andi.   r3,r4,255"],
  [0, 0x74830001, "andis.  r3,r4,1"],
  [0, 0x7c832378, "mr      r3,r4"],
  [0, 0x7c832b78, "or      r3,r4,r5"],
  [0, 0x7c832379, "mr.     r3,r4"],
  [0, 0x7c832838, "and     r3,r4,r5"],
  [0, 0x7c832878, "andc    r3,r4,r5"],
  [0, 0x7c832a78, "xor     r3,r4,r5"],
  [0, 0x7c8320f8, "not     r3,r4"],
  [0, 0x7c830774, "extsb   r3,r4"],
  [0, 0x7c8307b4, "extsw   r3,r4"],
  [0, 0x7c642a14, "add     r3,r4,r5"],
  [0, 0x7c642a15, "add.    r3,r4,r5"],
  [0, 0x7c642e14, "addo    r3,r4,r5"],
  [0, 0x7c642850, "subf    r3,r4,r5"],
  [0, 0x7c6400d0, "neg     r3,r4"],
  [0, 0x7c6429d6, "mullw   r3,r4,r5"],
  [0, 0x7c6429d2, "mulld   r3,r4,r5"],
  [0, 0x7c642bd2, "divd    r3,r4,r5"],
  [0, 0x7c642b92, "divdu   r3,r4,r5"],
  [0, 0x7c642bd6, "divw    r3,r4,r5"],
  [0, 0x7c642b96, "divwu   r3,r4,r5"],
  [0, 0x7c832836, "sld     r3,r4,r5"],
  [0, 0x7c832c36, "srd     r3,r4,r5"],
  [0, 0x7c832e34, "srad    r3,r4,r5"],
  [0, 0x7c832830, "slw     r3,r4,r5"],
  [0, 0x7c832c30, "srw     r3,r4,r5"],
  [0, 0x7c831e74, "sradi   r3,r4,3"],
  // §7.1, §7.2 rotates
  [0, 0x5483103a, "slwi    r3,r4,2"],
  [0, 0x5483f0be, "srwi    r3,r4,2"],
  [0, 0x5483063e, "clrlwi  r3,r4,24"],
  [0, 0x5483403e, "rotlwi  r3,r4,8"],
  [0, 0x78830020, "clrldi  r3,r4,32"],
  [0, 0x7883e102, "srdi    r3,r4,4"],
  [0, 0x78834000, "rotldi  r3,r4,8"],
  [0, 0x788326e4, "sldi    r3,r4,4"],
  [0, 0x788304e4, "clrrdi  r3,r4,12"],
  [0, 0x78832708, "rldic   r3,r4,4,28"],
  [0, 0x7883000e, "rldimi  r3,r4,32,0"],
  // §8 compares
  [0, 0x7c232000, "cmpd    r3,r4"],
  [0, 0x7c032000, "cmpw    r3,r4"],
  [0, 0x7fa32000, "cmpd    cr7,r3,r4"],
  [0, 0x7c232040, "cmpld   r3,r4"],
  [0, 0x7c032040, "cmplw   r3,r4"],
  [0, 0x2c230000, "cmpdi   r3,0"],
  [0, 0x2c030000, "cmpwi   r3,0"],
  [0, 0x2fa3ffff, "cmpdi   cr7,r3,-1"],
  [0, 0x28230010, "cmpldi  r3,16"],
  [0, 0x28030010, "cmplwi  r3,16"],
  // §9 SPRs
  [0, 0x7c6102a6, "mfxer   r3"],
  [0, 0x7c6103a6, "mtxer   r3"],
  [0, 0x7c0802a6, "mflr    r0"],
  [0, 0x7c0803a6, "mtlr    r0"],
  [0, 0x7c6902a6, "mfctr   r3"],
  [0, 0x7c6903a6, "mtctr   r3"],
  [0, 0x7c7202a6, "mfdsisr r3"],
  [0, 0x7c7302a6, "mfdar   r3"],
  [0, 0x7c7602a6, "mfdec   r3"],
  [0, 0x7c7603a6, "mtdec   r3"],
  [0, 0x7c7a02a6, "mfsrr0  r3"],
  [0, 0x7c7a03a6, "mtsrr0  r3"],
  [0, 0x7c7b02a6, "mfsrr1  r3"],
  [0, 0x7c7b03a6, "mtsrr1  r3"],
  [0, 0x7c700aa6, "mfpidr  r3"],
  [0, 0x7c700ba6, "mtpidr  r3"],
  [0, 0x7c6c42a6, "mftb    r3"],
  [0, 0x7c7042a6, "mfsprg  r3,0"],
  [0, 0x7c7342a6, "mfsprg  r3,3"],
  [0, 0x7c7043a6, "mtsprg  0,r3"],
  [0, 0x7c704aa6, "mfhsprg0 r3"],
  [0, 0x7c704ba6, "mthsprg0 r3"],
  [0, 0x7c7a4aa6, "mfhsrr0 r3"],
  [0, 0x7c7b4aa6, "mfhsrr1 r3"],
  [0, 0x7c7f4aa6, "mflpidr r3"],
  [0, 0x7c7f4ba6, "mtlpidr r3"],
  [0, 0x7c7072a6, "mfptcr  r3"],
  [0, 0x7c7073a6, "mtptcr  r3"],
  [0, 0x7c7ffaa6, "mfpir   r3"],
  [0, 0x7c600026, "mfcr    r3"],
  [0, 0x7c6ff120, "mtcr    r3"],
  // §10 MSR moves, returns
  [0, 0x7c6000a6, "mfmsr   r3"],
  [0, 0x7c610164, "mtmsrd  r3,1"],
  [0, 0x7da10164, "mtmsrd  r13,1"],
  [0, 0x7c600164, "mtmsrd  r3"],
  [0, 0x7c600124, "mtmsr   r3"],
  [0, 0x4c000024, "rfid"],
  [0, 0x4c000224, "hrfid"],
  [0, 0x4c0000a4, "rfscv"],
  // §11 barriers, cache
  [0, 0x7c0004ac, "hwsync"],
  [0, 0x7c2004ac, "lwsync"],
  [0, 0x7c4004ac, "ptesync"],
  [0, 0x7c0006ac, "eieio"],
  [0, 0x4c00012c, "isync"],
  [0, 0x7c001fac, "icbi    0,r3"],
  [0, 0x7c00186c, "dcbst   0,r3"],
  [0, 0x7c0018ac, "dcbf    0,r3"],
  [0, 0x7c001fec, "dcbz    0,r3"],
  [0, 0x7c001a2c, "dcbtct  0,r3"],
  [0, 0x7c00046c, "tlbsync"],
  [0, 0x7c00068c, "cpabort"],
  // §12 TLB, SLB
  [0, 0x7c801a64, "tlbie   r3,r4"],
  [0, 0x7c8b1a64, "tlbie   r3,r4,2,1,1"],
  [0, 0x7c831a64, "tlbie   r3,r4,0,1,1"],
  [0, 0x7c001a64, "tlbie   r3,r0"],
  [0, 0x7c8b1a24, "tlbiel  r3,r4,2,1,1"],
  [0, 0x7c831a24, "tlbiel  r3,r4,0,1,1"],
  [0, 0x7c031a24, "tlbiel  r3,r0,0,1,1"],
  [0, 0x7c001a24, "tlbiel  r3"],
  [0, 0x7c0003e4, "slbia"],
  [0, 0x7ce003e4, "slbia   7"],
  [0, 0x7c001b64, "slbie   r3"],
  [0, 0x7c602324, "slbmte  r3,r4"],
  [0, 0x7c602726, "slbmfee r3,r4"],
  [0, 0x7c0002a4, "slbsync"],
];

/** §13 prefixed: [address, prefix, suffix, objdump text] */
const PREFIXED: readonly (readonly [number, number, number, string])[] = [
  [0, 0x06000001, 0x38642345, "paddi   r3,r4,74565"],
  [0, 0x06000001, 0x38602345, "pli     r3,74565"],
  [0, 0x0603ffff, 0x3860ffff, "pli     r3,-1"],
  [0x20, 0x06100000, 0x38600100, "pla     r3,256\t# 120"],
  [0, 0x04000001, 0xe4642345, "pld     r3,74565(r4)"],
  [0x38, 0x04100000, 0xe4600008, "pld     r3,8\t# 40"],
  [0, 0x04000001, 0xf4642345, "pstd    r3,74565(r4)"],
  [0, 0x06000000, 0x80640010, "plwz    r3,16(r4)"],
  [0, 0x06000000, 0x90640010, "pstw    r3,16(r4)"],
  [0, 0x06000000, 0x88640010, "plbz    r3,16(r4)"],
  [0, 0x07000000, 0x00000000, "pnop"],
  [0, 0x0403ffff, 0xf461fff8, "pstd    r3,-8(r1)"],
  [0, 0x06020000, 0x38610000, "paddi   r3,r1,-8589934592"],
  [0, 0x05001234, 0x80065678, "xxspltiw vs0,305419896"],
];

describe("isa.md reference vectors (objdump 2.40)", () => {
  for (const [addr, word, text] of WORDS) {
    it(`0x${word.toString(16).padStart(8, "0")} @${addr.toString(16)} → ${text}`, () => {
      assert.equal(disassembleInst(ppcInst(word), BigInt(addr)), text);
    });
  }
  for (const [addr, prefix, suffix, text] of PREFIXED) {
    it(`0x${prefix.toString(16)} 0x${suffix.toString(16)} → ${text}`, () => {
      assert.equal(disassembleInst(ppcInstPrefix(prefix, suffix), BigInt(addr)), text);
    });
  }

  it("kernel selftest prefixed words that do not decode (§13 notes)", () => {
    const bytes = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7, 8, 0, 0xe0, 0x7f]);
    const lines = disassembleBytes(bytes, 0n);
    assert.deepEqual(
      lines.map((l) => [l.address, l.length, l.text]),
      [
        [0n, 4, ".long 0x4000000"],
        [4n, 4, ".long 0x0"],
        [8n, 4, ".long 0x7000000"],
        [12n, 4, "trap"],
      ],
    );
  });

  it("a prefixed pair is one 8-byte line; a trailing partial word is out of bounds", () => {
    const bytes = new Uint8Array([0, 0, 0x10, 4, 8, 0, 0x60, 0xe4, 0x20, 0, 0x80, 0x4e, 1, 2]);
    const lines = disassembleBytes(bytes, 0xc000000000000000n);
    assert.deepEqual(
      lines.map((l) => [l.address, l.length, l.words, l.text]),
      [
        [0xc000000000000000n, 8, [0x04100000, 0xe4600008], "pld     r3,8\t# c000000000000008"],
        [0xc000000000000008n, 4, [0x4e800020], "blr"],
        [0xc00000000000000cn, 4, [], "Address 0xc00000000000000c is out of bounds."],
      ],
    );
  });

  it("branch targets wrap at 64 bits", () => {
    assert.equal(disassembleInst(ppcInst(0x4bfffffc), 0n), "b       0xfffffffffffffffc");
    assert.equal(disassembleInst(ppcInst(0x48000008), 0xfffffffffffffffcn), "b       0x4");
    assert.equal(
      disassembleInst(ppcInst(0x4bfffff0), 0xc000000000001000n),
      "b       0xc000000000000ff0",
    );
  });
});

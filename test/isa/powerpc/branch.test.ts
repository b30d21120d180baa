// Vectors from the kernel's arch/powerpc/lib/test-code-patching.c (v6.2), as
// tabulated in the reference selftests.md §3, §4, §6, grouped like the kernel's
// test functions; plus a cross-check of generated words against GNU as.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  BRANCH_ABSOLUTE,
  BRANCH_SET_LINK,
  branchOpcode,
  branchTarget,
  createBranch,
  createCondBranch,
  instrIsBranchBform,
  instrIsBranchIform,
  instrIsRelativeBranch,
  instrIsRelativeLinkBranch,
  isConditionalBranch,
  isOffsetInBranchRange,
  isOffsetInCondBranchRange,
  ppcFunctionEntry,
  translateBranch,
} from "../../../src/isa/powerpc/branch.ts";
import { type PpcInst, ppcInst, ppcInstEqual } from "../../../src/isa/powerpc/inst.ts";

const M64 = (1n << 64n) - 1n;
const w = (x: number): PpcInst => ppcInst(x);

/** The selftest's `instr_is_branch_to_addr()`: an I/B-form branch whose target is `to`. */
function isBranchToAddr(inst: PpcInst, at: bigint, to: bigint): boolean {
  if (!instrIsBranchIform(inst) && !instrIsBranchBform(inst)) return false;
  return branchTarget(inst, at) === (to & M64);
}

// The kernel runs these on a stack address; any word-aligned address works. A
// second, low address checks that targets below it wrap at 64 bits.
const ADDRS = [0xc000_0000_0212_3450n, 0x40n];

describe("test_branch_iform", () => {
  it("instr_is_branch_iform accepts exactly primary opcode 18", () => {
    const cases: [number, boolean][] = [
      [0x48000000, true],
      [0x4bffffff, true],
      [0xcbffffff, false],
      [0x7bffffff, false],
      [0x48000001, true],
      [0x4bfffffd, true],
      [0x4bff00fd, true],
      [0x7bfffffd, false],
    ];
    for (const [word, expected] of cases) {
      assert.equal(instrIsBranchIform(w(word)), expected, word.toString(16));
    }
  });

  for (const addr of ADDRS) {
    it(`branch_target decodes I-form words at 0x${addr.toString(16)}`, () => {
      const cases: [number, bigint][] = [
        [0x48000103, 0x100n],
        [0x480420ff, 0x420fcn],
        [0x49fffffc, addr + 0x1fffffcn],
        [0x4bfffffc, addr - 4n],
        [0x4a000000, addr - 0x2000000n],
      ];
      for (const [word, target] of cases) {
        assert.equal(branchTarget(w(word), addr), target & M64, word.toString(16));
      }
    });

    it(`create_branch builds in-range branches and fails out of range at 0x${addr.toString(16)}`, () => {
      const ok: [bigint, number, number][] = [
        [addr, BRANCH_SET_LINK, 0x48000001],
        [addr - 0x100n, BRANCH_SET_LINK, 0x4bffff01],
        [addr + 0x100n, 0, 0x48000100],
        [addr - 0x2000000n, BRANCH_SET_LINK, 0x4a000001],
      ];
      for (const [target, flags, word] of ok) {
        const r = createBranch(addr, target, flags);
        assert.equal(r.err, 0);
        assert.equal(r.instr.val, word);
        assert.ok(isBranchToAddr(r.instr, addr, target));
      }
      for (const target of [addr - 0x2000004n, addr + 0x2000000n, addr + 3n]) {
        const r = createBranch(addr, target, BRANCH_SET_LINK);
        assert.equal(r.err, 1);
        // create_branch zeroes *instr before checking the range.
        assert.ok(ppcInstEqual(r.instr, w(0)));
      }
      // Flags are masked to AA/LK, both clear in 0xfffffffc.
      const r = createBranch(addr, addr, 0xfffffffc);
      assert.equal(r.err, 0);
      assert.ok(isBranchToAddr(r.instr, addr, addr));
      assert.ok(ppcInstEqual(r.instr, w(0x48000000)));
    });
  }
});

describe("test_branch_bform", () => {
  it("instr_is_branch_bform accepts exactly primary opcode 16", () => {
    const cases: [number, boolean][] = [
      [0x40000000, true],
      [0x43ffffff, true],
      [0xc3ffffff, false],
      [0x7bffffff, false],
    ];
    for (const [word, expected] of cases) {
      assert.equal(instrIsBranchBform(w(word)), expected, word.toString(16));
    }
  });

  for (const addr of ADDRS) {
    it(`branch_target decodes B-form words at 0x${addr.toString(16)}`, () => {
      const cases: [number, bigint][] = [
        [0x43ff0103, 0x100n],
        [0x43ff20ff, 0x20fcn],
        [0x43ff7ffc, addr + 0x7ffcn],
        [0x43fffffc, addr - 4n],
        [0x43ff8000, addr - 0x8000n],
      ];
      for (const [word, target] of cases) {
        assert.equal(branchTarget(w(word), addr), target & M64, word.toString(16));
      }
    });

    it(`create_cond_branch masks flags to BO/BI/AA/LK and leaves instr untouched on failure at 0x${addr.toString(16)}`, () => {
      const flags = 0x3ff000 | BRANCH_SET_LINK;
      let instr = w(0);
      const ok: [bigint, number][] = [
        [addr, 0x403f0001],
        [addr - 0x100n, 0x403fff01],
        [addr + 0x100n, 0x403f0101],
        [addr - 0x8000n, 0x403f8001],
      ];
      for (const [target, word] of ok) {
        const r = createCondBranch(addr, target, flags, instr);
        assert.equal(r.err, 0);
        assert.equal(r.instr.val, word);
        assert.ok(isBranchToAddr(r.instr, addr, target));
        instr = r.instr;
      }
      for (const target of [addr - 0x8004n, addr + 0x8000n, addr + 3n]) {
        const r = createCondBranch(addr, target, flags, instr);
        assert.equal(r.err, 1);
        // *instr keeps the previous row's value, 0x403f8001.
        assert.equal(r.instr.val, 0x403f8001);
      }
      const r = createCondBranch(addr, addr, 0xfffffffc, instr);
      assert.equal(r.err, 0);
      assert.ok(isBranchToAddr(r.instr, addr, addr));
      assert.ok(ppcInstEqual(r.instr, w(0x43ff0000)));
    });
  }
});

describe("test_translate_branch", () => {
  // The kernel vmalloc()s 32 MiB + a page; any base works, a vmalloc-like one here.
  const B = 0xc008_0000_0123_0000n;
  interface Row {
    p: bigint;
    target: bigint;
    cond: boolean;
    flags: number;
    srcWord: number;
    q: bigint;
    dstWord: number;
  }
  const iform: Row[] = [
    { p: B, target: B, cond: false, flags: 0, srcWord: 0x48000000, q: B + 4n, dstWord: 0x4bfffffc },
    {
      p: B,
      target: B,
      cond: false,
      flags: 0,
      srcWord: 0x48000000,
      q: B + 0x2000000n,
      dstWord: 0x4a000000,
    },
    {
      p: B + 0x2000000n,
      target: B + 0x2000000n,
      cond: false,
      flags: 0,
      srcWord: 0x48000000,
      q: B + 4n,
      dstWord: 0x49fffffc,
    },
    {
      p: B,
      target: B + 0x1000000n,
      cond: false,
      flags: BRANCH_SET_LINK,
      srcWord: 0x49000001,
      q: B + 0x1400000n,
      dstWord: 0x4bc00001,
    },
    {
      p: B + 0x1000000n,
      target: B + 0x2000000n,
      cond: false,
      flags: 0,
      srcWord: 0x49000000,
      q: B + 4n,
      dstWord: 0x49fffffc,
    },
  ];
  const bform: Row[] = [
    { p: B, target: B, cond: true, flags: 0, srcWord: 0x40000000, q: B + 4n, dstWord: 0x4000fffc },
    {
      p: B,
      target: B,
      cond: true,
      flags: 0xfffffffc,
      srcWord: 0x43ff0000,
      q: B + 0x8000n,
      dstWord: 0x43ff8000,
    },
    {
      p: B + 0x8000n,
      target: B + 0x8000n,
      cond: true,
      flags: 0xfffffffc,
      srcWord: 0x43ff0000,
      q: B + 4n,
      dstWord: 0x43ff7ffc,
    },
    {
      p: B,
      target: B + 0x3000n,
      cond: true,
      flags: BRANCH_SET_LINK,
      srcWord: 0x40003001,
      q: B + 0x5000n,
      dstWord: 0x4000e001,
    },
    {
      p: B + 0x2000n,
      target: B + 0x4000n,
      cond: true,
      flags: 0,
      srcWord: 0x40002000,
      q: B + 4n,
      dstWord: 0x40003ffc,
    },
  ];
  const run = (rows: Row[], first: number) => {
    rows.forEach((row, i) => {
      it(`row ${first + i}: a branch at +0x${(row.p - B).toString(16)} moved to +0x${(row.q - B).toString(16)} keeps its target`, () => {
        const src = row.cond
          ? createCondBranch(row.p, row.target, row.flags)
          : createBranch(row.p, row.target, row.flags);
        assert.equal(src.err, 0);
        assert.equal(src.instr.val, row.srcWord);
        assert.ok(isBranchToAddr(src.instr, row.p, row.target));
        const dst = translateBranch(row.q, row.p, src.instr);
        assert.equal(dst.err, 0);
        assert.equal(dst.instr.val, row.dstWord);
        assert.ok(isBranchToAddr(dst.instr, row.q, row.target));
      });
    });
  };
  describe("I-form", () => run(iform, 1));
  describe("B-form", () => run(bform, 6));

  it("translate_branch of a non-branch returns 1 and leaves instr untouched", () => {
    const prev = w(0x60000000);
    const r = translateBranch(B + 4n, B, w(0x7c0802a6), prev);
    assert.equal(r.err, 1);
    assert.equal(r.instr, prev);
  });

  it("translate_branch out of range: I-form zeroes instr, B-form keeps it", () => {
    const prev = w(0x60000000);
    const i = translateBranch(B + 0x2000004n, B, w(0x48000000), prev);
    assert.deepEqual([i.err, i.instr.val], [1, 0]);
    const b = translateBranch(B + 0x8004n, B, w(0x40000000), prev);
    assert.deepEqual([b.err, b.instr.val], [1, 0x60000000]);
  });

  it("an absolute branch stays absolute with the same target", () => {
    const r = translateBranch(B + 0x1234n, B, w(0x48000103));
    assert.deepEqual([r.err, r.instr.val], [0, 0x48000103]);
  });
});

describe("other branch helpers (code-patching.md §11)", () => {
  it("is_offset_in_branch_range bounds and alignment", () => {
    assert.ok(isOffsetInBranchRange(-0x2000000n));
    assert.ok(isOffsetInBranchRange(0x1fffffcn));
    assert.ok(!isOffsetInBranchRange(-0x2000004n));
    assert.ok(!isOffsetInBranchRange(0x2000000n));
    assert.ok(!isOffsetInBranchRange(2n));
  });

  it("is_offset_in_cond_branch_range bounds and alignment", () => {
    assert.ok(isOffsetInCondBranchRange(-0x8000n));
    assert.ok(isOffsetInCondBranchRange(0x7ffcn));
    assert.ok(!isOffsetInCondBranchRange(0x7fffn));
    assert.ok(!isOffsetInCondBranchRange(0x8000n));
    assert.ok(!isOffsetInCondBranchRange(-0x8004n));
  });

  it("BRANCH_SET_LINK is LK and BRANCH_ABSOLUTE is AA", () => {
    assert.equal(BRANCH_SET_LINK, 1);
    assert.equal(BRANCH_ABSOLUTE, 2);
    assert.equal(createBranch(0x1000n, 0x100n, BRANCH_ABSOLUTE).instr.val, 0x48000102);
    assert.equal(createBranch(0x1000n, 0x100n, 3).instr.val, 0x48000103);
  });

  it("branch_opcode is the primary opcode and branch_target is 0 for non-branches", () => {
    assert.equal(branchOpcode(w(0x4e800020)), 19);
    assert.equal(branchOpcode(w(0xfc000000)), 63);
    assert.equal(branchTarget(w(0x4e800020), 0x1000n), 0n);
    assert.equal(branchTarget(w(0x60000000), 0x1000n), 0n);
  });

  it("instr_is_relative_branch and instr_is_relative_link_branch look at AA and LK", () => {
    assert.ok(instrIsRelativeBranch(w(0x48000000)));
    assert.ok(instrIsRelativeBranch(w(0x40820008)));
    assert.ok(!instrIsRelativeBranch(w(0x48000002)));
    assert.ok(!instrIsRelativeBranch(w(0x4e800020)));
    assert.ok(instrIsRelativeLinkBranch(w(0x48000001)));
    assert.ok(!instrIsRelativeLinkBranch(w(0x48000000)));
    assert.ok(!instrIsRelativeLinkBranch(w(0x48000003)));
  });

  it("is_conditional_branch: bc*, bclr, bcctr, bctar — including blr, excluding b", () => {
    assert.ok(isConditionalBranch(w(0x41820008))); // beq
    assert.ok(isConditionalBranch(w(0x4e800020))); // blr
    assert.ok(isConditionalBranch(w(0x4e800420))); // bctr
    assert.ok(isConditionalBranch(w(0x4e800460))); // bctar (XO 560)
    assert.ok(!isConditionalBranch(w(0x48000000))); // b
    assert.ok(!isConditionalBranch(w(0x4c00012c))); // isync (19/150)
  });

  it("ppc_function_entry skips the ELFv2 global entry pair only", () => {
    const f = 0xc000_0000_0001_0000n;
    assert.equal(ppcFunctionEntry(0x3c4c0123, 0x38427f00, f), f + 8n); // addis r2,r12 / addi r2,r2
    assert.equal(ppcFunctionEntry(0x3c400123, 0x38427f00, f), f + 8n); // lis r2 / addi r2,r2
    assert.equal(ppcFunctionEntry(0x3c4c0123, 0x60000000, f), f);
    assert.equal(ppcFunctionEntry(0x7c0802a6, 0x38427f00, f), f);
    assert.equal(ppcFunctionEntry(0x60000000, 0x60000000, f), f);
  });
});

/** Assemble `lines` with GNU as and return the words of .text (null if as rejects it). */
function gnuAs(lines: string[]): number[] | null {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-as-"));
  try {
    writeFileSync(join(dir, "t.s"), `.text\n${lines.join("\n")}\n`);
    const as = spawnSync("powerpc64le-linux-gnu-as", ["-a64", "-mlittle", "-o", "t.o", "t.s"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (as.error) throw new Error(`powerpc64le-linux-gnu-as not runnable: ${as.error.message}`);
    if (as.status !== 0) return null;
    const cp = spawnSync(
      "powerpc64le-linux-gnu-objcopy",
      ["-O", "binary", "-j", ".text", "t.o", "t.bin"],
      { cwd: dir, encoding: "utf8" },
    );
    if (cp.error || cp.status !== 0) throw new Error(`objcopy failed: ${cp.stderr}`);
    const bytes = readFileSync(join(dir, "t.bin"));
    const words: number[] = [];
    for (let i = 0; i + 4 <= bytes.length; i += 4) words.push(bytes.readUInt32LE(i));
    return words;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("oracle: GNU as", () => {
  // [assembler line, form, target (absolute if AA, else relative to the word), flags]
  const cases: [string, "I" | "B", bigint, number][] = [
    ["b .+0x100", "I", 0x100n, 0],
    ["bl .-0x2000000", "I", -0x2000000n, BRANCH_SET_LINK],
    ["bl .+0x1fffffc", "I", 0x1fffffcn, BRANCH_SET_LINK],
    ["b .-4", "I", -4n, 0],
    ["ba 0x100", "I", 0x100n, BRANCH_ABSOLUTE],
    ["bla 0x420fc", "I", 0x420fcn, BRANCH_ABSOLUTE | BRANCH_SET_LINK],
    ["bc 12,2,.+0x100", "B", 0x100n, (12 << 21) | (2 << 16)],
    ["bcl 4,31,.-0x8000", "B", -0x8000n, (4 << 21) | (31 << 16) | BRANCH_SET_LINK],
    ["bc 12,2,.+0x7ffc", "B", 0x7ffcn, (12 << 21) | (2 << 16)],
    ["bdnz .-0x40", "B", -0x40n, 16 << 21],
    ["bca 20,0,0x20fc", "B", 0x20fcn, (20 << 21) | BRANCH_ABSOLUTE],
    ["bcla 16,5,0x100", "B", 0x100n, (16 << 21) | (5 << 16) | BRANCH_ABSOLUTE | BRANCH_SET_LINK],
  ];

  it("create_branch / create_cond_branch produce the words GNU as assembles", () => {
    const words = gnuAs(cases.map((c) => c[0]));
    assert.ok(words, "GNU as rejected the sample");
    assert.equal(words.length, cases.length);
    cases.forEach(([line, form, t, flags], i) => {
      const addr = BigInt(i * 4);
      const target = flags & BRANCH_ABSOLUTE ? t : addr + t;
      const r =
        form === "I" ? createBranch(addr, target, flags) : createCondBranch(addr, target, flags);
      assert.equal(r.err, 0, line);
      assert.equal(r.instr.val.toString(16), words[i]!.toString(16), line);
    });
  });

  it("offsets GNU as rejects as out of range are the ones the helpers reject", () => {
    assert.equal(gnuAs(["b .+0x2000000"]), null);
    assert.equal(createBranch(0n, 0x2000000n, 0).err, 1);
    assert.equal(gnuAs(["bc 12,2,.+0x8000"]), null);
    assert.equal(createCondBranch(0n, 0x8000n, (12 << 21) | (2 << 16)).err, 1);
    assert.equal(gnuAs(["bc 12,2,.-0x8004"]), null);
    assert.equal(createCondBranch(0x8004n, 0n, (12 << 21) | (2 << 16)).err, 1);
  });
});

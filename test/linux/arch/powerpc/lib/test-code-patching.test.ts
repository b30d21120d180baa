// The boot-time code-patching self-tests (test-code-patching.c, selftests.md
// §2): with CONFIG_CODE_PATCHING_SELFTEST=y the kernel prints the banner and
// no failure line in every configuration; a variant whose patch_instruction
// writes the wrong word makes exactly the patch_instruction checks fail.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../../../src/api/boot.ts";
import { ppcInst, ppcInstPrefix, ppcInstVal } from "../../../../../src/isa/powerpc/inst.ts";
import { CODE_PATCHING_980411A4D1BB } from "../../../../../src/linux/arch/powerpc/lib/code-patching.ts";
import { defineVariant } from "../../../../../src/variants/api.ts";

const SELFTEST = ["CONFIG_DEBUG_KERNEL=y", "CONFIG_CODE_PATCHING_SELFTEST=y"];
const BANNER = "Running code patching self-tests ...";
const FAILED = /^code-patching: test failed at line \d+$/;
const lines = (dmesg: string) => dmesg.split("\n").map((l) => l.replace(/^\[[ \d.]+\] /, ""));

/**
 * A test-only variant: the store writes the word with bit 0x4 flipped (for a
 * branch: the target moves by 4; for a prefixed instruction: in the suffix).
 */
const WRONG_WORD = defineVariant({
  commit: "000000000bad",
  subject: "textpoke test: __patch_instruction writes the wrong word",
  overrides: {
    __patchInstruction: (c, execAddr, instr, patchAddr) => {
      const bad =
        ppcInstVal(instr) >>> 26 !== 1
          ? ppcInst((ppcInstVal(instr) ^ 4) >>> 0)
          : ppcInstPrefix(ppcInstVal(instr), (instr.suffix ^ 4) >>> 0);
      return CODE_PATCHING_980411A4D1BB.__patchInstruction(c, execAddr, bad, patchAddr);
    },
  },
});

describe("code-patching self-tests (late initcall)", () => {
  for (const mmu of ["radix", "hash"] as const) {
    for (const page of ["64K", "4K"] as const) {
      for (const debugVm of ["y", "n"] as const) {
        const sets = [
          ...SELFTEST,
          `CONFIG_DEBUG_VM=${debugVm}`,
          ...(page === "4K" ? ["CONFIG_PPC_64K_PAGES=n", "CONFIG_PPC_4K_PAGES=y"] : []),
        ];
        it(`${mmu} ${page} DEBUG_VM=${debugVm}, 1/2/4 CPUs: the banner, no failure line, a clean boot`, () => {
          for (const cpus of [1, 2, 4]) {
            const r = boot({ cpus, mmu, sets });
            const l = lines(r.dmesg);
            assert.equal(r.exitCode, 0, r.dmesg);
            assert.equal(r.kernel.config.pageShift, page === "4K" ? 12 : 16);
            assert.equal(l.filter((x) => x === BANNER).length, 1, `${cpus} CPUs: banner`);
            assert.deepEqual(
              l.filter((x) => FAILED.test(x)),
              [],
              `${cpus} CPUs`,
            );
            assert.doesNotMatch(r.dmesg, /WARNING:|Oops|BUG/);
          }
        });
      }
    }
  }

  it("without CONFIG_CODE_PATCHING_SELFTEST nothing is printed", () => {
    const r = boot({ cpus: 2 });
    assert.equal(r.exitCode, 0);
    assert.ok(!lines(r.dmesg).includes(BANNER));
  });

  it("a patch_instruction that writes the wrong word fails exactly the two checks that patch (create_function_call, prefixed_patching)", () => {
    const r = boot({ cpus: 2, sets: SELFTEST, variant: WRONG_WORD });
    const failed = lines(r.dmesg).filter((x) => FAILED.test(x));
    assert.equal(failed.length, 2, r.dmesg);
    assert.equal(new Set(failed).size, 2, "two different checks");
  });
});

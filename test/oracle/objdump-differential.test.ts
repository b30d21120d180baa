/**
 * Differential test of the Power ISA disassembler against GNU objdump 2.40:
 * 10,000 seeded random words for every primary opcode (prefix/suffix pairs for
 * PO 1), words built from every table row's pattern, and every instruction of
 * the committed GCC -O2 objects. Every line where either side prints a
 * mnemonic of our table must agree exactly.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareFixture, fixtureObjects } from "./objdump-fixtures.ts";
import { formatReport, objdumpAvailable, runDifferential } from "./objdump-oracle.ts";

const SEED = 0x7e47_900c;
const available = objdumpAvailable();
const skip =
  !available && process.env.CI !== "true" ? "objdump for powerpc64le not installed" : false;

describe("objdump differential", { skip }, () => {
  it("random words for every primary opcode agree with objdump", () => {
    const r = runDifferential(SEED, 10_000, 8);
    console.log(formatReport(r));
    assert.ok(r.total > 640_000, `only ${r.total} instructions compared`);
    assert.deepEqual(
      r.tableMismatches.slice(0, 20).map((m) => ({
        address: `0x${m.address.toString(16)}`,
        words: m.words.map((w) => `0x${w.toString(16)}`),
        objdump: m.objdump,
        ours: m.ours,
      })),
      [],
    );
    assert.equal(r.tableMismatches.length, 0);
    assert.equal(r.biased.tableMismatches.length, 0);
  });

  it("every instruction of the GCC fixture objects agrees with objdump -d", () => {
    const objects = fixtureObjects();
    assert.ok(objects.length >= 8, "fixtures/gcc objects missing");
    let total = 0;
    let agree = 0;
    for (const o of objects) {
      const c = compareFixture(o);
      total += c.total;
      agree += c.agree;
      assert.deepEqual(
        c.tableMismatches.map(
          (m) => `${o} 0x${m.address.toString(16)}: "${m.objdump}" vs "${m.ours}"`,
        ),
        [],
      );
      assert.equal(c.otherMismatches, 0, `${o}: mismatches outside the table`);
    }
    console.log(`GCC fixtures: ${objects.length} objects, ${total} instructions, ${agree} agree`);
    assert.equal(agree, total);
  });
});

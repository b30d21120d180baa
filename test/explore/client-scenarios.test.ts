// The clients' scenarios on compiled code decide both ways. jump-label-vs-execute:
// on the fix exhaustive and clean; the token of the no-icbi counterexample
// replays to the same violation (that no-icbi is caught, with its message, is a
// row of invariants.test.ts). prefixed-vs-execute, on GCC's POWER10 paddi in
// prefixed_demo: clean on the fix, torn with a variant that stores the pair as
// two words (the pair words are objdump's for fixtures/kernel/prefixed-demo.o).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

const noIcbi = new URL("./variants/no-icbi.js", import.meta.url).pathname;
const twoStores = new URL("./variants/prefixed-two-stores.js", import.meta.url).pathname;

describe("jump-label-vs-execute", () => {
  it("is exhaustive and clean on 980411a4d1bb with 2 and 3 CPUs", async () => {
    for (const cpus of ["2", "3"]) {
      const r = await runCli("check", "--scenario", "jump-label-vs-execute", "--cpus", cpus);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^clean jump-label-vs-execute: every schedule, variant 980411a4d1bb/m);
    }
  });

  it("without icbi: the counterexample's token replays to the stale execution", async () => {
    const r = await runCli(
      "check",
      "--variant",
      noIcbi,
      "--scenario",
      "jump-label-vs-execute",
      "--cpus",
      "2",
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const token = /^replay: textpoke replay (\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(token !== undefined, r.stdout);
    const p = await runCli("replay", token);
    assert.equal(p.status, 1, p.stdout + p.stderr);
    assert.match(p.stdout, /CPU \d executed 0x60000000 at static_branch_demo\+0x8\//);
  });
});

describe("prefixed-vs-execute", () => {
  it("is exhaustive and clean on 980411a4d1bb", async () => {
    const r = await runCli("check", "--scenario", "prefixed-vs-execute", "--cpus", "2");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^clean prefixed-vs-execute: every schedule/m);
  });

  it("two 4-byte stores: a CPU executes half of the new paddi beside half of GCC's", async () => {
    const r = await runCli(
      "check",
      "--variant",
      twoStores,
      "--scenario",
      "prefixed-vs-execute",
      "--cpus",
      "2",
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    // GCC's paddi r3,r3,0x12345678 is 0x06001234:0x38635678; the new one 0x06000000:0x38630001.
    assert.match(
      r.stdout,
      /^VIOLATION no-torn-prefixed: .*\n\s+CPU 1 executed the prefixed pair (0x06000000:0x38635678|0x06001234:0x38630001) at prefixed_demo\+0xc\//m,
    );
  });
});

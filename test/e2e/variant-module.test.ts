// `--variant` with a user's module: the examples boot, bad modules are one-line errors.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "textpoke-variant-"));
function module(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("textpoke boot --variant FILE", () => {
  for (const example of ["vmalloc-on-radix.js", "no-local-flush.js"]) {
    it(`boots the documented example ${example}`, async () => {
      const path = new URL(`../../examples/variants/${example}`, import.meta.url).pathname;
      const r = await runCli("boot", "--variant", path, "--set", "CONFIG_DEBUG_VM=y");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Run \/init as init process\n$/);
    });
  }

  it("a user variant really replaces the function: re-creating the bug reproduces the oops", async () => {
    // Re-create the bug from the built-in pre-fix functions, looked up through the API at load time.
    const api = JSON.stringify(new URL("../../src/api/variants.ts", import.meta.url).pathname);
    const path = module(
      "rebug.mjs",
      `import { findVariant } from ${api};
       const bug = findVariant("pre-fix").ops;
       export default (tp) => tp.defineVariant({ commit: "c28c15b6d28a", subject: "again",
         overrides: { textAreaCpuUpMm: bug.textAreaCpuUpMm, __doPatchInstructionMm: bug.__doPatchInstructionMm } });`,
    );
    const r = await runCli("boot", "--variant", path, "--set", "CONFIG_DEBUG_VM=y");
    assert.equal(r.status, 1);
    assert.match(r.stdout, /kernel BUG at arch\/powerpc\/mm\/pgtable\.c:333!/);
  });

  for (const [name, text, needle] of [
    ["nodefault.mjs", "export const x = 1;\n", "has no default export"],
    [
      "unknownfn.mjs",
      'export default { commit: "980411a4d1bb", subject: "x", overrides: { frob: () => 1 } };\n',
      "unknown function 'frob'",
    ],
    [
      "notafn.mjs",
      'export default { commit: "980411a4d1bb", subject: "x", overrides: { patchInstruction: 3 } };\n',
      "'patchInstruction' is not a function",
    ],
    [
      "badcommit.mjs",
      'export default { commit: "HEAD", subject: "x", overrides: {} };\n',
      "'commit' must be a kernel commit id",
    ],
    ["throws.mjs", 'export default () => { throw new Error("boom"); };\n', "failed: boom"],
    ["syntax.mjs", "export default syntax error(\n", "failed to load"],
  ] as const) {
    it(`rejects ${name} with one line and exit 2`, async () => {
      const r = await runCli("boot", "--variant", module(name, text));
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.ok(r.stderr.includes(needle), r.stderr);
      assert.equal(r.stderr.split("\n").length, 2, r.stderr);
    });
  }

  it("rejects a missing file and an unknown name", async () => {
    const a = await runCli("boot", "--variant", join(dir, "missing.js"));
    assert.equal(a.status, 2);
    assert.match(a.stderr, /not found\n$/);
    const b = await runCli("boot", "--variant", "deadbeef");
    assert.equal(b.status, 2);
    assert.match(b.stderr, /unknown variant 'deadbeef'/);
  });
});

describe("textpoke variants", () => {
  it("lists the three built-in commits with their subjects and marks the default", async () => {
    const r = await runCli("variants");
    assert.equal(r.status, 0);
    assert.match(
      r.stdout,
      /^274d842fa1ef {2}powerpc\/tlb: Add local flush for page given mm_struct and psize$/m,
    );
    assert.match(
      r.stdout,
      /^c28c15b6d28a {2}powerpc\/code-patching: Use temporary mm for Radix MMU$/m,
    );
    assert.match(
      r.stdout,
      /^980411a4d1bb {2}powerpc\/code-patching: Fix oops with DEBUG_VM enabled {2}\(default\)$/m,
    );
  });
});

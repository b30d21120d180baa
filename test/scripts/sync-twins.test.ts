/**
 * The sync-twin transform (scripts/sync-twins.mjs): what it rewrites, what it
 * leaves alone, and that the original code keeps its lines. The twins it
 * makes are run against their generators in test/machine/fast-path.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addSyncTwins, runtimeSpecifier } from "../../scripts/sync-twins.mjs";

const RT = "./rt.ts";

/** The appended part (the twins), without the helper import. */
function twins(src: string): string {
  const out = addSyncTwins(src, RT);
  assert.ok(out !== null, "the module has twins");
  const at = out.indexOf("// sync twins");
  assert.ok(at > 0);
  return out.slice(at);
}

describe("sync twins transform", () => {
  it("leaves a module without module-scope generators alone", () => {
    assert.equal(addSyncTwins("export const x = 1;\n", RT), null);
    assert.equal(
      addSyncTwins("export function f() { return function* () { yield 1; }; }\n", RT),
      null,
    );
  });

  it("turns a generator declaration's yields into helper calls and attaches the twin", () => {
    const t = twins(
      "export function* f(c, x) {\n  yield 3;\n  const a = yield* g(c, x + 1);\n  return a;\n}\n",
    );
    assert.match(t, /function f\$tpSync\(c, x\) \{/);
    assert.match(t, /__tpY\(3\);/);
    assert.match(t, /const a = \(g\.sync \?\? __tpF\(g\)\)\(c, x \+ 1\);/);
    assert.match(t, /f\.sync = f\$tpSync;/);
    assert.doesNotMatch(t, /yield/);
  });

  it("calls the twin of a generator declared in the same module directly", () => {
    const t = twins(
      "function* g(c) {\n  yield 1;\n}\nexport function* f(c) {\n  return yield* g(c);\n}\n",
    );
    assert.match(t, /return g\$tpSync\(c\);/);
    assert.doesNotMatch(t, /g\.sync \?\?/);
  });

  it("keeps the indirect call where the name might not be that generator", () => {
    const cases = {
      imported: 'import { g } from "./g.ts";\nexport function* f(c) {\n  yield* g(c);\n}\n',
      "shadowed by a parameter":
        "function* g(c) {\n  yield 1;\n}\nexport function* f(c) {\n  const h = (g) => g;\n  yield* g(c);\n}\n",
      "shadowed by a variable":
        "function* g(c) {\n  yield 1;\n}\nexport function* f(c) {\n  { const g = c; }\n  yield* g(c);\n}\n",
      reassigned:
        "function* g(c) {\n  yield 1;\n}\nexport function* f(c) {\n  yield* g(c);\n}\nexport function set(x) {\n  g = x;\n}\n",
    };
    for (const [why, src] of Object.entries(cases)) {
      assert.match(twins(src), /\(g\.sync \?\? __tpF\(g\)\)\(c\)/, why);
    }
  });

  it("keeps `this` for method calls and drives what is not a call", () => {
    const t = twins(
      "export function* f(o, it) {\n  yield* o.m(1, 2);\n  yield* o[k]();\n  yield* mk().m(3);\n  return yield* it;\n}\n",
    );
    assert.match(t, /\(o\.m\.sync \?\? __tpF\(o\.m\)\)\.call\(o, 1, 2\);/);
    assert.match(t, /__tpCM\(o, k\);/);
    assert.match(t, /__tpCM\(mk\(\), "m", 3\);/);
    assert.match(t, /return __tpD\(it\);/);
  });

  it("rewrites yields nested in arguments and a bare yield", () => {
    const t = twins("export function* f() {\n  yield* g(yield* h(), yield);\n}\n");
    assert.match(t, /\(g\.sync \?\? __tpF\(g\)\)\(\(h\.sync \?\? __tpF\(h\)\)\(\), __tpY\(\)\);/);
  });

  it("wraps a module-scope generator expression and hoists its twin", () => {
    const src = "export const f = kfunc({ name: 'f' }, function* (c) {\n  yield 1;\n});\n";
    const out = addSyncTwins(src, RT)!;
    assert.match(
      out,
      /kfunc\(\{ name: 'f' \}, __tpT\(function\* \(c\) \{\n {2}yield 1;\n\}, __tpSync0\)\);/,
    );
    assert.match(out, /function __tpSync0\(c\) \{\n {2}__tpY\(1\);\n\}/);
  });

  it("gives closures no twin and leaves generators nested in a twin's body as they are", () => {
    const src =
      "export function* f() {\n  const inner = function* () { yield 2; };\n  yield* inner();\n}\nexport function mk() { return function* () { yield 5; }; }\n";
    const t = twins(src);
    assert.match(t, /const inner = function\* \(\) \{ yield 2; \};/);
    assert.match(t, /\(inner\.sync \?\? __tpF\(inner\)\)\(\);/);
    assert.doesNotMatch(t, /yield 5/);
  });

  it("keeps every original line where it was, and the source-map comment last", () => {
    const src =
      "export function* f(c) {\n  yield 1;\n}\nexport const g = h(function* () {\n  yield 2;\n});\n//# sourceMappingURL=data:application/json;base64,AAAA\n";
    const out = addSyncTwins(src, RT)!;
    const before = src.split("\n");
    const after = out.split("\n");
    // Line 1 gains the helper import in front; the others are unchanged but
    // for the wrapper around the generator expression.
    assert.ok(after[0]!.endsWith(before[0]!));
    assert.equal(after[1], before[1]);
    assert.equal(after[2], before[2]);
    assert.equal(after[3], "export const g = h(__tpT(function* () {");
    assert.equal(after[4], before[4]);
    assert.equal(after[5], "}, __tpSync0));");
    assert.match(after.at(-2)!, /^\/\/# sourceMappingURL=/);
  });

  it("refuses a module that already uses a helper name", () => {
    assert.throws(
      () => addSyncTwins("const __tpY = 1;\nexport function* f() { yield __tpY; }\n", RT),
      /__tpY already used/,
    );
  });

  it("imports the runtime by a path relative to the module", () => {
    const root = new URL("../..", import.meta.url).pathname;
    assert.equal(runtimeSpecifier(`${root}src/machine/task-ops.ts`), "../util/sync-twins.ts");
    assert.equal(runtimeSpecifier(`${root}src/util/x.ts`), "./sync-twins.ts");
  });
});

// Symmetry over CPUs of the same role: which CPUs are grouped, that the
// verdict with and without it is the same on every built-in scenario (the
// fix, and wrong variants on the scenario where symmetry applies), that a
// counterexample found with it replays as it was printed, and that it saves
// executions where it applies.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CheckOptions, check, parseToken, replay } from "../../src/api/check.ts";
import { loadVariant } from "../../src/cli/load-variant.ts";
import { builtinScenario, builtinScenarios } from "../../src/explore/scenarios.ts";
import { symmetryGroups } from "../../src/explore/symmetry.ts";

const breaker = (n: string) => new URL(`./variants/${n}`, import.meta.url).pathname;

function verdicts(o: CheckOptions) {
  const on = check({ ...o, symmetry: true });
  const off = check({ ...o, symmetry: false });
  const v = (r: typeof on) => r.results.map((x) => `${x.scenario}: ${x.verdict} ${x.invariant}`);
  assert.deepEqual(v(on), v(off));
  return { on, off };
}

describe("symmetry", () => {
  it("groups the secondary CPUs whose threads do the same thing, and no other", () => {
    const online = [0, 1, 2, 3];
    const s = (n: string) => builtinScenario(n, 4)!;
    assert.deepEqual(symmetryGroups(s("patch-same-word"), online), [[1, 2, 3]]);
    assert.deepEqual(symmetryGroups(s("patch-same-word"), [0, 1, 3]), [[1, 3]]);
    // Per-thread strides: each CPU patches its own word first.
    assert.deepEqual(symmetryGroups(s("concurrent-patch"), online), []);
    // CPU 1 is taken down by name; CPUs 2 and 3 patch different words.
    assert.deepEqual(symmetryGroups(s("patch-vs-hotplug"), online), []);
    assert.deepEqual(symmetryGroups(s("boot"), online), []);
  });

  it("gives the same verdict with and without it on every built-in scenario (the fix, 3 CPUs)", () => {
    const { on } = verdicts({ cpus: 3, suppress: ["no-leak@put_patching_mm"] });
    assert.equal(on.results.length, builtinScenarios(3).length);
    assert.ok(on.results.every((x) => x.verdict === "clean" || x.verdict === "skipped"));
  });

  it("saves executions where it applies, and the search stays exhaustive", () => {
    const { on, off } = verdicts({ cpus: 4, scenarios: ["patch-same-word"] });
    const a = on.results[0]!;
    const b = off.results[0]!;
    assert.equal(a.verdict, "clean");
    assert.match(a.line, /left out by symmetry \(CPUs 1=2=3\)/);
    assert.ok(a.symmetric > 0 && a.executions < b.executions, `${a.executions} vs ${b.executions}`);
    assert.equal(b.symmetric, 0);
  });

  for (const [what, variant, sets] of [
    ["the seed bug, DEBUG_VM off", "c28c15b6d28a", ["CONFIG_DEBUG_VM=n"]],
    ["one patching mm for every CPU", breaker("shared-patching-mm.js"), []],
    ["a byte-swapped store", breaker("byte-swapped-store.js"), []],
    ["a store to the neighbouring word", breaker("writes-neighbour.js"), []],
  ] as const) {
    it(`${what}: the same violation with and without it, and its counterexample replays`, async () => {
      const v = await loadVariant(variant);
      const { on } = verdicts({
        variant: v,
        sets: [...sets],
        cpus: 4,
        scenarios: ["patch-same-word"],
      });
      const x = on.results[0]!;
      assert.equal(x.verdict, "violation", x.line);
      const spec = parseToken(x.token!);
      const again = replay(x.token!, spec, { variant: v });
      assert.equal(again.exitCode, 1);
      assert.equal(again.text, `${x.counterexample}`);
    });
  }
});

// random and pct: seeded, so the same seed gives the same output byte for
// byte, and a counterexample they find replays exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { check, parseToken, replay } from "../../src/api/check.ts";
import { findVariant } from "../../src/api/variants.ts";

const bug = findVariant("c28c15b6d28a");

describe("random and pct strategies", () => {
  for (const strategy of ["random", "pct"] as const) {
    it(`${strategy}: same seed, same bytes; a different seed, its own run`, () => {
      const run = (seed: number) =>
        check({ strategy, seed, executions: 30, scenarios: ["execute-vs-patch"] }).results[0]!.line;
      assert.equal(run(7), run(7));
      assert.match(
        run(7),
        new RegExp(
          `^clean execute-vs-patch: no violation in 30 ${strategy} executions \\(schedule seeds 7\\.\\.36\\)`,
        ),
      );
      assert.notEqual(run(7), run(8));
    });

    it(`${strategy}: finds the seed bug, and its token replays the same block`, () => {
      const o = {
        variant: bug,
        variantRef: "c28c15b6d28a",
        sets: ["CONFIG_DEBUG_VM=n"],
        strategy,
        seed: 3,
        executions: 5,
        scenarios: ["concurrent-patch"],
      };
      const r = check(o).results[0]!;
      assert.equal(r.invariant, "lock-discipline");
      const token = r.token!;
      const again = replay(token, parseToken(token), { variant: bug });
      assert.equal(again.exitCode, 1);
      assert.equal(again.text, r.counterexample);
      assert.equal(check(o).results[0]!.counterexample, r.counterexample);
    });
  }
});

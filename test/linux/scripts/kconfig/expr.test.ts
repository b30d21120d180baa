// Kconfig expressions (scripts/kconfig/expr.c): tristate logic with n=0, m=1,
// y=2; && is min, || is max, ! is 2-x; comparisons of numbers are numeric.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  evalExpr,
  exprSymbols,
  parseExpr,
  type Tri,
} from "../../../../src/linux/scripts/kconfig/expr.ts";

const values: Record<string, string> = { A: "y", B: "n", M: "m", N: "2048", S: "4" };
const env = {
  tri: (name: string): Tri => (({ y: 2, m: 1, n: 0 })[values[name] ?? "n"] as Tri) ?? 0,
  text: (name: string): string => values[name] ?? "",
};
const ev = (text: string): Tri => evalExpr(parseExpr(text), env);

describe("Kconfig expressions", () => {
  it("evaluates tristate logic", () => {
    assert.equal(ev("A && B"), 0);
    assert.equal(ev("A || B"), 2);
    assert.equal(ev("!B"), 2);
    assert.equal(ev("A && M"), 1);
    assert.equal(ev("!M"), 1);
    assert.equal(ev("!(A && !B) || M"), 1);
    assert.equal(ev("y"), 2);
  });

  it("compares numbers numerically", () => {
    assert.equal(ev("N >= S"), 2);
    assert.equal(ev("S >= N"), 0);
    assert.equal(ev("N >= 4"), 2);
    assert.equal(ev("S < 10"), 2); // as strings "4" > "10"
    assert.equal(ev("A = y"), 2);
    assert.equal(ev("A != y"), 0);
  });

  it("lists the symbols it names", () => {
    assert.deepEqual(exprSymbols(parseExpr("PPC64 && (SMP || !PPC64) && NR_CPUS >= 4")), [
      "PPC64",
      "SMP",
      "NR_CPUS",
    ]);
  });

  it("rejects bad syntax", () => {
    assert.throws(() => parseExpr("A &&"));
    assert.throws(() => parseExpr("(A"));
    assert.throws(() => parseExpr("A B"));
  });
});

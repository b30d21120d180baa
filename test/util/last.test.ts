import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Last } from "../../src/util/last.ts";

describe("Last: the last answer of a pure function", () => {
  it("answers only for exactly the last arguments", () => {
    const last = new Last(0n);
    assert.equal(last.has(5n, 12), false, "nothing remembered yet");
    assert.equal(last.set(5n, 12, null, 55n), 55n);
    assert.equal(last.has(5n, 12), true);
    assert.equal(last.value, 55n);
    assert.equal(last.has(5n, 16), false, "another number");
    assert.equal(last.has(6n, 12), false, "another bigint");
    assert.equal(last.has(5n, 12, 1n), false, "another second bigint");
  });
  it("compares bigints by value, not by identity", () => {
    const last = new Last("x");
    last.set(BigInt("0xc000000000001000"), 12, BigInt(7), "y");
    assert.equal(last.has(0xc000_0000_0000_1000n, 12, 7n), true);
  });
  it("remembers one answer: a new one replaces it", () => {
    const last = new Last(0);
    last.set(1n, 0, null, 1);
    last.set(2n, 0, null, 2);
    assert.equal(last.has(1n, 0), false);
    assert.equal(last.has(2n, 0), true);
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Prng } from "../../src/util/prng.ts";

// Outside oracle: the C reference in fixtures/prng, compiled with the host C compiler.
const dir = mkdtempSync(join(tmpdir(), "textpoke-prng-"));
const exe = join(dir, "xoshiro128ss");
execFileSync("cc", [
  "-O2",
  "-o",
  exe,
  new URL("../../fixtures/prng/xoshiro128ss.c", import.meta.url).pathname,
]);
const reference = (...args: (number | string)[]): number[] =>
  execFileSync(exe, args.map(String), { encoding: "utf8" }).trim().split("\n").map(Number);

describe("Prng (xoshiro128** with SplitMix-style seeding)", () => {
  it("matches the C reference stream from an explicit state", () => {
    const p = Prng.fromState(1, 2, 3, 4);
    const got = Array.from({ length: 1000 }, () => p.nextU32());
    assert.deepEqual(got, reference(1, 2, 3, 4, 1000));
  });

  for (const seed of [0, 1, 42, 0xdeadbeef, 0xffffffff]) {
    it(`matches the C reference stream for seed ${seed}`, () => {
      const p = new Prng(seed);
      const got = Array.from({ length: 1000 }, () => p.nextU32());
      assert.deepEqual(got, reference(seed, 1000));
    });
  }

  it("below(n) stays in range and is deterministic per seed", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    for (let i = 0; i < 10000; i++) {
      const x = a.below(10);
      assert.ok(x >= 0 && x < 10);
      assert.equal(x, b.below(10));
    }
  });

  it("below(n) covers every value of a small range", () => {
    const p = new Prng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(p.below(6));
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
  });

  it("below(n) is rejection sampling of the raw stream, exact for every bound up to 2^32", () => {
    // Oracle: the same stream, limit and remainder in BigInt arithmetic.
    for (const bound of [
      2,
      4,
      1024,
      2 ** 31,
      3,
      6,
      10,
      2 ** 31 - 1,
      2 ** 31 + 1,
      3_000_000_019,
      2 ** 32 - 1,
      2 ** 32,
    ]) {
      const p = new Prng(11);
      const raw = new Prng(11);
      const b = BigInt(bound);
      const limit = (1n << 32n) - ((1n << 32n) % b);
      for (let i = 0; i < 2000; i++) {
        let r = BigInt(raw.nextU32());
        while (r >= limit) r = BigInt(raw.nextU32());
        assert.equal(BigInt(p.below(bound)), r % b, `bound ${bound}, draw ${i}`);
      }
    }
  });

  it("below rejects a bound of 0", () => {
    assert.throws(() => new Prng(1).below(0), RangeError);
  });
});

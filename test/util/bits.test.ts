import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alignDown, lowBits } from "../../src/util/bits.ts";
import { Prng } from "../../src/util/prng.ts";

// BigInt arithmetic is the oracle: exact for every width.
describe("alignDown / lowBits on integers below 2^53", () => {
  const rng = new Prng(0x5eed);
  const samples: number[] = [
    0,
    1,
    4095,
    4096,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 52 - 1,
    2 ** 53 - 1,
  ];
  for (let i = 0; i < 2000; i++) {
    const hi = rng.nextU32() % 2 ** 21;
    samples.push(hi * 2 ** 32 + rng.nextU32());
  }
  for (const n of [0, 1, 12, 16, 21, 30, 31, 32, 33, 40, 52]) {
    it(`agree with BigInt for 2^${n}`, () => {
      const m = 1n << BigInt(n);
      for (const x of samples) {
        const b = BigInt(x);
        assert.equal(BigInt(alignDown(x, n)), b - (b % m), `alignDown(0x${x.toString(16)}, ${n})`);
        assert.equal(BigInt(lowBits(x, n)), b % m, `lowBits(0x${x.toString(16)}, ${n})`);
      }
    });
  }
});

/**
 * The simulator's only source of randomness: xoshiro128** 1.1 (Blackman and
 * Vigna, public domain), its 128-bit state seeded from a 32-bit seed by a
 * SplitMix-style generator (Weyl sequence with increment 0x9e3779b9, each value
 * finalised by MurmurHash3's fmix32). 32-bit integer arithmetic only, so Node
 * and browsers produce the same stream.
 * The stream for a given seed is part of the replay contract: never change it.
 */
export class Prng {
  /**
   * s0..s3. A typed array: as object fields, 32-bit values beyond the Smi
   * range were boxed at every step (one allocation per random choice).
   */
  private readonly s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const s = this.s;
    s[0] = next();
    s[1] = next();
    s[2] = next();
    s[3] = next();
    if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  }

  /** Build directly from a 128-bit state (for known-answer tests against the C reference). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    const p = new Prng(0);
    p.s[0] = s0;
    p.s[1] = s1;
    p.s[2] = s2;
    p.s[3] = s3;
    return p;
  }

  /** Next 32-bit unsigned output. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = rotl(s3 >>> 0, 11);
    return result;
  }

  /** Uniform integer in [0, bound), bound ≥ 1, without modulo bias (rejection). */
  below(bound: number): number {
    if (!(bound >= 1 && bound <= 0x1_0000_0000 && Number.isInteger(bound))) {
      throw new RangeError(`Prng.below: bad bound ${bound}`);
    }
    if (bound === 1) return 0;
    // A power of two below 2^31 (two CPUs: 2) divides 2^32: nothing is
    // rejected and the remainder is the low bits — the same answer, no division.
    if (bound <= 0x8000_0000 && (bound & (bound - 1)) === 0) return this.nextU32() & (bound - 1);
    // Remainders by floor division: exact below 2^32, and `%` on a number
    // beyond the 31-bit range is a call to fmod (this runs at every random
    // scheduling choice).
    const limit = 0x1_0000_0000 - mod(0x1_0000_0000, bound);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return mod(r, bound);
    }
  }
}

/** `x % m` for integers 0 ≤ x ≤ 2^32, 1 ≤ m ≤ 2^32: the quotient's floor is exact there. */
function mod(x: number, m: number): number {
  return x - Math.floor(x / m) * m;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

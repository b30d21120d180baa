/**
 * Integer vector arithmetic beyond the modulo basics in vsx.ts (Power ISA
 * v3.1 Book I ch. 6.9 "Vector Integer Instructions"): unpacks, saturating
 * add/subtract/pack/sum (which set VSCR[SAT]), high and wide multiplies,
 * multiply-sums, absolute differences, rotate-and-mask, quadword arithmetic,
 * compares and shifts, the v3.1 divides, parity, bit gathers and polynomial
 * multiplies. Semantics were checked against qemu-ppc64le 7.2.
 */
import type { Builder } from "./context.ts";
import {
  ew,
  getQ,
  join,
  M64,
  M128,
  sat,
  setCr6,
  setQ,
  smax,
  smin,
  split,
  sx,
  umax,
  VA,
  VB,
  VT,
  vq,
} from "./vector-quad.ts";

/** vupkhs[bhw] / vupkls[bhw]: sign-extend the high/low half's elements to double width. */
function unpack(bits: number, high: boolean): Builder {
  return vq((_a, b) => {
    const v = split(b, bits);
    const half = high ? v.slice(0, v.length / 2) : v.slice(v.length / 2);
    return join(
      half.map((e) => sx(e, bits)),
      2 * bits,
    );
  });
}

/** vupkhpx / vupklpx: 1/5/5/5 pixels → 8/8/8/8 words (the 1-bit channel sign-extended). */
function unpackPixel(high: boolean): Builder {
  return vq((_a, b) => {
    const v = split(b, 16);
    const half = high ? v.slice(0, 4) : v.slice(4);
    return join(
      half.map((h) => {
        const a = (h & 0x8000n) !== 0n ? 0xffn : 0n;
        return (a << 24n) | (((h >> 10n) & 31n) << 16n) | (((h >> 5n) & 31n) << 8n) | (h & 31n);
      }),
      32,
    );
  });
}

/** vadd[us][bhw]s / vsub[us][bhw]s: saturating add/subtract. */
function addSat(bits: number, signed: boolean, sub: boolean): Builder {
  const lo = signed ? smin(bits) : 0n;
  const hi = signed ? smax(bits) : umax(bits);
  return ew(bits, (a, b, x) => {
    const av = signed ? sx(a, bits) : a;
    const bv = signed ? sx(b, bits) : b;
    return sat(x, sub ? av - bv : av + bv, lo, hi);
  });
}

/** vpk[us][hwd][us]s: narrow A's then B's elements with saturation. */
function packSat(bits: number, signedIn: boolean, signedOut: boolean): Builder {
  const nb = bits / 2;
  const lo = signedOut ? smin(nb) : 0n;
  const hi = signedOut ? smax(nb) : umax(nb);
  return vq((a, b, _c, _t, x) => {
    const v = [...split(a, bits), ...split(b, bits)].map((e) => (signedIn ? sx(e, bits) : e));
    return join(
      v.map((e) => sat(x, e, lo, hi)),
      nb,
    );
  });
}

/** vpkpx: 8/8/8/8 words → 1/5/5/5 pixels. */
const vpkpx = vq((a, b) => {
  const v = [...split(a, 32), ...split(b, 32)];
  return join(
    v.map(
      (w) =>
        (((w >> 24n) & 1n) << 15n) |
        (((w >> 19n) & 31n) << 10n) |
        (((w >> 11n) & 31n) << 5n) |
        ((w >> 3n) & 31n),
    ),
    16,
  );
});

/** vmulh[us][wd] (v3.1): the high half of each element product. */
function mulHigh(bits: number, signed: boolean): Builder {
  return ew(bits, (a, b) => (signed ? sx(a, bits) * sx(b, bits) : a * b) >> BigInt(bits), true);
}

/** vmul[eo][us]d (v3.1): the 128-bit product of doubleword 0 (even) or 1 (odd). */
function mulWideD(even: boolean, signed: boolean): Builder {
  return vq((a, b) => {
    const i = even ? 0 : 1;
    const av = split(a, 64)[i]!;
    const bv = split(b, 64)[i]!;
    return BigInt.asUintN(128, signed ? sx(av, 64) * sx(bv, 64) : av * bv);
  }, true);
}

/** vsum4ubs / vsum4sbs / vsum4shs: per word, its sub-elements of A plus B's word, saturated. */
function sum4(bits: 8 | 16, signed: boolean): Builder {
  const per = 32 / bits;
  const lo = signed ? smin(32) : 0n;
  const hi = signed ? smax(32) : umax(32);
  return vq((a, b, _c, _t, x) => {
    const av = split(a, bits);
    const bv = split(b, 32);
    return join(
      bv.map((bw, i) => {
        let s = signed ? sx(bw, 32) : bw;
        for (let k = 0; k < per; k++) {
          const e = av[per * i + k]!;
          s += signed ? sx(e, bits) : e;
        }
        return sat(x, s, lo, hi);
      }),
      32,
    );
  });
}

/** vsum2sws: words 1 and 3 ← saturated sums of A's word pairs plus B's word; 0 and 2 ← 0. */
const vsum2sws = vq((a, b, _c, _t, x) => {
  const av = split(a, 32).map((e) => sx(e, 32));
  const bv = split(b, 32).map((e) => sx(e, 32));
  const r = [0n, 0n, 0n, 0n];
  for (let j = 0; j < 2; j++)
    r[2 * j + 1] = sat(x, av[2 * j]! + av[2 * j + 1]! + bv[2 * j + 1]!, smin(32), smax(32));
  return join(r, 32);
});

/** vsumsws: word 3 ← saturated sum of A's words plus B's word 3; others 0. */
const vsumsws = vq((a, b, _c, _t, x) => {
  const av = split(a, 32).map((e) => sx(e, 32));
  const s = av.reduce((p, e) => p + e, sx(split(b, 32)[3]!, 32));
  return BigInt.asUintN(32, sat(x, s, smin(32), smax(32)));
});

/**
 * vmsum[um][bh][ms] VRT,VRA,VRB,VRC: per word, the sum of A×B sub-element
 * products plus C's word, modulo or saturated.
 */
function msum(bits: 8 | 16, aSigned: boolean, bSigned: boolean, mode: "m" | "us" | "ss"): Builder {
  const per = 32 / bits;
  return vq((a, b, c, _t, x) => {
    const av = split(a, bits);
    const bv = split(b, bits);
    const cv = split(c, 32);
    return join(
      cv.map((cw, i) => {
        let s = mode === "ss" ? sx(cw, 32) : cw;
        for (let k = 0; k < per; k++) {
          const j = per * i + k;
          const ae = aSigned ? sx(av[j]!, bits) : av[j]!;
          const be = bSigned ? sx(bv[j]!, bits) : bv[j]!;
          s += ae * be;
        }
        if (mode === "us") return sat(x, s, 0n, umax(32));
        if (mode === "ss") return sat(x, s, smin(32), smax(32));
        return s;
      }),
      32,
    );
  });
}

/** vmsumudm (v3.0) / vmsumcud (v3.1): A.dw0×B.dw0 + A.dw1×B.dw1 + C, modulo 2^128 / its carry-out. */
function msumD(carry: boolean): Builder {
  return vq((a, b, c) => {
    const av = split(a, 64);
    const bv = split(b, 64);
    const s = av[0]! * bv[0]! + av[1]! * bv[1]! + c;
    return carry ? s >> 128n : s & M128;
  }, carry);
}

/** vmladduhm: halfword A×B + C modulo 2^16. */
const vmladduhm = vq((a, b, c) => {
  const av = split(a, 16);
  const bv = split(b, 16);
  const cv = split(c, 16);
  return join(
    av.map((e, i) => e * bv[i]! + cv[i]!),
    16,
  );
});

/** vmhaddshs / vmhraddshs: ((A×B [+ 2^14]) >> 15) + C, saturated signed halfwords. */
function mhadd(round: boolean): Builder {
  return vq((a, b, c, _t, x) => {
    const av = split(a, 16);
    const bv = split(b, 16);
    const cv = split(c, 16);
    return join(
      av.map((e, i) => {
        const p = sx(e, 16) * sx(bv[i]!, 16) + (round ? 0x4000n : 0n);
        return sat(x, (p >> 15n) + sx(cv[i]!, 16), smin(16), smax(16));
      }),
      16,
    );
  });
}

/** vmrgew / vmrgow: A's and B's even (odd) words interleaved. */
function mergeEvenOdd(odd: boolean): Builder {
  return vq((a, b) => {
    const av = split(a, 32);
    const bv = split(b, 32);
    const k = odd ? 1 : 0;
    return join([av[k]!, bv[k]!, av[k + 2]!, bv[k + 2]!], 32);
  });
}

/** MASK(mb, me) over `bits` bits in ISA numbering (wrapping when mb > me). */
function rotMask(mb: number, me: number, bits: number): bigint {
  const all = umax(bits);
  const from = (all >> BigInt(mb)) & all; // bits mb..bits-1
  const to = (all << BigInt(bits - 1 - me)) & all; // bits 0..me
  return mb <= me ? from & to : from | to;
}

function rotl(v: bigint, n: number, bits: number): bigint {
  const s = BigInt(n % bits);
  const m = umax(bits);
  return s === 0n ? v : ((v << s) | (v >> (BigInt(bits) - s))) & m;
}

/**
 * vrlwnm/vrldnm/vrlwmi/vrldmi (v3.0) and vrlqnm/vrlqmi (v3.1): rotate each
 * element of A by B's shift field, then AND with MASK(mb, me) from B, or
 * insert under it into VRT.
 */
function rotateMask(bits: 32 | 64 | 128, insert: boolean): Builder {
  const fb = bits === 32 ? 5 : bits === 64 ? 6 : 7;
  const fm = (1n << BigInt(fb)) - 1n;
  return vq((a, b, _c, t) => {
    const av = split(a, bits);
    const bv = split(b, bits);
    const tv = split(t, bits);
    return join(
      av.map((e, i) => {
        // Control fields: the shift in the element's low byte, me the next byte, mb the third.
        const ctl = bits === 128 ? bv[i]! >> 64n : bv[i]!;
        const sh = Number(ctl & fm);
        const me = Number((ctl >> 8n) & fm);
        const mb = Number((ctl >> 16n) & fm);
        const m = rotMask(mb, me, bits);
        const r = rotl(e, sh, bits) & m;
        return insert ? r | (tv[i]! & ~m & umax(bits)) : r;
      }),
      bits,
    );
  }, bits === 128);
}

/** vslv / vsrv: each byte of A (with its neighbour) shifted by the low 3 bits of B's byte. */
function shiftVariable(left: boolean): Builder {
  return vq((a, b) => {
    const av = split(a, 8);
    const bv = split(b, 8);
    return join(
      av.map((e, i) => {
        const sh = bv[i]! & 7n;
        if (left) return (((e << 8n) | (av[i + 1] ?? 0n)) << sh) >> 8n;
        return (((i === 0 ? 0n : av[i - 1]!) << 8n) | e) >> sh;
      }),
      8,
    );
  });
}

/** vrlq / vslq / vsrq / vsraq (v3.1): shift count from B's bits 57:63. */
function quadShift(kind: "rl" | "sl" | "sr" | "sra"): Builder {
  return vq((a, b) => {
    const n = Number((b >> 64n) & 127n);
    if (kind === "rl") return rotl(a, n, 128);
    if (kind === "sl") return (a << BigInt(n)) & M128;
    if (kind === "sr") return a >> BigInt(n);
    return BigInt.asUintN(128, sx(a, 128) >> BigInt(n));
  }, true);
}

/**
 * vdiv[us][wdq], vmod[us][wdq], vdive[us][wdq] (v3.1). Where the ISA leaves
 * the result undefined (zero divisor, signed overflow) qemu divides by 1
 * (words) or returns the dividend (doublewords, quadwords) for divides and
 * returns 0 for modulo; the extended forms keep the quotient's low bits.
 */
function divide(bits: 32 | 64 | 128, signed: boolean, kind: "div" | "mod" | "dive"): Builder {
  const smn = smin(bits);
  return ew(
    bits,
    (a, b) => {
      const av = signed ? sx(a, bits) : a;
      let bv = signed ? sx(b, bits) : b;
      const bad = bv === 0n || (signed && bv === -1n && av === smn);
      if (kind === "mod") return bad ? 0n : av % bv;
      if (kind === "div") return bad ? av : av / bv;
      const hi = av << BigInt(bits);
      if (bits === 32) {
        // Word forms divide the 64-bit (A || 0) with the divisor replaced by 1 when undefined.
        if (bv === 0n || (signed && bv === -1n && hi === smin(64))) bv = 1n;
        return hi / bv;
      }
      if (bv === 0n || (signed && bv === -1n && av === smn)) return av;
      return hi / bv;
    },
    true,
  );
}

/** vabsdu[bhw]: |A − B| of unsigned elements. */
function absDiff(bits: number): Builder {
  return ew(bits, (a, b) => (a > b ? a - b : b - a));
}

/** vaddcuw / vsubcuw: the carry out of each word add, or 1 when no borrow. */
function carryWord(sub: boolean): Builder {
  return ew(32, (a, b) => (sub ? (a >= b ? 1n : 0n) : (a + b) >> 32n));
}

/** Quadword add/sub with carry: vaddcuq, vsubcuq, vaddeuqm, vaddecuq, vsubeuqm, vsubecuq. */
function quadCarry(sub: boolean, extended: boolean, carryOut: boolean): Builder {
  return vq((a, b, c) => {
    const bv = sub ? ~b & M128 : b;
    const cin = extended ? c & 1n : sub ? 1n : 0n;
    const s = a + bv + cin;
    return carryOut ? s >> 128n : s & M128;
  });
}

/** vcmpequq / vcmpgtuq / vcmpgtsq (v3.1), Rc=1 sets CR6. */
function compareQ(kind: "eq" | "gtu" | "gts"): Builder {
  return (w, p, o, power10) => {
    const record = (w & 0x400) !== 0;
    const b = vq((av, bv, _c, _t, x) => {
      const r = kind === "eq" ? av === bv : kind === "gtu" ? av > bv : sx(av, 128) > sx(bv, 128);
      if (record) setCr6(x, r, !r);
      return r ? M128 : 0n;
    }, true);
    return b(w, p, o, power10);
  };
}

/** vcmpuq / vcmpsq BF,VRA,VRB (v3.1): CR field BF ← LT/GT/EQ. */
function compareQCr(signed: boolean): Builder {
  return (w, _p, _o, power10) => {
    if (!power10) return null;
    const bf = (w >>> 23) & 7;
    const a = VA(w);
    const b = VB(w);
    return (x) => {
      let av = getQ(x, a);
      let bv = getQ(x, b);
      if (signed) {
        av = sx(av, 128);
        bv = sx(bv, 128);
      }
      const f = av < bv ? 8 : av > bv ? 4 : 2;
      const sh = 4 * (7 - bf);
      x.cpu.cr = ((x.cpu.cr & ~(0xf << sh)) | (f << sh)) >>> 0;
      return 1;
    };
  };
}

/** vextsd2q (v3.1): sign-extend doubleword 1 to the quadword. */
const vextsd2q = vq((_a, b) => BigInt.asUintN(128, sx(b & M64, 64)), true);

/** vmul10uq / vmul10cuq / vmul10euq / vmul10ecuq (v3.0): A×10 (+ B's low nibble), or its carry. */
function mul10(extended: boolean, carry: boolean): Builder {
  return vq((a, b) => {
    const s = a * 10n + (extended ? b & 15n : 0n);
    return carry ? s >> 128n : s & M128;
  });
}

/** vprtyb[wdq]: the parity of the low bits of each element's bytes. */
function parity(bits: number): Builder {
  return vq((_a, b) =>
    join(
      split(b, bits).map((e) => {
        let p = 0n;
        for (let k = 0; k < bits; k += 8) p ^= (e >> BigInt(k)) & 1n;
        return p;
      }),
      bits,
    ),
  );
}

/** vgbbd: transpose each doubleword's 8×8 bit matrix. */
const vgbbd = vq((_a, b) =>
  join(
    split(b, 64).map((d) => {
      const bytes = split(d, 8).slice(8); // the doubleword's 8 bytes, ISA order
      let r = 0n;
      for (let j = 0; j < 8; j++)
        for (let k = 0; k < 8; k++) {
          const bit = (bytes[k]! >> BigInt(7 - j)) & 1n;
          r |= bit << BigInt(63 - (8 * j + k));
        }
      return r;
    }),
    64,
  ),
);

/** vbpermq: bits of A selected by B's 16 byte indexes → doubleword 0 bits 48:63. */
const vbpermq = vq((a, b) => {
  let r = 0n;
  for (const idx of split(b, 8)) {
    const bit = idx < 128n ? (a >> (127n - idx)) & 1n : 0n;
    r = (r << 1n) | bit;
  }
  return r << 64n;
});

/** vbpermd (v3.0): per doubleword, 8 bits of A selected by B's byte indexes → bits 56:63. */
const vbpermd = vq((a, b) => {
  const av = split(a, 64);
  const bv = split(b, 64);
  return join(
    av.map((d, i) => {
      let r = 0n;
      for (const idx of split(bv[i]!, 8).slice(8)) {
        r = (r << 1n) | (idx < 64n ? (d >> (63n - idx)) & 1n : 0n);
      }
      return r;
    }),
    64,
  );
});

function clmul(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let s = 0n, v = b; v !== 0n; s++, v >>= 1n) if ((v & 1n) !== 0n) r ^= a << s;
  return r;
}

/** vpmsum[bhwd]: carry-less products of element pairs, XORed, double width. */
function pmsum(bits: number): Builder {
  return vq((a, b) => {
    const av = split(a, bits);
    const bv = split(b, bits);
    const out: bigint[] = [];
    for (let i = 0; i < av.length; i += 2)
      out.push(clmul(av[i]!, bv[i]!) ^ clmul(av[i + 1]!, bv[i + 1]!));
    return join(out, 2 * bits);
  });
}

/** mfvscr: VRT ← VSCR zero-extended (the low word). */
const mfvscr: Builder = (w) => {
  const t = VT(w);
  return (x) => {
    setQ(x, t, BigInt(x.cpu.vscr >>> 0));
    return 1;
  };
};

/** mtvscr: VSCR ← VRB's word 3. */
const mtvscr: Builder = (w) => {
  const b = VB(w);
  return (x) => {
    x.cpu.vscr = x.v32[4 * b]! >>> 0;
    return 1;
  };
};

const T: Record<string, Builder> = {};
for (const [s, bits] of [
  ["b", 8],
  ["h", 16],
  ["w", 32],
] as const) {
  T[`vupkhs${s}`] = unpack(bits, true);
  T[`vupkls${s}`] = unpack(bits, false);
  T[`vaddu${s}s`] = addSat(bits, false, false);
  T[`vadds${s}s`] = addSat(bits, true, false);
  T[`vsubu${s}s`] = addSat(bits, false, true);
  T[`vsubs${s}s`] = addSat(bits, true, true);
  T[`vabsdu${s}`] = absDiff(bits);
}
for (const [s, bits] of [
  ["h", 16],
  ["w", 32],
  ["d", 64],
] as const) {
  T[`vpku${s}us`] = packSat(bits, false, false);
  T[`vpks${s}us`] = packSat(bits, true, false);
  T[`vpks${s}ss`] = packSat(bits, true, true);
}
for (const [s, bits] of [
  ["w", 32],
  ["d", 64],
  ["q", 128],
] as const) {
  for (const [g, signed] of [
    ["u", false],
    ["s", true],
  ] as const) {
    T[`vdiv${g}${s}`] = divide(bits, signed, "div");
    T[`vmod${g}${s}`] = divide(bits, signed, "mod");
    T[`vdive${g}${s}`] = divide(bits, signed, "dive");
  }
  T[`vprtyb${s}`] = parity(bits);
}

export function vectorIntegerExec(): Readonly<Record<string, Builder>> {
  return {
    ...T,
    vupkhpx: unpackPixel(true),
    vupklpx: unpackPixel(false),
    vpkpx,
    vmulhuw: mulHigh(32, false),
    vmulhsw: mulHigh(32, true),
    vmulhud: mulHigh(64, false),
    vmulhsd: mulHigh(64, true),
    vmuleud: mulWideD(true, false),
    vmuloud: mulWideD(false, false),
    vmulesd: mulWideD(true, true),
    vmulosd: mulWideD(false, true),
    vsum4ubs: sum4(8, false),
    vsum4sbs: sum4(8, true),
    vsum4shs: sum4(16, true),
    vsum2sws,
    vsumsws,
    vmsumubm: msum(8, false, false, "m"),
    vmsummbm: msum(8, true, false, "m"),
    vmsumuhm: msum(16, false, false, "m"),
    vmsumuhs: msum(16, false, false, "us"),
    vmsumshm: msum(16, true, true, "m"),
    vmsumshs: msum(16, true, true, "ss"),
    vmsumudm: msumD(false),
    vmsumcud: msumD(true),
    vmladduhm,
    vmhaddshs: mhadd(false),
    vmhraddshs: mhadd(true),
    vmrgew: mergeEvenOdd(false),
    vmrgow: mergeEvenOdd(true),
    vrlwnm: rotateMask(32, false),
    vrlwmi: rotateMask(32, true),
    vrldnm: rotateMask(64, false),
    vrldmi: rotateMask(64, true),
    vrlqnm: rotateMask(128, false),
    vrlqmi: rotateMask(128, true),
    vslv: shiftVariable(true),
    vsrv: shiftVariable(false),
    vrlq: quadShift("rl"),
    vslq: quadShift("sl"),
    vsrq: quadShift("sr"),
    vsraq: quadShift("sra"),
    vaddcuw: carryWord(false),
    vsubcuw: carryWord(true),
    vaddcuq: quadCarry(false, false, true),
    vsubcuq: quadCarry(true, false, true),
    vaddeuqm: quadCarry(false, true, false),
    vaddecuq: quadCarry(false, true, true),
    vsubeuqm: quadCarry(true, true, false),
    vsubecuq: quadCarry(true, true, true),
    vcmpequq: compareQ("eq"),
    vcmpgtuq: compareQ("gtu"),
    vcmpgtsq: compareQ("gts"),
    vcmpuq: compareQCr(false),
    vcmpsq: compareQCr(true),
    vextsd2q,
    vmul10uq: mul10(false, false),
    vmul10cuq: mul10(false, true),
    vmul10euq: mul10(true, false),
    vmul10ecuq: mul10(true, true),
    vgbbd,
    vbpermq,
    vbpermd,
    vpmsumb: pmsum(8),
    vpmsumh: pmsum(16),
    vpmsumw: pmsum(32),
    vpmsumd: pmsum(64),
    mfvscr,
    mtvscr,
  };
}

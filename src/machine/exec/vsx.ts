/**
 * The vector (VMX) and VSX subset integer C code compiled by GCC uses (Power
 * ISA v3.1 Book I ch. 6 "Vector Facility", ch. 7 "Vector-Scalar Extension"):
 * loads/stores in little-endian mode, GPR↔VSR moves, splats, permutes and
 * merges, 128-bit logical ops, and element-wise integer arithmetic, shifts,
 * compares and packs. A register's 16 bytes are kept as the little-endian
 * image of its value (see Cpu.vsr), so ISA element i of n elements is array
 * index n-1-i.
 *
 * SIMPLIFICATION: MSR[FP/VEC/VSX] are not checked (no facility-unavailable
 * interrupts); no floating-point arithmetic; VSCR[SAT] is not maintained.
 */
import { type Builder, CTX, type ExecContext, type Handler } from "./context.ts";
import { type EaFn, eaDisp, eaIndexed, eaPrefixed } from "./ea.ts";

const RT = (w: number): number => (w >>> 21) & 31;
const RA = (w: number): number => (w >>> 16) & 31;
const RB = (w: number): number => (w >>> 11) & 31;
/** XX-form register numbers: 5-bit field + the extension bit at value bit `bit`. */
const XT = (w: number): number => RT(w) | ((w & 1) << 5);
const XS = XT;
const XA = (w: number): number => RA(w) | (((w >>> 2) & 1) << 5);
const XB = (w: number): number => RB(w) | (((w >>> 1) & 1) << 5);
const XC = (w: number): number => ((w >>> 6) & 31) | (((w >>> 3) & 1) << 5);
/** Vector registers are VSRs 32..63. */
const VT = (w: number): number => 32 + RT(w);
const VA = (w: number): number => 32 + RA(w);
const VB = (w: number): number => 32 + RB(w);
const VC = (w: number): number => 32 + ((w >>> 6) & 31);

const scratch = new Uint8Array(48);
const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64u = new BigUint64Array(f64.buffer);

function wrap(h: Handler, prefixed: boolean): Handler {
  if (!prefixed) return h;
  return (x) => {
    const r = h(x);
    return r > 0 ? 2 : r;
  };
}

// ------------------------------------------------------- loads and stores

/** Read `n` bytes at t[0] into `scratch` (page-crossing safe); 0 or a handler result. */
function readBytes(x: ExecContext, n: number): number {
  const base = x.t[0]!;
  for (let i = 0; i < n; i += 8) {
    x.t[0] = base + BigInt(i);
    const r = x.rd64();
    if (r < 0) return r;
    const lo = x.t32[2]!;
    const hi = x.t32[3]!;
    for (let k = 0; k < 4; k++) {
      scratch[i + k] = lo >>> (8 * k);
      scratch[i + 4 + k] = hi >>> (8 * k);
    }
  }
  x.t[0] = base;
  return 0;
}

/** Write `n` bytes (1, 2, 4, 8 or a multiple of 8) from `scratch` at t[0]. */
function writeBytes(x: ExecContext, n: number): number {
  if (n < 8) {
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = (v << 8) | scratch[k]!;
    return n === 1 ? x.wr8(v) : n === 2 ? x.wr16(v) : x.wr32(v >>> 0);
  }
  const base = x.t[0]!;
  for (let i = 0; i < n; i += 8) {
    x.t[0] = base + BigInt(i);
    let lo = 0;
    let hi = 0;
    for (let k = 3; k >= 0; k--) {
      lo = (lo << 8) | scratch[i + k]!;
      hi = (hi << 8) | scratch[i + 4 + k]!;
    }
    x.t32[2] = lo >>> 0;
    x.t32[3] = hi >>> 0;
    const r = x.wr64();
    if (r < 0) return r;
  }
  x.t[0] = base;
  return 0;
}

/**
 * How memory bytes map to register bytes. `le16`: the quadword is the
 * little-endian image (lxv/lxvx). `d2`/`w4`/`h8`/`b16`: elements in BE order,
 * each little-endian (lxvd2x ...). Scalar kinds fill doubleword 0.
 */
type Layout = "le16" | "d2" | "w4" | "h8" | "b16";

function toReg(x: ExecContext, r: number, layout: Layout): void {
  const v = x.v8;
  const o = 16 * r;
  if (layout === "le16") {
    for (let i = 0; i < 16; i++) v[o + i] = scratch[i]!;
    return;
  }
  const e = layout === "d2" ? 8 : layout === "w4" ? 4 : layout === "h8" ? 2 : 1;
  const n = 16 / e;
  for (let i = 0; i < n; i++) {
    // ISA element i comes from memory offset i*e, little-endian within the element.
    const dst = o + (n - 1 - i) * e;
    for (let k = 0; k < e; k++) v[dst + k] = scratch[i * e + k]!;
  }
}

function fromReg(x: ExecContext, r: number, layout: Layout): void {
  const v = x.v8;
  const o = 16 * r;
  if (layout === "le16") {
    for (let i = 0; i < 16; i++) scratch[i] = v[o + i]!;
    return;
  }
  const e = layout === "d2" ? 8 : layout === "w4" ? 4 : layout === "h8" ? 2 : 1;
  const n = 16 / e;
  for (let i = 0; i < n; i++) {
    const src = o + (n - 1 - i) * e;
    for (let k = 0; k < e; k++) scratch[i * e + k] = v[src + k]!;
  }
}

type VForm = "DQ" | "X" | "XA" | "P";

/** EA of a quadword access; "XA" is lvx/stvx, which ignore the low four bits. */
function vea(form: VForm, w: number, prefix: number, off: number): EaFn | null {
  if (form === "DQ") return eaDisp(RA(w), ((w << 16) >> 16) & ~15);
  if (form === "P") return eaPrefixed(prefix, w, off);
  const ea = eaIndexed(RA(w), RB(w));
  if (form === "X") return ea;
  return (x) => {
    ea(x);
    x.t[0] = x.t[0]! & ~15n;
  };
}

function vload(layout: Layout, form: VForm, reg: (w: number) => number): Builder {
  return (w, prefix, off) => {
    const r = reg(w);
    const ea = vea(form, w, prefix, off);
    if (ea === null) return null;
    return wrap((x) => {
      ea(x);
      const e = readBytes(x, 16);
      if (e < 0) return e;
      toReg(x, r, layout);
      return 1;
    }, form === "P");
  };
}

function vstore(layout: Layout, form: VForm, reg: (w: number) => number): Builder {
  return (w, prefix, off) => {
    const r = reg(w);
    const ea = vea(form, w, prefix, off);
    if (ea === null) return null;
    return wrap((x) => {
      ea(x);
      fromReg(x, r, layout);
      return writeBytes(x, 16) < 0 ? CTX : 1;
    }, form === "P");
  };
}

/** lxvp/stxvp (v3.1): in LE mode XTp+1 holds the quadword at EA, XTp the one at EA+16. */
function vpair(store: boolean, form: "DQ" | "X" | "P"): Builder {
  return (w, prefix, off, power10) => {
    if (!power10) return null;
    const xtp = (((w >>> 21) & 1) << 5) | ((w >>> 21) & 0x1e);
    const ea: EaFn | null =
      form === "DQ"
        ? eaDisp(RA(w), ((w << 16) >> 16) & ~15)
        : form === "X"
          ? eaIndexed(RA(w), RB(w))
          : eaPrefixed(prefix, w, off);
    if (ea === null) return null;
    return wrap((x) => {
      for (let half = 0; half < 2; half++) {
        ea(x);
        x.t[0] = x.t[0]! + BigInt(16 * half);
        const r = half === 0 ? xtp + 1 : xtp;
        if (store) {
          fromReg(x, r, "le16");
          if (writeBytes(x, 16) < 0) return CTX;
        } else {
          const e = readBytes(x, 16);
          if (e < 0) return e;
          toReg(x, r, "le16");
        }
      }
      return 1;
    }, form === "P");
  };
}

/** Scalar loads into doubleword 0 (doubleword 1 ← 0, as qemu does): lxsd, lxsiwzx, lfd ... */
type Scalar = "d" | "wz" | "wa" | "hz" | "bz" | "sp";

function sload(
  kind: Scalar,
  form: "DS" | "D" | "X" | "P",
  reg: (w: number) => number,
  update = false,
  clearLow = true,
): Builder {
  return (w, prefix, off) => {
    const r = reg(w);
    const ra = RA(w);
    const ea: EaFn | null =
      form === "DS"
        ? eaDisp(RA(w), ((w << 16) >> 16) & ~3)
        : form === "D"
          ? eaDisp(RA(w), (w << 16) >> 16)
          : form === "X"
            ? eaIndexed(RA(w), RB(w))
            : eaPrefixed(prefix, w, off);
    if (ea === null) return null;
    return wrap((x) => {
      ea(x);
      let v: bigint;
      if (kind === "d") {
        const e = x.rd64();
        if (e < 0) return e;
        v = x.t[1]!;
      } else {
        const n = kind === "bz" ? x.rd8() : kind === "hz" ? x.rd16() : x.rd32();
        if (n < 0) return n;
        if (kind === "sp") {
          f32u[0] = n;
          f64[0] = f32[0]!;
          v = f64u[0]!;
        } else {
          v = kind === "wa" ? BigInt.asUintN(64, BigInt(n | 0)) : BigInt(n);
        }
      }
      x.v64[2 * r + 1] = v;
      if (clearLow) x.v64[2 * r] = 0n;
      if (update) x.g[ra] = x.t[0]!;
      return 1;
    }, form === "P");
  };
}

function sstore(
  kind: "d" | "w" | "h" | "b" | "sp",
  form: "DS" | "D" | "X" | "P",
  reg: (w: number) => number,
  update = false,
): Builder {
  return (w, prefix, off) => {
    const r = reg(w);
    const ra = RA(w);
    const ea: EaFn | null =
      form === "DS"
        ? eaDisp(RA(w), ((w << 16) >> 16) & ~3)
        : form === "D"
          ? eaDisp(RA(w), (w << 16) >> 16)
          : form === "X"
            ? eaIndexed(RA(w), RB(w))
            : eaPrefixed(prefix, w, off);
    if (ea === null) return null;
    return wrap((x) => {
      ea(x);
      const v = x.v64[2 * r + 1]!;
      let e: number;
      if (kind === "d") {
        x.t[1] = v;
        e = x.wr64();
      } else if (kind === "sp") {
        f64u[0] = v;
        f32[0] = f64[0]!;
        e = x.wr32(f32u[0]!);
      } else {
        const n = Number(v & 0xffff_ffffn);
        e = kind === "b" ? x.wr8(n) : kind === "h" ? x.wr16(n) : x.wr32(n);
      }
      if (e < 0) return e;
      if (update) x.g[ra] = x.t[0]!;
      return 1;
    }, form === "P");
  };
}

/** lxvr[bhwd]x / stxvr[bhwd]x (v3.1): one element, zero-extended into / taken from the rightmost bytes. */
function rightmost(e: 1 | 2 | 4 | 8, store: boolean): Builder {
  return (w, _p, _o, power10) => {
    if (!power10) return null;
    const xt = XT(w);
    const ea = eaIndexed(RA(w), RB(w));
    return (x) => {
      ea(x);
      if (store) {
        const lo = x.v32[4 * xt]!;
        if (e === 8) {
          x.t[1] = x.v64[2 * xt]!;
          return x.wr64() < 0 ? CTX : 1;
        }
        const r = e === 1 ? x.wr8(lo) : e === 2 ? x.wr16(lo & 0xffff) : x.wr32(lo);
        return r < 0 ? r : 1;
      }
      let v: bigint;
      if (e === 8) {
        const r = x.rd64();
        if (r < 0) return r;
        v = x.t[1]!;
      } else {
        const n = e === 1 ? x.rd8() : e === 2 ? x.rd16() : x.rd32();
        if (n < 0) return n;
        v = BigInt(n);
      }
      x.v64[2 * xt] = v;
      x.v64[2 * xt + 1] = 0n;
      return 1;
    };
  };
}

/** lxvl/lxvll/stxvl/stxvll (v3.0): length from RB[0:7]; `left` = BE byte order. */
function vlen(store: boolean, left: boolean): Builder {
  return (w) => {
    const xt = XT(w);
    const ra = RA(w);
    const rb = RB(w);
    return (x) => {
      const nb = Math.min(16, x.g32[2 * rb + 1]! >>> 24);
      x.t[0] = ra === 0 ? 0n : x.g[ra]!;
      const base = x.t[0]!;
      const o = 16 * xt;
      if (!store) scratch.fill(0, 0, 16);
      for (let i = 0; i < nb; i++) {
        x.t[0] = base + BigInt(i);
        const idx = left ? o + 15 - i : o + i;
        if (store) {
          const e = x.wr8(x.v8[idx]!);
          if (e < 0) return e;
        } else {
          const b = x.rd8();
          if (b < 0) return b;
          scratch[left ? 15 - i : i] = b;
        }
      }
      if (!store) for (let i = 0; i < 16; i++) x.v8[o + i] = scratch[i]!;
      return 1;
    };
  };
}

/** lxvdsx / lxvwsx: load one element and splat it. */
function loadSplat(e: 4 | 8): Builder {
  return (w) => {
    const xt = XT(w);
    const ea = eaIndexed(RA(w), RB(w));
    return (x) => {
      ea(x);
      if (e === 8) {
        const r = x.rd64();
        if (r < 0) return r;
        x.v64[2 * xt] = x.t[1]!;
        x.v64[2 * xt + 1] = x.t[1]!;
      } else {
        const v = x.rd32();
        if (v < 0) return v;
        x.v32.fill(v, 4 * xt, 4 * xt + 4);
      }
      return 1;
    };
  };
}

// ------------------------------------------------------------------ moves

const mfvsrd: Builder = (w) => {
  const ra = RA(w);
  const xs = XS(w);
  return (x) => {
    x.g[ra] = x.v64[2 * xs + 1]!;
    return 1;
  };
};
const mfvsrld: Builder = (w) => {
  const ra = RA(w);
  const xs = XS(w);
  return (x) => {
    x.g[ra] = x.v64[2 * xs]!;
    return 1;
  };
};
const mfvsrwz: Builder = (w) => {
  const ra = RA(w);
  const xs = XS(w);
  return (x) => {
    x.g32[2 * ra] = x.v32[4 * xs + 2]!;
    x.g32[2 * ra + 1] = 0;
    return 1;
  };
};
/** mtvsrd/mtvsrwa/mtvsrwz: doubleword 0 ← RA (extended); doubleword 1 ← 0. */
function mtvsr(kind: "d" | "wa" | "wz"): Builder {
  return (w) => {
    const ra = RA(w);
    const xt = XT(w);
    return (x) => {
      const v = x.g[ra]!;
      x.v64[2 * xt + 1] =
        kind === "d"
          ? v
          : kind === "wa"
            ? BigInt.asUintN(64, BigInt.asIntN(32, v))
            : BigInt.asUintN(32, v);
      x.v64[2 * xt] = 0n;
      return 1;
    };
  };
}
const mtvsrdd: Builder = (w) => {
  const ra = RA(w);
  const rb = RB(w);
  const xt = XT(w);
  return (x) => {
    x.v64[2 * xt + 1] = ra === 0 ? 0n : x.g[ra]!;
    x.v64[2 * xt] = x.g[rb]!;
    return 1;
  };
};
const mtvsrws: Builder = (w) => {
  const ra = RA(w);
  const xt = XT(w);
  return (x) => {
    x.v32.fill(x.g32[2 * ra]!, 4 * xt, 4 * xt + 4);
    return 1;
  };
};

// ---------------------------------------------------------------- splats

const xxspltib: Builder = (w) => {
  const xt = XT(w);
  const imm = (w >>> 11) & 0xff;
  return (x) => {
    x.v8.fill(imm, 16 * xt, 16 * xt + 16);
    return 1;
  };
};

/** xxspltiw XT,IMM32 (8RR, v3.1). */
const xxspltiw: Builder = (w, prefix) => {
  const xt = (((w >>> 16) & 1) << 5) | RT(w);
  const imm = ((w & 0xffff) | ((prefix & 0xffff) << 16)) >>> 0;
  return (x) => {
    x.v32.fill(imm, 4 * xt, 4 * xt + 4);
    return 2;
  };
};

/** xxspltidp XT,IMM32: the single-precision immediate converted to double, both doublewords. */
const xxspltidp: Builder = (w, prefix) => {
  const xt = (((w >>> 16) & 1) << 5) | RT(w);
  f32u[0] = ((w & 0xffff) | ((prefix & 0xffff) << 16)) >>> 0;
  f64[0] = f32[0]!;
  const v = f64u[0]!;
  return (x) => {
    x.v64[2 * xt] = v;
    x.v64[2 * xt + 1] = v;
    return 2;
  };
};

/** xxsplti32dx XT,IX,IMM32: word elements IX and IX+2. */
const xxsplti32dx: Builder = (w, prefix) => {
  const xt = (((w >>> 16) & 1) << 5) | RT(w);
  const ix = (w >>> 17) & 1;
  const imm = ((w & 0xffff) | ((prefix & 0xffff) << 16)) >>> 0;
  return (x) => {
    x.v32[4 * xt + 3 - ix] = imm;
    x.v32[4 * xt + 1 - ix] = imm;
    return 2;
  };
};

function vspltis(e: 1 | 2 | 4): Builder {
  return (w) => {
    const vt = VT(w);
    const simm = (RA(w) << 27) >> 27;
    return (x) => {
      if (e === 1) x.v8.fill(simm, 16 * vt, 16 * vt + 16);
      else if (e === 2) x.v16.fill(simm, 8 * vt, 8 * vt + 8);
      else x.v32.fill(simm, 4 * vt, 4 * vt + 4);
      return 1;
    };
  };
}

/** vspltb/vsplth/vspltw and xxspltw: splat element UIM of the source. */
function splat(e: 1 | 2 | 4, vsx: boolean): Builder {
  return (w) => {
    const n = 16 / e;
    const t = vsx ? XT(w) : VT(w);
    const b = vsx ? XB(w) : VB(w);
    const uim = (w >>> 16) & (n - 1);
    const k = n - 1 - uim;
    return (x) => {
      if (e === 1) x.v8.fill(x.v8[16 * b + k]!, 16 * t, 16 * t + 16);
      else if (e === 2) x.v16.fill(x.v16[8 * b + k]!, 8 * t, 8 * t + 8);
      else x.v32.fill(x.v32[4 * b + k]!, 4 * t, 4 * t + 4);
      return 1;
    };
  };
}

// ----------------------------------------------------- logical, permutes

type L32 = (a: number, b: number) => number;

function logical128(op: L32, vsx: boolean): Builder {
  return (w) => {
    const t = vsx ? XT(w) : VT(w);
    const a = vsx ? XA(w) : VA(w);
    const b = vsx ? XB(w) : VB(w);
    return (x) => {
      const v = x.v32;
      for (let i = 0; i < 4; i++) v[4 * t + i] = op(v[4 * a + i]!, v[4 * b + i]!);
      return 1;
    };
  };
}

/** xxsel / vsel: (A & ~C) | (B & C). */
function select(vsx: boolean): Builder {
  return (w) => {
    const t = vsx ? XT(w) : VT(w);
    const a = vsx ? XA(w) : VA(w);
    const b = vsx ? XB(w) : VB(w);
    const c = vsx ? XC(w) : VC(w);
    return (x) => {
      const v = x.v32;
      for (let i = 0; i < 4; i++) {
        const m = v[4 * c + i]!;
        v[4 * t + i] = (v[4 * a + i]! & ~m) | (v[4 * b + i]! & m);
      }
      return 1;
    };
  };
}

/** xxpermdi XT,XA,XB,DM (xxswapd, xxmrghd, xxspltd ...). */
const xxpermdi: Builder = (w) => {
  const t = XT(w);
  const a = XA(w);
  const b = XB(w);
  const dm = (w >>> 8) & 3;
  const ia = 2 * a + (dm & 2 ? 0 : 1);
  const ib = 2 * b + (dm & 1 ? 0 : 1);
  return (x) => {
    const hi = x.v64[ia]!;
    const lo = x.v64[ib]!;
    x.v64[2 * t + 1] = hi;
    x.v64[2 * t] = lo;
    return 1;
  };
};

/** Copy register `r`'s bytes in ISA (big-endian) element order into scratch at `at`. */
function beBytes(x: ExecContext, r: number, at: number): void {
  for (let i = 0; i < 16; i++) scratch[at + i] = x.v8[16 * r + 15 - i]!;
}

/** Store 16 BE-ordered bytes from scratch at `at` into register `r`. */
function setBe(x: ExecContext, r: number, at: number): void {
  for (let i = 0; i < 16; i++) x.v8[16 * r + 15 - i] = scratch[at + i]!;
}

/** xxsldwi / vsldoi: bytes `sh`.. of A||B (BE order). */
function shiftConcat(vsx: boolean): Builder {
  return (w) => {
    const t = vsx ? XT(w) : VT(w);
    const a = vsx ? XA(w) : VA(w);
    const b = vsx ? XB(w) : VB(w);
    const sh = vsx ? ((w >>> 8) & 3) * 4 : (w >>> 6) & 15;
    return (x) => {
      beBytes(x, a, 0);
      beBytes(x, b, 16);
      for (let i = 0; i < 16; i++) scratch[32 + i] = scratch[sh + i]!;
      setBe(x, t, 32);
      return 1;
    };
  };
}

/** vperm / vpermr / xxperm / xxpermr. */
function permute(vsx: boolean, reversed: boolean): Builder {
  return (w) => {
    const t = vsx ? XT(w) : VT(w);
    const a = vsx ? XA(w) : VA(w);
    const b = vsx ? XT(w) : VB(w);
    const c = vsx ? XB(w) : VC(w);
    const src2 = vsx ? t : b;
    return (x) => {
      beBytes(x, a, 0);
      beBytes(x, src2, 16);
      for (let i = 0; i < 16; i++) {
        let k = x.v8[16 * c + 15 - i]! & 31;
        if (reversed) k = 31 - k;
        scratch[32 + i] = scratch[k]!;
      }
      setBe(x, t, 32);
      return 1;
    };
  };
}

/** Merges: vmrgh[bhw], vmrgl[bhw], xxmrghw, xxmrglw with element size e. */
function merge(e: 1 | 2 | 4, high: boolean, vsx: boolean): Builder {
  return (w) => {
    const t = vsx ? XT(w) : VT(w);
    const a = vsx ? XA(w) : VA(w);
    const b = vsx ? XB(w) : VB(w);
    const n = 16 / e;
    const half = n / 2;
    return (x) => {
      beBytes(x, a, 0);
      beBytes(x, b, 16);
      for (let i = 0; i < half; i++) {
        const src = (high ? i : half + i) * e;
        for (let k = 0; k < e; k++) {
          scratch[32 + 2 * i * e + k] = scratch[src + k]!;
          scratch[32 + (2 * i + 1) * e + k] = scratch[16 + src + k]!;
        }
      }
      setBe(x, t, 32);
      return 1;
    };
  };
}

/** Byte reversal within each element (xxbrh/w/d/q). */
function byteReverse(e: 2 | 4 | 8 | 16): Builder {
  return (w) => {
    const t = XT(w);
    const b = XB(w);
    return (x) => {
      for (let i = 0; i < 16; i++) scratch[i] = x.v8[16 * b + i]!;
      for (let i = 0; i < 16; i += e)
        for (let k = 0; k < e; k++) x.v8[16 * t + i + k] = scratch[i + e - 1 - k]!;
      return 1;
    };
  };
}

// ------------------------------------------------- element-wise integer ops

/** Element views of the right width; elements of 8 bytes use the bigint view. */
function elems(x: ExecContext, e: 1 | 2 | 4): Uint8Array | Uint16Array | Uint32Array {
  return e === 1 ? x.v8 : e === 2 ? x.v16 : x.v32;
}

const sext = (v: number, bits: number): number =>
  bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);

type EOp = (a: number, b: number, bits: number) => number;
type DOp = (a: bigint, b: bigint) => bigint;

function elementwise(e: 1 | 2 | 4 | 8, op: EOp, dop?: DOp): Builder {
  return (w) => {
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    const n = 16 / e;
    const bits = 8 * e;
    if (e === 8) {
      const f = dop!;
      return (x) => {
        const v = x.v64;
        const r0 = f(v[2 * a]!, v[2 * b]!);
        const r1 = f(v[2 * a + 1]!, v[2 * b + 1]!);
        v[2 * t] = r0;
        v[2 * t + 1] = r1;
        return 1;
      };
    }
    const tmp = new Uint32Array(n);
    return (x) => {
      const v = elems(x, e);
      for (let i = 0; i < n; i++) tmp[i] = op(v[n * a + i]!, v[n * b + i]!, bits);
      for (let i = 0; i < n; i++) v[n * t + i] = tmp[i]!;
      return 1;
    };
  };
}

const shiftAmount = (b: number, bits: number): number => b & (bits - 1);
const ops = {
  add: ((a, b) => a + b) as EOp,
  sub: ((a, b) => a - b) as EOp,
  mul: ((a, b) => Math.imul(a, b)) as EOp,
  sl: ((a, b, bits) => a << shiftAmount(b, bits)) as EOp,
  sr: ((a, b, bits) =>
    bits === 32 ? a >>> shiftAmount(b, bits) : a >>> shiftAmount(b, bits)) as EOp,
  sra: ((a, b, bits) => sext(a, bits) >> shiftAmount(b, bits)) as EOp,
  rl: ((a, b, bits) => {
    const n = shiftAmount(b, bits);
    const m = bits === 32 ? 0xffff_ffff : (1 << bits) - 1;
    return n === 0 ? a : ((a << n) | ((a & m) >>> (bits - n))) & m;
  }) as EOp,
  maxu: ((a, b) => (a >>> 0 > b >>> 0 ? a : b)) as EOp,
  minu: ((a, b) => (a >>> 0 < b >>> 0 ? a : b)) as EOp,
  maxs: ((a, b, bits) => (sext(a, bits) > sext(b, bits) ? a : b)) as EOp,
  mins: ((a, b, bits) => (sext(a, bits) < sext(b, bits) ? a : b)) as EOp,
  avgu: ((a, b) => Math.floor(((a >>> 0) + (b >>> 0) + 1) / 2)) as EOp,
  avgs: ((a, b, bits) => Math.floor((sext(a, bits) + sext(b, bits) + 1) / 2)) as EOp,
};
const sd = (v: bigint): bigint => BigInt.asIntN(64, v);
const dops = {
  add: ((a, b) => a + b) as DOp,
  sub: ((a, b) => a - b) as DOp,
  mul: ((a, b) => BigInt.asUintN(64, a * b)) as DOp,
  sl: ((a, b) => BigInt.asUintN(64, a << (b & 63n))) as DOp,
  sr: ((a, b) => a >> (b & 63n)) as DOp,
  sra: ((a, b) => sd(a) >> (b & 63n)) as DOp,
  rl: ((a, b) => {
    const n = b & 63n;
    return n === 0n ? a : BigInt.asUintN(64, (a << n) | (a >> (64n - n)));
  }) as DOp,
  maxu: ((a, b) => {
    if (a > b) return a;
    return b;
  }) as DOp,
  minu: ((a, b) => {
    if (a < b) return a;
    return b;
  }) as DOp,
  maxs: ((a, b) => (sd(a) > sd(b) ? a : b)) as DOp,
  mins: ((a, b) => (sd(a) < sd(b) ? a : b)) as DOp,
};

/** vcmpequ[bhwd], vcmpgt[us][bhwd], vcmpne[bhw], vcmpnez[bhw]: all-ones where true; record form sets CR6 (all true: LT, none: EQ). */
function compare(e: 1 | 2 | 4 | 8, kind: "eq" | "gtu" | "gts" | "ne" | "nez"): Builder {
  return (w) => {
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    const record = (w & 0x400) !== 0;
    const n = 16 / e;
    const bits = 8 * e;
    const res = new Array<boolean>(n);
    return (x) => {
      if (e === 8) {
        for (let i = 0; i < 2; i++) {
          const av = x.v64[2 * a + i]!;
          const bv = x.v64[2 * b + i]!;
          res[i] =
            kind === "eq"
              ? av === bv
              : kind === "gtu"
                ? av > bv
                : kind === "gts"
                  ? sd(av) > sd(bv)
                  : kind === "ne"
                    ? av !== bv
                    : av !== bv || av === 0n || bv === 0n;
        }
        for (let i = 0; i < 2; i++) x.v64[2 * t + i] = res[i] ? 0xffff_ffff_ffff_ffffn : 0n;
      } else {
        const v = elems(x, e);
        for (let i = 0; i < n; i++) {
          const av = v[n * a + i]!;
          const bv = v[n * b + i]!;
          res[i] =
            kind === "eq"
              ? av === bv
              : kind === "gtu"
                ? av > bv
                : kind === "gts"
                  ? sext(av, bits) > sext(bv, bits)
                  : kind === "ne"
                    ? av !== bv
                    : av !== bv || av === 0 || bv === 0;
        }
        for (let i = 0; i < n; i++) v[n * t + i] = res[i] ? 0xffff_ffff : 0;
      }
      if (record) {
        const all = res.every(Boolean);
        const none = !res.some(Boolean);
        x.cpu.cr = ((x.cpu.cr & ~0xf0) | (((all ? 8 : 0) | (none ? 2 : 0)) << 4)) >>> 0;
      }
      return 1;
    };
  };
}

/** vpkuhum/vpkuwum/vpkudum: the low halves of A's then B's elements (modulo). */
function packModulo(e: 2 | 4 | 8): Builder {
  return (w) => {
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    const h = e / 2;
    return (x) => {
      beBytes(x, a, 0);
      beBytes(x, b, 16);
      const n = 16 / e;
      for (let i = 0; i < 2 * n; i++)
        for (let k = 0; k < h; k++) scratch[32 + i * h + k] = scratch[i * e + h + k]!;
      setBe(x, t, 32);
      return 1;
    };
  };
}

/** Sign extensions within elements: vextsb2w, vextsb2d, vextsh2w, vextsh2d, vextsw2d. */
function vexts(from: 1 | 2 | 4, to: 4 | 8): Builder {
  return (w) => {
    const t = VT(w);
    const b = VB(w);
    return (x) => {
      const n = 16 / to;
      for (let i = 0; i < n; i++) {
        const o = 16 * b + i * to;
        const v =
          from === 1
            ? (x.v8[o]! << 24) >> 24
            : from === 2
              ? (x.v16[o / 2]! << 16) >> 16
              : x.v32[o / 4]! | 0;
        if (to === 4) x.v32[4 * t + i] = v;
        else x.v64[2 * t + i] = BigInt.asUintN(64, BigInt(v));
      }
      return 1;
    };
  };
}

/** vextractub/uh/uw/d VRT,VRB,UIM (v3.0): doubleword 0 ← the element at BE byte UIM, zero-extended. */
function vextract(e: 1 | 2 | 4 | 8): Builder {
  return (w) => {
    const t = VT(w);
    const b = VB(w);
    const uim = (w >>> 16) & 15;
    return (x) => {
      beBytes(x, b, 0);
      let v = 0n;
      for (let k = 0; k < e; k++) v = (v << 8n) | BigInt(scratch[(uim + k) & 15]!);
      x.v64[2 * t + 1] = v;
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

/** vextu[bhw][lr]x RT,RA,VRB (v3.0): element at byte index RA[60:63], left (BE) or right (LE) indexed. */
function vextux(e: 1 | 2 | 4, left: boolean): Builder {
  return (w) => {
    const rt = RT(w);
    const ra = RA(w);
    const b = VB(w);
    return (x) => {
      const index = x.g32[2 * ra]! & 15;
      let v = 0;
      for (let k = e - 1; k >= 0; k--) {
        // Bytes beyond the register's end read as zero (as qemu does).
        const at = left ? index + (e - 1 - k) : index + k;
        const byte = at > 15 ? 0 : left ? x.v8[16 * b + 15 - at]! : x.v8[16 * b + at]!;
        v = (v << 8) | byte;
      }
      x.g32[2 * rt] = v >>> 0;
      x.g32[2 * rt + 1] = 0;
      return 1;
    };
  };
}

/** vmule[us][bhw], vmulo[us][bhw]: products of the even/odd elements, double width. */
function mulEvenOdd(e: 1 | 2 | 4, even: boolean, signed: boolean): Builder {
  return (w) => {
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    const n = 16 / e;
    const bits = 8 * e;
    return (x) => {
      const v = elems(x, e);
      const out: bigint[] = [];
      for (let j = 0; j < n / 2; j++) {
        const i = 2 * j + (even ? 0 : 1);
        const k = n - 1 - i;
        const av = signed ? sext(v[n * a + k]!, bits) : v[n * a + k]! >>> 0;
        const bv = signed ? sext(v[n * b + k]!, bits) : v[n * b + k]! >>> 0;
        out.push(BigInt(av) * BigInt(bv));
      }
      // Result element j (double width, BE order) → LE index n/2-1-j.
      const m = n / 2;
      for (let j = 0; j < m; j++) {
        const val = BigInt.asUintN(2 * bits, out[j]!);
        const li = m - 1 - j;
        if (e === 4) x.v64[2 * t + li] = val;
        else if (e === 2) x.v32[4 * t + li] = Number(val);
        else x.v16[8 * t + li] = Number(val);
      }
      return 1;
    };
  };
}

/** Unary element ops: vneg*, vclz*, vctz*, vpopcnt*. */
function unaryElem(e: 1 | 2 | 4 | 8, f: (v: bigint, bits: number) => bigint): Builder {
  return (w) => {
    const t = VT(w);
    const b = VB(w);
    const n = 16 / e;
    const bits = 8 * e;
    return (x) => {
      const v = e === 8 ? x.v64 : elems(x, e);
      for (let i = 0; i < n; i++) {
        const r = f(BigInt(v[n * b + i]!), bits);
        if (e === 8) x.v64[2 * t + i] = BigInt.asUintN(64, r);
        else (v as Uint32Array)[n * t + i] = Number(BigInt.asUintN(bits, r));
      }
      return 1;
    };
  };
}

const clz = (v: bigint, bits: number): bigint => {
  let n = 0;
  for (let i = bits - 1; i >= 0 && ((v >> BigInt(i)) & 1n) === 0n; i--) n++;
  return BigInt(n);
};
const ctz = (v: bigint, bits: number): bigint => {
  let n = 0;
  for (let i = 0; i < bits && ((v >> BigInt(i)) & 1n) === 0n; i++) n++;
  return BigInt(n);
};
const popcnt = (v: bigint): bigint => BigInt(v.toString(2).replaceAll("0", "").length);

/** vclzlsbb / vctzlsbb RT,VRB (v3.0): count leading/trailing bytes whose least significant bit is 0. */
function countLsbb(leading: boolean): Builder {
  return (w) => {
    const rt = RT(w);
    const b = VB(w);
    return (x) => {
      let n = 0;
      for (let i = 0; i < 16; i++) {
        const byte = x.v8[16 * b + (leading ? 15 - i : i)]!;
        if ((byte & 1) !== 0) break;
        n++;
      }
      x.g[rt] = BigInt(n);
      return 1;
    };
  };
}

/**
 * The floating-point moves, which only move bits of doubleword 0 (the FPR):
 * fmr, fneg, fabs, fnabs, fcpsgn. Record forms (CR1 from FPSCR) are not
 * modelled and are illegal here. Doubleword 1 is left unchanged.
 */
function fpMove(f: (b: bigint, a: bigint) => bigint): Builder {
  return (w) => {
    if ((w & 1) !== 0) return null;
    const t = RT(w);
    const a = RA(w);
    const b = RB(w);
    return (x) => {
      x.v64[2 * t + 1] = f(x.v64[2 * b + 1]!, x.v64[2 * a + 1]!);
      return 1;
    };
  };
}
const SIGN = 0x8000_0000_0000_0000n;

/** v3.1-only builders refuse on a v3.0 CPU. */
function v31(b: Builder): Builder {
  return (w, p, o, power10) => (power10 ? b(w, p, o, power10) : null);
}

const vshiftWhole =
  (left: boolean): Builder =>
  (w) => {
    // vsl / vsr: shift the whole 128 bits by VRB's low 3 bits of the last byte.
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    return (x) => {
      const sh = BigInt(x.v8[16 * b]! & 7);
      const v = (x.v64[2 * a + 1]! << 64n) | x.v64[2 * a]!;
      const r = BigInt.asUintN(128, left ? v << sh : v >> sh);
      x.v64[2 * t + 1] = r >> 64n;
      x.v64[2 * t] = BigInt.asUintN(64, r);
      return 1;
    };
  };

/** vslo / vsro: whole-register shift by octets (VRB bits 121:124). */
const vshiftOctet =
  (left: boolean): Builder =>
  (w) => {
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    return (x) => {
      const sh = BigInt(8 * ((x.v8[16 * b]! >>> 3) & 15));
      const v = (x.v64[2 * a + 1]! << 64n) | x.v64[2 * a]!;
      const r = BigInt.asUintN(128, left ? v << sh : v >> sh);
      x.v64[2 * t + 1] = r >> 64n;
      x.v64[2 * t] = BigInt.asUintN(64, r);
      return 1;
    };
  };

/** Quadword add/sub modulo (vadduqm / vsubuqm). */
const quad =
  (sub: boolean): Builder =>
  (w) => {
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    return (x) => {
      const av = (x.v64[2 * a + 1]! << 64n) | x.v64[2 * a]!;
      const bv = (x.v64[2 * b + 1]! << 64n) | x.v64[2 * b]!;
      const r = BigInt.asUintN(128, sub ? av - bv : av + bv);
      x.v64[2 * t + 1] = r >> 64n;
      x.v64[2 * t] = BigInt.asUintN(64, r);
      return 1;
    };
  };

function makeVsxExec(): Readonly<Record<string, Builder>> {
  const E: Record<string, Builder> = {};
  for (const [suffix, e] of [
    ["b", 1],
    ["h", 2],
    ["w", 4],
    ["d", 8],
  ] as const) {
    const m = suffix === "b" ? "ubm" : suffix === "h" ? "uhm" : suffix === "w" ? "uwm" : "udm";
    E[`vadd${m}`] = elementwise(e, ops.add, dops.add);
    E[`vsub${m}`] = elementwise(e, ops.sub, dops.sub);
    E[`vsl${suffix}`] = elementwise(e, ops.sl, dops.sl);
    E[`vsr${suffix}`] = elementwise(e, ops.sr, dops.sr);
    E[`vsra${suffix}`] = elementwise(e, ops.sra, dops.sra);
    E[`vrl${suffix}`] = elementwise(e, ops.rl, dops.rl);
    const u = `u${suffix}`;
    const s = `s${suffix}`;
    E[`vmax${u}`] = elementwise(e, ops.maxu, dops.maxu);
    E[`vmin${u}`] = elementwise(e, ops.minu, dops.minu);
    E[`vmax${s}`] = elementwise(e, ops.maxs, dops.maxs);
    E[`vmin${s}`] = elementwise(e, ops.mins, dops.mins);
    E[`vcmpequ${suffix}`] = compare(e, "eq");
    E[`vcmpgt${u}`] = compare(e, "gtu");
    E[`vcmpgt${s}`] = compare(e, "gts");
    if (e !== 8) {
      E[`vcmpne${suffix}`] = compare(e, "ne");
      E[`vcmpnez${suffix}`] = compare(e, "nez");
      E[`vavg${u}`] = elementwise(e, ops.avgu);
      E[`vavg${s}`] = elementwise(e, ops.avgs);
      E[`vmule${u}`] = mulEvenOdd(e, true, false);
      E[`vmulo${u}`] = mulEvenOdd(e, false, false);
      E[`vmule${s}`] = mulEvenOdd(e, true, true);
      E[`vmulo${s}`] = mulEvenOdd(e, false, true);
    }
    E[`vclz${suffix}`] = unaryElem(e, clz);
    E[`vctz${suffix}`] = unaryElem(e, ctz);
    E[`vpopcnt${suffix}`] = unaryElem(e, popcnt);
    E[`vextract${e === 8 ? "d" : u}`] = vextract(e);
  }
  return {
    // loads and stores
    lxv: vload("le16", "DQ", (w) => RT(w) | (((w >>> 3) & 1) << 5)),
    stxv: vstore("le16", "DQ", (w) => RT(w) | (((w >>> 3) & 1) << 5)),
    lxvx: vload("le16", "X", XT),
    stxvx: vstore("le16", "X", XT),
    lxvd2x: vload("d2", "X", XT),
    stxvd2x: vstore("d2", "X", XT),
    lxvw4x: vload("w4", "X", XT),
    stxvw4x: vstore("w4", "X", XT),
    lxvh8x: vload("h8", "X", XT),
    stxvh8x: vstore("h8", "X", XT),
    lxvb16x: vload("b16", "X", XT),
    stxvb16x: vstore("b16", "X", XT),
    lvx: vload("le16", "XA", VT),
    stvx: vstore("le16", "XA", VT),
    lxvp: vpair(false, "DQ"),
    stxvp: vpair(true, "DQ"),
    lxvpx: vpair(false, "X"),
    stxvpx: vpair(true, "X"),
    plxvp: vpair(false, "P"),
    pstxvp: vpair(true, "P"),
    plxv: vload("le16", "P", (w) => (w >>> 21) & 63),
    pstxv: vstore("le16", "P", (w) => (w >>> 21) & 63),
    lxvl: vlen(false, false),
    lxvll: vlen(false, true),
    stxvl: vlen(true, false),
    stxvll: vlen(true, true),
    lxvdsx: loadSplat(8),
    lxvwsx: loadSplat(4),
    lxvrbx: rightmost(1, false),
    lxvrhx: rightmost(2, false),
    lxvrwx: rightmost(4, false),
    lxvrdx: rightmost(8, false),
    stxvrbx: rightmost(1, true),
    stxvrhx: rightmost(2, true),
    stxvrwx: rightmost(4, true),
    stxvrdx: rightmost(8, true),
    lxsd: sload("d", "DS", VT),
    stxsd: sstore("d", "DS", VT),
    plxsd: sload("d", "P", VT),
    pstxsd: sstore("d", "P", VT),
    lxssp: sload("sp", "DS", VT),
    stxssp: sstore("sp", "DS", VT),
    plxssp: sload("sp", "P", VT),
    pstxssp: sstore("sp", "P", VT),
    lxsdx: sload("d", "X", XT),
    stxsdx: sstore("d", "X", XT),
    lxsspx: sload("sp", "X", XT),
    stxsspx: sstore("sp", "X", XT),
    lxsiwzx: sload("wz", "X", XT),
    lxsiwax: sload("wa", "X", XT),
    lxsihzx: sload("hz", "X", XT),
    lxsibzx: sload("bz", "X", XT),
    stxsiwx: sstore("w", "X", XT),
    stxsihx: sstore("h", "X", XT),
    stxsibx: sstore("b", "X", XT),
    // FPR loads/stores move bits only (FPR n is doubleword 0 of VSR n).
    lfd: sload("d", "D", RT, false, false),
    lfdu: sload("d", "D", RT, true, false),
    lfdx: sload("d", "X", RT, false, false),
    lfdux: sload("d", "X", RT, true, false),
    stfd: sstore("d", "D", RT),
    stfdu: sstore("d", "D", RT, true),
    stfdx: sstore("d", "X", RT),
    stfdux: sstore("d", "X", RT, true),
    lfs: sload("sp", "D", RT, false, false),
    lfsu: sload("sp", "D", RT, true, false),
    lfsux: sload("sp", "X", RT, true, false),
    lfiwax: sload("wa", "X", RT, false, false),
    lfiwzx: sload("wz", "X", RT, false, false),
    stfsu: sstore("sp", "D", RT, true),
    stfsux: sstore("sp", "X", RT, true),
    stfiwx: sstore("w", "X", RT),
    lfsx: sload("sp", "X", RT, false, false),
    stfs: sstore("sp", "D", RT),
    stfsx: sstore("sp", "X", RT),
    plfd: sload("d", "P", RT, false, false),
    pstfd: sstore("d", "P", RT),
    plfs: sload("sp", "P", RT, false, false),
    pstfs: sstore("sp", "P", RT),
    fmr: fpMove((b) => b),
    fneg: fpMove((b) => b ^ SIGN),
    fabs: fpMove((b) => b & ~SIGN),
    fnabs: fpMove((b) => b | SIGN),
    fcpsgn: fpMove((b, a) => (b & ~SIGN) | (a & SIGN)),
    // moves
    mfvsrd,
    mfvsrld,
    mfvsrwz,
    mtvsrd: mtvsr("d"),
    mtvsrwa: mtvsr("wa"),
    mtvsrwz: mtvsr("wz"),
    mtvsrdd,
    mtvsrws,
    // splats
    xxspltib,
    xxspltiw,
    xxspltidp,
    xxsplti32dx,
    vspltisb: vspltis(1),
    vspltish: vspltis(2),
    vspltisw: vspltis(4),
    vspltb: splat(1, false),
    vsplth: splat(2, false),
    vspltw: splat(4, false),
    xxspltw: splat(4, true),
    // logical
    xxland: logical128((a, b) => a & b, true),
    xxlandc: logical128((a, b) => a & ~b, true),
    xxlor: logical128((a, b) => a | b, true),
    xxlxor: logical128((a, b) => a ^ b, true),
    xxlnor: logical128((a, b) => ~(a | b), true),
    xxlorc: logical128((a, b) => a | ~b, true),
    xxlnand: logical128((a, b) => ~(a & b), true),
    xxleqv: logical128((a, b) => ~(a ^ b), true),
    vand: logical128((a, b) => a & b, false),
    vandc: logical128((a, b) => a & ~b, false),
    vor: logical128((a, b) => a | b, false),
    vxor: logical128((a, b) => a ^ b, false),
    vnor: logical128((a, b) => ~(a | b), false),
    vorc: logical128((a, b) => a | ~b, false),
    vnand: logical128((a, b) => ~(a & b), false),
    veqv: logical128((a, b) => ~(a ^ b), false),
    xxsel: select(true),
    vsel: select(false),
    // permutes and merges
    xxpermdi,
    xxsldwi: shiftConcat(true),
    vsldoi: shiftConcat(false),
    vperm: permute(false, false),
    vpermr: permute(false, true),
    xxperm: permute(true, false),
    xxpermr: permute(true, true),
    xxmrghw: merge(4, true, true),
    xxmrglw: merge(4, false, true),
    vmrghb: merge(1, true, false),
    vmrghh: merge(2, true, false),
    vmrghw: merge(4, true, false),
    vmrglb: merge(1, false, false),
    vmrglh: merge(2, false, false),
    vmrglw: merge(4, false, false),
    xxbrh: byteReverse(2),
    xxbrw: byteReverse(4),
    xxbrd: byteReverse(8),
    xxbrq: byteReverse(16),
    vpkuhum: packModulo(2),
    vpkuwum: packModulo(4),
    vpkudum: packModulo(8),
    vsl: vshiftWhole(true),
    vsr: vshiftWhole(false),
    vslo: vshiftOctet(true),
    vsro: vshiftOctet(false),
    vadduqm: quad(false),
    vsubuqm: quad(true),
    // element-wise
    ...E,
    vmuluwm: elementwise(4, ops.mul),
    vmulld: v31(elementwise(8, ops.mul, dops.mul)),
    vnegw: unaryElem(4, (v) => -v),
    vnegd: unaryElem(8, (v) => -v),
    vextsb2w: vexts(1, 4),
    vextsh2w: vexts(2, 4),
    vextsb2d: vexts(1, 8),
    vextsh2d: vexts(2, 8),
    vextsw2d: vexts(4, 8),
    vextublx: vextux(1, true),
    vextubrx: vextux(1, false),
    vextuhlx: vextux(2, true),
    vextuhrx: vextux(2, false),
    vextuwlx: vextux(4, true),
    vextuwrx: vextux(4, false),
    vclzlsbb: countLsbb(true),
    vctzlsbb: countLsbb(false),
  };
}

let vsxBuilders: Readonly<Record<string, Builder>> | null = null;

/** The VSX and vector builders (made once: other chapters reuse some of them). */
export function vsxExec(): Readonly<Record<string, Builder>> {
  vsxBuilders ??= makeVsxExec();
  return vsxBuilders;
}

/**
 * Shared helpers of the integer vector handlers (Power ISA v3.1 Book I ch. 6):
 * a vector register as one 128-bit value, split into elements in ISA
 * (big-endian) order, and the operand fields of the VX/VA/VC forms.
 */
import type { Builder, ExecContext, Handler } from "./context.ts";

export const RT = (w: number): number => (w >>> 21) & 31;
export const RA = (w: number): number => (w >>> 16) & 31;
export const RB = (w: number): number => (w >>> 11) & 31;
export const RC = (w: number): number => (w >>> 6) & 31;
/** Vector registers are VSRs 32..63. */
export const VT = (w: number): number => 32 + RT(w);
export const VA = (w: number): number => 32 + RA(w);
export const VB = (w: number): number => 32 + RB(w);
export const VC = (w: number): number => 32 + RC(w);

export const M64 = (1n << 64n) - 1n;
export const M128 = (1n << 128n) - 1n;

/** Register `r` as an unsigned 128-bit value (ISA bit 0 is its most significant bit). */
export function getQ(x: ExecContext, r: number): bigint {
  return (x.v64[2 * r + 1]! << 64n) | x.v64[2 * r]!;
}

export function setQ(x: ExecContext, r: number, v: bigint): void {
  x.v64[2 * r + 1] = BigInt.asUintN(64, v >> 64n);
  x.v64[2 * r] = BigInt.asUintN(64, v);
}

/** The 128/bits unsigned elements of `q`, element 0 first (the most significant). */
export function split(q: bigint, bits: number): bigint[] {
  const n = 128 / bits;
  const m = (1n << BigInt(bits)) - 1n;
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++) out[i] = (q >> BigInt(128 - (i + 1) * bits)) & m;
  return out;
}

/** Inverse of split: each element is reduced modulo 2^bits. */
export function join(v: readonly bigint[], bits: number): bigint {
  const m = (1n << BigInt(bits)) - 1n;
  let q = 0n;
  for (const e of v) q = (q << BigInt(bits)) | (e & m);
  return q;
}

export const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);

/** VSCR[SAT] (bit 127 of VSCR as the low word). */
export const VSCR_SAT = 1;

/** Clamp to [lo, hi], setting VSCR[SAT] when it had to. */
export function sat(x: ExecContext, v: bigint, lo: bigint, hi: bigint): bigint {
  if (v < lo) {
    x.cpu.vscr |= VSCR_SAT;
    return lo;
  }
  if (v > hi) {
    x.cpu.vscr |= VSCR_SAT;
    return hi;
  }
  return v;
}

export const umax = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
export const smin = (bits: number): bigint => -(1n << BigInt(bits - 1));
export const smax = (bits: number): bigint => (1n << BigInt(bits - 1)) - 1n;

/** A VX/VA operation on whole registers: VRT ← f(VRA, VRB, VRC, old VRT). */
export type QOp = (a: bigint, b: bigint, c: bigint, t: bigint, x: ExecContext) => bigint;

/** Build a register-to-register handler; `p10` refuses on a v3.0 CPU. */
export function vq(f: QOp, p10 = false): Builder {
  return (w, _p, _o, power10) => {
    if (p10 && !power10) return null;
    const t = VT(w);
    const a = VA(w);
    const b = VB(w);
    const c = VC(w);
    const h: Handler = (x) => {
      setQ(x, t, f(getQ(x, a), getQ(x, b), getQ(x, c), getQ(x, t), x));
      return 1;
    };
    return h;
  };
}

/** Element-wise binary op on `bits`-wide elements. */
export function ew(
  bits: number,
  f: (a: bigint, b: bigint, x: ExecContext) => bigint,
  p10 = false,
): Builder {
  return vq((a, b, _c, _t, x) => {
    const av = split(a, bits);
    const bv = split(b, bits);
    return join(
      av.map((e, i) => f(e, bv[i]!, x)),
      bits,
    );
  }, p10);
}

/** CR6 after a vector compare with Rc=1: 0b1000 all true, 0b0010 none true. */
export function setCr6(x: ExecContext, all: boolean, none: boolean): void {
  const f = (all ? 8 : 0) | (none ? 2 : 0);
  x.cpu.cr = ((x.cpu.cr & ~0xf0) | (f << 4)) >>> 0;
}

/** Count of one bits. */
export function popcount(v: bigint): number {
  let n = 0;
  for (let r = v; r !== 0n; r &= r - 1n) n++;
  return n;
}

/**
 * The double-precision arithmetic and integer↔float conversions GCC emits
 * for int/long/double code (Power ISA v3.1 Book I ch. 4.6 "Floating-Point
 * Arithmetic/Rounding and Conversion Instructions", ch. 7 VSX scalar forms):
 * fadd/fsub/fmul/fdiv, xsadddp/xssubdp/xsmuldp/xsdivdp, fcfid[u][s],
 * fctid[u][z], fctiw[u][z], xscvsxddp/xscvuxddp, xscvdp[su]x[dw]s.
 * FPR n is doubleword 0 of VSR n; writing an FPR zeroes doubleword 1 (defined
 * so by v3.1, and what qemu-ppc64le does).
 *
 * SIMPLIFICATION: FPSCR status bits (FX, VX*, FI, FR, FPRF) are not updated
 * and enabled-exception interrupts never occur; arithmetic rounds to nearest
 * whatever FPSCR[RN] says (conversions to integer honour RN). Record forms
 * (Rc=1) are not modelled and are illegal here.
 */
import type { Builder, ExecContext } from "./context.ts";
import { M64 } from "./vector-quad.ts";

const RT = (w: number): number => (w >>> 21) & 31;
const RA = (w: number): number => (w >>> 16) & 31;
const RB = (w: number): number => (w >>> 11) & 31;
const RC = (w: number): number => (w >>> 6) & 31;
const XT = (w: number): number => RT(w) | ((w & 1) << 5);
const XA = (w: number): number => RA(w) | (((w >>> 2) & 1) << 5);
const XB = (w: number): number => RB(w) | (((w >>> 1) & 1) << 5);

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

const toF = (bits: bigint): number => {
  u64[0] = bits;
  return f64[0]!;
};
const toBits = (v: number): bigint => {
  f64[0] = v;
  return u64[0]!;
};

const QUIET = 1n << 51n;
const EXP = 0x7ffn << 52n;
const FRAC = (1n << 52n) - 1n;
const DEFAULT_NAN = 0x7ff8_0000_0000_0000n;
const isNaN64 = (b: bigint): boolean => (b & EXP) === EXP && (b & FRAC) !== 0n;

/** The IEEE operation with PowerPC NaN rules: the first NaN operand, quieted; else the default QNaN. */
function arith(op: "add" | "sub" | "mul" | "div", a: bigint, b: bigint): bigint {
  if (isNaN64(a)) return a | QUIET;
  if (isNaN64(b)) return b | QUIET;
  const x = toF(a);
  const y = toF(b);
  const r = op === "add" ? x + y : op === "sub" ? x - y : op === "mul" ? x * y : x / y;
  return Number.isNaN(r) ? DEFAULT_NAN : toBits(r);
}

/** fadd/fsub/fdiv FRT,FRA,FRB and fmul FRT,FRA,FRC (A-form). */
function fpArith(op: "add" | "sub" | "mul" | "div"): Builder {
  return (w) => {
    if ((w & 1) !== 0) return null;
    const t = RT(w);
    const a = RA(w);
    const b = op === "mul" ? RC(w) : RB(w);
    return (x) => {
      x.v64[2 * t + 1] = arith(op, x.v64[2 * a + 1]!, x.v64[2 * b + 1]!);
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

/** xsadddp/xssubdp/xsmuldp/xsdivdp XT,XA,XB (XX3-form); doubleword 1 ← 0 as qemu leaves it. */
function xsArith(op: "add" | "sub" | "mul" | "div"): Builder {
  return (w) => {
    const t = XT(w);
    const a = XA(w);
    const b = XB(w);
    return (x) => {
      x.v64[2 * t + 1] = arith(op, x.v64[2 * a + 1]!, x.v64[2 * b + 1]!);
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

/** Round a nonzero integer to `p` significant bits, to nearest (ties to even). */
function roundInt(v: bigint, p: number): bigint {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const len = m.toString(2).length;
  if (len > p) {
    const drop = BigInt(len - p);
    const half = 1n << (drop - 1n);
    const rem = m & ((1n << drop) - 1n);
    m >>= drop;
    if (rem > half || (rem === half && (m & 1n) === 1n)) m++;
    m <<= drop;
  }
  return neg ? -m : m;
}

/** An integer as a double, rounded to `p` bits (53: double, 24: single precision). */
const intToDouble = (v: bigint, p: number): bigint => toBits(Number(roundInt(v, p)));

/** FPSCR[RN]: 0 nearest, 1 toward zero, 2 toward +inf, 3 toward -inf. */
const rn = (x: ExecContext): number => Number(x.cpu.fpscr & 3n);

/** Round a finite double to an integer in mode `mode` (the RN encoding). */
function roundToInt(v: number, mode: number): number {
  if (mode === 1) return Math.trunc(v);
  if (mode === 2) return Math.ceil(v);
  if (mode === 3) return Math.floor(v);
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * A double to a `bits`-bit integer (signed or not), saturating; NaN gives the
 * most negative value (signed) or 0 (unsigned), as qemu-ppc64le does.
 */
function toInt(b: bigint, bits: 32 | 64, signed: boolean, mode: number): bigint {
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (isNaN64(b)) return signed ? lo : 0n;
  const v = toF(b);
  if (v === Number.POSITIVE_INFINITY) return hi;
  if (v === Number.NEGATIVE_INFINITY) return lo;
  const r = BigInt(roundToInt(v, mode));
  return r < lo ? lo : r > hi ? hi : r;
}

/** fcfid[u][s] FRT,FRB: the doubleword integer in FRB as a double (single-rounded for s). */
function fcfid(signed: boolean, single: boolean): Builder {
  return (w) => {
    if ((w & 1) !== 0) return null;
    const t = RT(w);
    const b = RB(w);
    return (x) => {
      const raw = x.v64[2 * b + 1]!;
      x.v64[2 * t + 1] = intToDouble(signed ? BigInt.asIntN(64, raw) : raw, single ? 24 : 53);
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

/** fctid[u][z] / fctiw[u][z] FRT,FRB: word results are sign/zero-extended to the doubleword. */
function fcti(bits: 32 | 64, signed: boolean, truncate: boolean): Builder {
  return (w) => {
    if ((w & 1) !== 0) return null;
    const t = RT(w);
    const b = RB(w);
    const lo = -(1n << 31n);
    return (x) => {
      const r = toInt(x.v64[2 * b + 1]!, bits, signed, truncate ? 1 : rn(x));
      // fctiw[z] of a NaN gives 0x8000_0000 zero-extended (saturation is sign-extended), as qemu does.
      const bad = bits === 32 && signed && r === lo && isNaN64(x.v64[2 * b + 1]!);
      x.v64[2 * t + 1] = bad ? 0x8000_0000n : r & M64;
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

/** xscvsxddp / xscvuxddp XT,XB: doubleword 0 as an integer → double; doubleword 1 ← 0. */
function xscvIntDp(signed: boolean): Builder {
  return (w) => {
    const t = XT(w);
    const b = XB(w);
    return (x) => {
      const raw = x.v64[2 * b + 1]!;
      x.v64[2 * t + 1] = intToDouble(signed ? BigInt.asIntN(64, raw) : raw, 53);
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

/** xscvdp[su]x[dw]s XT,XB: truncating conversion of doubleword 0; the word forms fill words 0 and 1 (qemu). */
function xscvDpInt(bits: 32 | 64, signed: boolean): Builder {
  return (w) => {
    const t = XT(w);
    const b = XB(w);
    return (x) => {
      const r = toInt(x.v64[2 * b + 1]!, bits, signed, 1);
      const word = r & 0xffff_ffffn;
      x.v64[2 * t + 1] = bits === 64 ? r & M64 : (word << 32n) | word;
      x.v64[2 * t] = 0n;
      return 1;
    };
  };
}

export function floatArithExec(): Readonly<Record<string, Builder>> {
  return {
    fadd: fpArith("add"),
    fsub: fpArith("sub"),
    fmul: fpArith("mul"),
    fdiv: fpArith("div"),
    xsadddp: xsArith("add"),
    xssubdp: xsArith("sub"),
    xsmuldp: xsArith("mul"),
    xsdivdp: xsArith("div"),
    fcfid: fcfid(true, false),
    fcfidu: fcfid(false, false),
    fcfids: fcfid(true, true),
    fcfidus: fcfid(false, true),
    fctid: fcti(64, true, false),
    fctidz: fcti(64, true, true),
    fctidu: fcti(64, false, false),
    fctiduz: fcti(64, false, true),
    fctiw: fcti(32, true, false),
    fctiwz: fcti(32, true, true),
    fctiwu: fcti(32, false, false),
    fctiwuz: fcti(32, false, true),
    xscvsxddp: xscvIntDp(true),
    xscvuxddp: xscvIntDp(false),
    xscvdpsxds: xscvDpInt(64, true),
    xscvdpuxds: xscvDpInt(64, false),
    xscvdpsxws: xscvDpInt(32, true),
    xscvdpuxws: xscvDpInt(32, false),
  };
}

/**
 * Effective-address computation, the one place the addressing forms live
 * (Power ISA v3.1 Book I "Fixed-Point Load and Store Instructions", "Prefixed
 * Load/Store"): D/DS/DQ-form (RA|0) + displacement, X-form (RA|0) + (RB),
 * and the prefixed (RA|0) + d34 or, with R=1, CIA + d34. Each returns a
 * closure that leaves the EA in `x.t[0]`.
 */
import type { ExecContext } from "./context.ts";

export type EaFn = (x: ExecContext) => void;

/** (RA|0) + disp, with `disp` already sign-extended and scaled. */
export function eaDisp(ra: number, disp: number): EaFn {
  const d = BigInt.asUintN(64, BigInt(disp));
  if (ra === 0)
    return (x) => {
      x.t[0] = d;
    };
  return (x) => {
    x.t[0] = x.g[ra]! + d;
  };
}

/** (RA|0) + (RB). */
export function eaIndexed(ra: number, rb: number): EaFn {
  if (ra === 0)
    return (x) => {
      x.t[0] = x.g[rb]!;
    };
  return (x) => {
    x.t[0] = x.g[ra]! + x.g[rb]!;
  };
}

/** (RA|0): the X-form atomics and cache instructions with RB = 0 are indexed anyway. */

/** The 34-bit signed displacement d0||d1 of a prefixed instruction. */
export function d34(prefix: number, suffix: number): number {
  const v = (prefix & 0x3ffff) * 0x10000 + (suffix & 0xffff);
  return v >= 2 ** 33 ? v - 2 ** 34 : v;
}

/** Prefix R bit (IBM bit 11): PC-relative. */
export function prefixR(prefix: number): boolean {
  return ((prefix >>> 20) & 1) !== 0;
}

/**
 * A prefixed D-form EA: CIA + d34 when R=1 (the prefix's address: the page base
 * plus `off`), else (RA|0) + d34. Returns null for R=1 with RA≠0 (invalid form).
 */
export function eaPrefixed(prefix: number, suffix: number, off: number): EaFn | null {
  const d = d34(prefix, suffix);
  const ra = (suffix >>> 16) & 31;
  if (!prefixR(prefix)) return eaDisp(ra, d);
  if (ra !== 0) return null;
  const rel = BigInt.asUintN(64, BigInt(off + d));
  return (x) => {
    x.t[0] = x.pageBase + rel;
  };
}

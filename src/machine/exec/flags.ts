/**
 * CR and XER updates shared by every instruction group (Power ISA v3.1 Book I
 * "Condition Register", "Fixed-Point Exception Register"). CR field 0 is the
 * most significant nibble; within a field LT=8, GT=4, EQ=2, SO=1.
 */
import type { ExecContext } from "./context.ts";

export const XER_SO = 0x8000_0000;
export const XER_OV = 0x4000_0000;
export const XER_CA = 0x2000_0000;
export const XER_OV32 = 0x0008_0000;
export const XER_CA32 = 0x0004_0000;

/** Set CR field `bf` to `c` (LT/GT/EQ bits, 8/4/2) plus a copy of XER[SO]. */
export function setCrField(x: ExecContext, bf: number, c: number): void {
  const sh = 28 - 4 * bf;
  const cpu = x.cpu;
  cpu.cr = ((cpu.cr & ~(0xf << sh)) | ((c | (cpu.xer >>> 31)) << sh)) >>> 0;
}

/** CR0 from the signed 64-bit value of GPR `r` (record forms, Rc=1). */
export function cr0(x: ExecContext, r: number): void {
  const hi = x.g32[2 * r + 1]! | 0;
  const c = hi < 0 ? 8 : (hi | x.g32[2 * r]!) !== 0 ? 4 : 2;
  const cpu = x.cpu;
  cpu.cr = ((cpu.cr & 0x0fff_ffff) | ((c | (cpu.xer >>> 31)) << 28)) >>> 0;
}

/** Signed compare of two 64-bit values given as halves → LT/GT/EQ bits. */
export function cmpSigned64(ahi: number, alo: number, bhi: number, blo: number): number {
  ahi |= 0;
  bhi |= 0;
  if (ahi !== bhi) return ahi < bhi ? 8 : 4;
  alo >>>= 0;
  blo >>>= 0;
  return alo === blo ? 2 : alo < blo ? 8 : 4;
}

export function cmpUnsigned64(ahi: number, alo: number, bhi: number, blo: number): number {
  ahi >>>= 0;
  bhi >>>= 0;
  if (ahi !== bhi) return ahi < bhi ? 8 : 4;
  alo >>>= 0;
  blo >>>= 0;
  return alo === blo ? 2 : alo < blo ? 8 : 4;
}

/** Set or clear XER bits. */
export function setXer(x: ExecContext, mask: number, on: boolean): void {
  x.cpu.xer = (on ? x.cpu.xer | mask : x.cpu.xer & ~mask) >>> 0;
}

/** CA and CA32 together. */
export function setCa(x: ExecContext, ca: number, ca32: number): void {
  x.cpu.xer =
    ((x.cpu.xer & ~(XER_CA | XER_CA32)) | (ca ? XER_CA : 0) | (ca32 ? XER_CA32 : 0)) >>> 0;
}

/** OV and OV32; SO is sticky (set with OV, never cleared here). */
export function setOv(x: ExecContext, ov: number, ov32: number): void {
  let xer = x.cpu.xer & ~(XER_OV | XER_OV32);
  if (ov) xer |= XER_OV | XER_SO;
  if (ov32) xer |= XER_OV32;
  x.cpu.xer = xer >>> 0;
}

/** XER[CA] as 0/1. */
export function ca(x: ExecContext): number {
  return (x.cpu.xer >>> 29) & 1;
}

/** CR bit `bi` (0 = CR0[LT]) as 0/1. */
export function crBit(x: ExecContext, bi: number): number {
  return (x.cpu.cr >>> (31 - bi)) & 1;
}

export function setCrBit(x: ExecContext, bi: number, v: number): void {
  const m = 1 << (31 - bi);
  x.cpu.cr = (v ? x.cpu.cr | m : x.cpu.cr & ~m) >>> 0;
}

/**
 * The shared adder: RT = A + B + cin on 64-bit values given as halves, with
 * carries out of bit 0 and bit 32 and signed overflow of the 64- and 32-bit
 * sums (Book I "Fixed-Point Arithmetic Instructions"). Writes GPR `rt` and the
 * XER bits asked for; returns nothing (flags land in XER).
 */
export function addHalves(
  x: ExecContext,
  rt: number,
  ahi: number,
  alo: number,
  bhi: number,
  blo: number,
  cin: number,
  writeCa: boolean,
  writeOv: boolean,
): void {
  const lo = (alo >>> 0) + (blo >>> 0) + cin;
  const c32 = lo > 0xffff_ffff ? 1 : 0;
  const hi = (ahi >>> 0) + (bhi >>> 0) + c32;
  const c64 = hi > 0xffff_ffff ? 1 : 0;
  const slo = lo >>> 0;
  const shi = hi >>> 0;
  x.g32[2 * rt] = slo;
  x.g32[2 * rt + 1] = shi;
  if (writeCa) setCa(x, c64, c32);
  if (writeOv) {
    const ov = ((ahi ^ shi) & (bhi ^ shi)) >>> 31;
    const ov32 = ((alo ^ slo) & (blo ^ slo)) >>> 31;
    setOv(x, ov, ov32);
  }
}

/**
 * The low 64 bits of a 64×64-bit product on 32-bit halves, exactly (every
 * partial product stays below 2^53), into `out` as [lo, hi]: multiplication
 * without BigInt allocation.
 */
export function mul64(alo: number, ahi: number, blo: number, bhi: number, out: Uint32Array): void {
  const a0 = alo & 0xffff;
  const a1 = alo >>> 16;
  const b0 = blo & 0xffff;
  const b1 = blo >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 0x1_0000) * 0x1_0000;
  const carry = Math.floor(low / 0x1_0000_0000);
  out[0] = low;
  out[1] = a1 * b1 + Math.floor(mid / 0x1_0000) + carry + Math.imul(alo, bhi) + Math.imul(ahi, blo);
}

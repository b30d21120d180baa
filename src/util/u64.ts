/**
 * 64-bit values. Registers and addresses are unsigned 64-bit bigints (kernel
 * addresses 0xc000... exceed 2^53). Keeping every conversion in this module lets
 * the representation change without touching callers.
 */
export type U64 = bigint;

export const U64_MASK = 0xffff_ffff_ffff_ffffn;

/** Wrap to unsigned 64 bits. */
export function u64(value: bigint): U64 {
  return BigInt.asUintN(64, value);
}

/** Interpret an unsigned 64-bit value as signed. */
export function s64(value: U64): bigint {
  return BigInt.asIntN(64, value);
}

/** Sign-extend a JS number (a 32-bit or smaller signed immediate) into 64 bits. */
export function fromSigned(value: number): U64 {
  return BigInt.asUintN(64, BigInt(value));
}

/** Low 32 bits as an unsigned JS number. */
export function low32(value: U64): number {
  return Number(value & 0xffff_ffffn);
}

/** High 32 bits as an unsigned JS number. */
export function high32(value: U64): number {
  return Number(value >> 32n);
}

/** Build from two unsigned 32-bit halves. */
export function fromHalves(hi: number, lo: number): U64 {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** `0x` + 16 lower-case hex digits, the kernel's %016lx. */
export function hex16(value: U64): string {
  return value.toString(16).padStart(16, "0");
}

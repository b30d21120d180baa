/**
 * Bit fields in the Power ISA's big-endian numbering: bit 0 is the most
 * significant bit of a 32-bit instruction word. Field positions are copied
 * straight from the ISA's instruction-format tables through these helpers.
 */

/** Extract IBM bits first..last (inclusive) of a 32-bit word, unsigned. */
export function ibmField(word: number, first: number, last: number): number {
  const width = last - first + 1;
  const shift = 31 - last;
  return width === 32 ? word >>> 0 : (word >>> shift) & ((1 << width) - 1);
}

/** Place `value` into IBM bits first..last of a 32-bit word (unsigned result). */
export function ibmPlace(value: number, first: number, last: number): number {
  const width = last - first + 1;
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  return ((value & mask) << (31 - last)) >>> 0;
}

/** Sign-extend the low `bits` bits of `value` to a JS number. */
export function signExtend(value: number, bits: number): number {
  const shift = 32 - bits;
  return bits >= 32 ? value | 0 : (value << shift) >> shift;
}

/** Lower-case hex without leading zeros, as objdump prints numbers. */
export function hex(value: number | bigint): string {
  return value.toString(16);
}

/**
 * 2^n for n = 0..64, as a table: `2 ** n` with a variable `n` is a call to
 * the C library's pow, and page sizes are raised on every TLB fill and walk.
 */
export const POW2: Readonly<Float64Array> = Float64Array.from({ length: 65 }, (_, n) => 2 ** n);

/** 2^-n for n = 0..64: scaling by these is exact, unlike a float remainder (`%`, a C call). */
export const INV_POW2: Readonly<Float64Array> = Float64Array.from(
  { length: 65 },
  (_, n) => 2 ** -n,
);

/**
 * `x` rounded down to a multiple of 2^n, for a non-negative integer `x`
 * below 2^53: exact, and far cheaper than `x - (x % 2 ** n)`, which V8
 * compiles to a call to fmod for numbers beyond the 31-bit range (every
 * 52-bit effective address).
 */
export function alignDown(x: number, n: number): number {
  return Math.floor(x * INV_POW2[n]!) * POW2[n]!;
}

/** `x mod 2^n` for a non-negative integer `x` below 2^53 (see alignDown). */
export function lowBits(x: number, n: number): number {
  return x - Math.floor(x * INV_POW2[n]!) * POW2[n]!;
}

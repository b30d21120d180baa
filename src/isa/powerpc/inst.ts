/**
 * Instruction values: a 4-byte word or an 8-byte prefixed instruction (ISA 3.1).
 * Models `ppc_inst_t` and its helpers, arch/powerpc/include/asm/inst.h (ppc64).
 * A value type: two unsigned 32-bit numbers, `val` (the word, or the prefix) and
 * `suffix` (0 when not prefixed, as the kernel's initialiser leaves it).
 */
export interface PpcInst {
  readonly val: number;
  readonly suffix: number;
}

/** `OP_PREFIX`: the primary opcode of a prefix word. */
export const OP_PREFIX = 1;

/** Models `ppc_inst(x)`. */
export function ppcInst(x: number): PpcInst {
  return { val: x >>> 0, suffix: 0 };
}

/** Models `ppc_inst_prefix(x, y)`. */
export function ppcInstPrefix(x: number, y: number): PpcInst {
  return { val: x >>> 0, suffix: y >>> 0 };
}

/** Models `ppc_inst_val()`. */
export function ppcInstVal(x: PpcInst): number {
  return x.val;
}

/** Models `ppc_inst_suffix()`. */
export function ppcInstSuffix(x: PpcInst): number {
  return x.suffix;
}

/** Models `ppc_inst_primary_opcode()`. */
export function ppcInstPrimaryOpcode(x: PpcInst): number {
  return x.val >>> 26;
}

/** Models `ppc_inst_prefixed()`: decided by `val` alone. */
export function ppcInstPrefixed(x: PpcInst): boolean {
  return x.val >>> 26 === OP_PREFIX;
}

/** Models `ppc_inst_len()`. */
export function ppcInstLen(x: PpcInst): 4 | 8 {
  return ppcInstPrefixed(x) ? 8 : 4;
}

/** Models `ppc_inst_equal()`: suffixes compared only when `x` is prefixed. */
export function ppcInstEqual(x: PpcInst, y: PpcInst): boolean {
  if (x.val !== y.val) return false;
  if (!ppcInstPrefixed(x)) return true;
  return x.suffix === y.suffix;
}

/** Models `ppc_inst_swab()`: byte-swap both words. */
export function ppcInstSwab(x: PpcInst): PpcInst {
  return { val: swab32(x.val), suffix: swab32(x.suffix) };
}

/**
 * Models `ppc_inst_as_ulong()` on little-endian: the 64-bit value whose
 * little-endian store puts the prefix at the lower address.
 */
export function ppcInstAsUlong(x: PpcInst): bigint {
  return (BigInt(x.suffix) << 32n) | BigInt(x.val);
}

/**
 * Models `ppc_inst_read()` on little-endian memory bytes: reads the word at
 * `offset` and, when it is a prefix, the suffix after it.
 */
export function ppcInstRead(bytes: Uint8Array, offset: number): PpcInst {
  const val = readLe32(bytes, offset);
  if (val >>> 26 === OP_PREFIX) return ppcInstPrefix(val, readLe32(bytes, offset + 4));
  return ppcInst(val);
}

/**
 * Models `ppc_inst_write()` / the store width of `__patch_instruction`: a
 * 4-byte store of `val`, or for a prefixed instruction one 8-byte store of
 * `ppcInstAsUlong()` (prefix first in memory).
 */
export function ppcInstWrite(bytes: Uint8Array, offset: number, x: PpcInst): void {
  writeLe32(bytes, offset, x.val);
  if (ppcInstPrefixed(x)) writeLe32(bytes, offset + 4, x.suffix);
}

/** The bytes of an instruction as it sits in little-endian memory. */
export function ppcInstBytes(x: PpcInst): Uint8Array {
  const out = new Uint8Array(ppcInstLen(x));
  ppcInstWrite(out, 0, x);
  return out;
}

export function readLe32(bytes: Uint8Array, offset: number): number {
  if (offset < 0 || offset + 4 > bytes.length) {
    throw new RangeError(`readLe32: offset ${offset} outside ${bytes.length} bytes`);
  }
  return (
    (bytes[offset]! |
      (bytes[offset + 1]! << 8) |
      (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>>
    0
  );
}

export function writeLe32(bytes: Uint8Array, offset: number, value: number): void {
  if (offset < 0 || offset + 4 > bytes.length) {
    throw new RangeError(`writeLe32: offset ${offset} outside ${bytes.length} bytes`);
  }
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function swab32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

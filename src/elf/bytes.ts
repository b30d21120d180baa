/**
 * Bounds-checked little-endian reads over an ELF file's bytes. Every
 * out-of-range access becomes a `UserError` naming what was being read, so a
 * malformed file can never surface as a RangeError from a DataView.
 */
import { UserError } from "../util/user-error.ts";

/** `0x` + lower-case hex, for error messages. */
export function hx(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

export function bad(message: string): UserError {
  return new UserError(`bad ELF: ${message}`);
}

export class ElfBytes {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /**
   * Check that `size` bytes at `offset` (64-bit file quantities) lie inside the
   * file and return the offset as a number. `what` names the range and
   * `sizeText` optionally describes the size in the message.
   */
  range(offset: bigint, size: bigint, what: string, sizeText?: string): number {
    const len = BigInt(this.bytes.length);
    if (offset > len || size > len - offset) {
      const sz = sizeText ?? `${hx(size)} bytes`;
      throw bad(
        `${what} (offset ${hx(offset)}, ${sz}) extends past end of file (${this.bytes.length} bytes)`,
      );
    }
    return Number(offset);
  }

  private check(offset: number, size: number, what: string): void {
    if (!(offset >= 0 && offset + size <= this.bytes.length)) {
      throw bad(
        `${what} at offset ${hx(offset)} extends past end of file (${this.bytes.length} bytes)`,
      );
    }
  }

  u8(offset: number, what: string): number {
    this.check(offset, 1, what);
    return this.bytes[offset]!;
  }

  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, what: string): bigint {
    this.check(offset, 8, what);
    return this.view.getBigUint64(offset, true);
  }

  i64(offset: number, what: string): bigint {
    this.check(offset, 8, what);
    return this.view.getBigInt64(offset, true);
  }

  /** A NUL-terminated string at `index` inside the table at [start, start+size). */
  cstring(start: number, size: number, index: number, table: string): string {
    if (index >= size) {
      throw bad(`string index ${hx(index)} out of range for ${table} (${hx(size)} bytes)`);
    }
    const end = this.bytes.indexOf(0, start + index);
    if (end < 0 || end >= start + size) {
      throw bad(`string at index ${hx(index)} in ${table} is not NUL-terminated`);
    }
    let s = "";
    for (let i = start + index; i < end; i++) s += String.fromCharCode(this.bytes[i]!);
    return s;
  }
}

/**
 * Parsing of user-supplied numbers (instruction words, addresses). Every
 * malformed value is a UserError naming the value and what was expected.
 */
import { UserError } from "../util/user-error.ts";

const HEX = /^(?:0[xX])?([0-9a-fA-F]+)$/;

/** A 32-bit instruction word in hex, `0x` optional. */
export function parseWord(text: string, what = "word"): number {
  const m = HEX.exec(text);
  if (!m) throw new UserError(`bad ${what} '${text}': expected a 32-bit hex word like 0x60000000`);
  const digits = m[1]!.replace(/^0+(?=.)/, "");
  if (digits.length > 8) {
    throw new UserError(`bad ${what} '${text}': more than 32 bits`);
  }
  return Number.parseInt(digits, 16) >>> 0;
}

/** A 64-bit address in hex, `0x` optional. */
export function parseAddress(text: string, what = "address"): bigint {
  const m = HEX.exec(text);
  if (!m) {
    throw new UserError(`bad ${what} '${text}': expected a hex address like 0xc000000000001000`);
  }
  const digits = m[1]!.replace(/^0+(?=.)/, "");
  if (digits.length > 16) throw new UserError(`bad ${what} '${text}': more than 64 bits`);
  return BigInt(`0x${digits}`);
}

/** A decimal count within [min, max]. */
export function parseCount(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UserError(`bad ${what} '${text}': expected a decimal number`);
  const n = Number(text);
  if (n < min || n > max) throw new UserError(`bad ${what} '${text}': must be in ${min}..${max}`);
  return n;
}

/**
 * Disassembler producing exactly objdump 2.40's instruction text for
 * `objdump -D -b binary -m powerpc:common64 -EL -M power10` (raw images: branch
 * targets print as `0x…`, no symbols).
 */
import { decodeEntry } from "./decode.ts";
import { type PpcInst, ppcInstPrefixed } from "./inst.ts";
import type { Operand } from "./operand-defs.ts";
import type { Entry } from "./table.ts";

const ADDR_MASK = 0xffff_ffff_ffff_ffffn;
const CR_BITS = ["lt", "gt", "eq", "so"] as const;

/** One line of a disassembly stream. */
export interface DisasmLine {
  address: bigint;
  /** Bytes this line covers: 4 or 8 for an instruction, the run length for a `...` line. */
  length: number;
  /** The instruction's words (prefix first); empty for a trailing partial word or `...`. */
  words: number[];
  text: string;
}

/** `.long 0x…` for a word objdump cannot decode. */
export function dotLong(word: number): string {
  return `.long 0x${(word >>> 0).toString(16)}`;
}

/** Whether every optional operand from index `from` on has its default value. */
function skipOptional(e: Entry, from: number, lo: number, hi: number): boolean {
  const ops = e.operands;
  for (let i = from; i < ops.length; i++) {
    const o = ops[i]!;
    if (o.optional && o.value(lo, hi) !== o.optDefault(lo, hi)) return false;
  }
  return true;
}

function formatOperand(o: Operand, v: number, address: bigint): string {
  switch (o.print) {
    case "gpr":
      return `r${v}`;
    case "gpr0":
      return v === 0 ? "0" : `r${v}`;
    case "fpr":
      return `f${v}`;
    case "vr":
      return `v${v}`;
    case "vsr":
      return `vs${v}`;
    case "acc":
      return `a${v}`;
    case "dmr":
      return `dm${v}`;
    case "cr":
      return `cr${v}`;
    case "crbit": {
      const cr = v >> 2;
      const name = CR_BITS[v & 3]!;
      return cr !== 0 ? `4*cr${cr}+${name}` : name;
    }
    case "rel":
      return `0x${((address + BigInt(v)) & ADDR_MASK).toString(16)}`;
    case "abs":
      return `0x${(BigInt(v) & 0xffff_ffffn).toString(16)}`;
    case "imm":
      return String(v);
  }
}

/**
 * objdump's text for a decoded entry: the mnemonic padded to 8 columns (at
 * least one space) and the operands, with optional operands at their defaults
 * left out, `d(rA)` parentheses and `\t# target` for PC-relative prefixed forms.
 * `lo` is the word (suffix when prefixed), `hi` the prefix.
 */
export function formatEntry(e: Entry, lo: number, hi: number, address: bigint): string {
  let out = e.mnemonic;
  const ops = e.operands;
  if (ops.length === 0) return out;
  let sep = out.length < 8 ? " ".repeat(8 - out.length) : " ";
  let paren = false;
  let skip = false;
  let d34 = 0;
  let printed = false;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    if (o.optional) {
      if (!skip) skip = skipOptional(e, i, lo, hi);
      if (skip) continue;
    }
    const v = o.value(lo, hi);
    out += paren ? "(" : printed ? "," : sep;
    out += formatOperand(o, v, address);
    if (o.d34) d34 = v;
    if (paren) out += ")";
    paren = o.parens;
    printed = true;
    sep = ",";
  }
  if (e.pcrel) out += `\t# ${((address + BigInt(d34)) & ADDR_MASK).toString(16)}`;
  return out;
}

/**
 * objdump's text for one instruction at `address`. A prefixed `inst` whose pair
 * objdump does not accept prints as `.long 0x<prefix>` (objdump then decodes the
 * suffix as the next word; disassembleBytes models that stream).
 */
export function disassembleInst(inst: PpcInst, address: bigint): string {
  if (ppcInstPrefixed(inst)) {
    const e = decodeEntry(inst.val, inst.suffix);
    return e ? formatEntry(e, inst.suffix, inst.val, address) : dotLong(inst.val);
  }
  const e = decodeEntry(inst.val);
  return e ? formatEntry(e, inst.val, 0, address) : dotLong(inst.val);
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** objdump's DEFAULT_SKIP_ZEROES and DEFAULT_SKIP_ZEROES_AT_END (binutils objdump.c). */
const SKIP_ZEROES = 8;
const SKIP_ZEROES_AT_END = 3;

export interface DisassembleOptions {
  /** objdump's `-z`: show zero words as `.long 0x0` instead of folding runs of them into `...`. */
  readonly disassembleZeroes?: boolean;
}

/**
 * Disassemble a little-endian byte stream the way objdump walks it: 4 bytes at
 * a time, a valid prefixed pair consuming 8; a trailing 1–3 bytes end the
 * stream with objdump's "Address 0x… is out of bounds." line. Without
 * `disassembleZeroes`, a run of at least 8 zero bytes (whole words, unless it
 * reaches the end), or fewer than 3 at the very end, is one `...` line with
 * no words, as objdump prints it.
 */
export function disassembleBytes(
  bytes: Uint8Array,
  address: bigint,
  opts: DisassembleOptions = {},
): DisasmLine[] {
  const lines: DisasmLine[] = [];
  let off = 0;
  while (off < bytes.length) {
    const addr = (address + BigInt(off)) & ADDR_MASK;
    if (opts.disassembleZeroes !== true && bytes[off] === 0) {
      let z = off;
      while (z < bytes.length && bytes[z] === 0) z++;
      const run = z - off;
      const atEnd = z === bytes.length;
      if (run >= SKIP_ZEROES || (atEnd && run < SKIP_ZEROES_AT_END)) {
        // Followed by more data: skip whole words only, not into an instruction.
        const skip = atEnd ? run : run & ~3;
        lines.push({ address: addr, length: skip, words: [], text: "..." });
        off += skip;
        continue;
      }
    }
    if (off + 4 > bytes.length) {
      lines.push({
        address: addr,
        length: 4,
        words: [],
        text: `Address 0x${addr.toString(16)} is out of bounds.`,
      });
      break;
    }
    const w = le32(bytes, off);
    if (w >>> 26 === 1 && off + 8 <= bytes.length) {
      const s = le32(bytes, off + 4);
      const e = decodeEntry(w, s);
      if (e) {
        lines.push({ address: addr, length: 8, words: [w, s], text: formatEntry(e, s, w, addr) });
        off += 8;
        continue;
      }
    }
    const e = w >>> 26 === 1 ? undefined : decodeEntry(w);
    lines.push({
      address: addr,
      length: 4,
      words: [w],
      text: e ? formatEntry(e, w, 0, addr) : dotLong(w),
    });
    off += 4;
  }
  return lines;
}

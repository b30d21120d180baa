/**
 * The opcode table: the rows of opcodes/*.ts, ordered for matching and turned
 * into `Entry` objects with their operands resolved. The decoder, the
 * disassembler and the encoder (and the interpreter, through `sem`) are all
 * driven by it.
 *
 * Match order: within a primary opcode, rows are tried from the most
 * constrained (most fixed bits, plus bits pinned by field relations) to the
 * least, so a simplified mnemonic wins over its base; equally constrained rows
 * keep the order they are written in. The rows are checked against GNU objdump
 * as a black-box oracle by test/oracle/objdump-differential.test.ts.
 */

import { branchRows } from "./opcodes/branch.ts";
import { fixedPointRows } from "./opcodes/fixedpoint.ts";
import { floatingPointRows } from "./opcodes/fp.ts";
import { loadStoreRows } from "./opcodes/loadstore.ts";
import { prefixedRows } from "./opcodes/prefixed.ts";
import type { Row } from "./opcodes/row.ts";
import { systemRows } from "./opcodes/system.ts";
import { vectorRows } from "./opcodes/vector.ts";
import { vsxRows } from "./opcodes/vsx.ts";
import { type Operand, operandByName } from "./operand-defs.ts";

export type Chapter =
  | "fixedpoint"
  | "loadstore"
  | "branch"
  | "system"
  | "fp"
  | "vector"
  | "vsx"
  | "prefixed";

export interface Entry {
  /** Position in the table (table order = match order). */
  readonly index: number;
  /** Exactly as objdump prints it. */
  readonly mnemonic: string;
  /** Instruction word (suffix, for prefixed rows) pattern: `(word & mask) === opcode`. */
  readonly opcode: number;
  readonly mask: number;
  readonly prefixed: boolean;
  /** Prefix-word pattern (0/0 for 4-byte rows). */
  readonly prefixOpcode: number;
  readonly prefixMask: number;
  /** Operands in print order. */
  readonly operands: readonly Operand[];
  /** The base operation the interpreter executes. */
  readonly sem: string;
  /** Instruction form (I, B, SC, D, DS, DQ, X, XO, XL, XFX, XS, M, MD, MDS, A, VA, VX, XX1-4, MLS, 8LS, ...). */
  readonly form: string;
  readonly chapter: Chapter;
  readonly primaryOpcode: number;
  /** Record form: sets CR0 (CR1/CR6 for FP/vector). */
  readonly rc: boolean;
  /** OE=1 form: sets XER[OV,SO]. */
  readonly oe: boolean;
  /** Branch that writes LR. */
  readonly lk: boolean;
  /** Branch with an absolute target. */
  readonly aa: boolean;
  /** PC-relative prefixed form (R = 1): objdump appends `# target`. */
  readonly pcrel: boolean;
  /** Validity checks (true = the word does not match this row). */
  readonly checks: readonly ((lo: number, hi: number) => boolean)[];
}

/** Each chapter's rows, made on demand (the table is built only when first used). */
const CHAPTERS: readonly (readonly [Chapter, () => readonly Row[]])[] = [
  ["fixedpoint", fixedPointRows],
  ["loadstore", loadStoreRows],
  ["branch", branchRows],
  ["system", systemRows],
  ["fp", floatingPointRows],
  ["vector", vectorRows],
  ["vsx", vsxRows],
  ["prefixed", prefixedRows],
];

const BRANCH_SEMS = new Set(["b", "bc", "bclr", "bcctr", "bctar"]);

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x; x &= x - 1) n++;
  return n;
}

function toEntry(chapter: Chapter, r: Row): Omit<Entry, "index"> {
  const operands = r.operands === "" ? [] : r.operands.split(",").map(operandByName);
  const branch = !r.prefixed && BRANCH_SEMS.has(r.sem);
  const po = r.prefixed ? 1 : r.opcode >>> 26;
  return {
    mnemonic: r.mnemonic,
    opcode: r.opcode >>> 0,
    mask: r.mask >>> 0,
    prefixed: r.prefixed,
    prefixOpcode: r.prefixOpcode >>> 0,
    prefixMask: r.prefixMask >>> 0,
    operands,
    sem: r.sem,
    form: r.form,
    chapter,
    primaryOpcode: po,
    rc: r.mnemonic.endsWith(".") && r.form !== "B",
    oe: r.form === "XO" && (r.mask & r.opcode & 0x400) !== 0,
    lk: branch && (r.mask & r.opcode & 1) !== 0,
    aa: branch && (po === 16 || po === 18) && (r.mask & r.opcode & 2) !== 0,
    pcrel: r.pcrel,
    checks: [...operands.flatMap((o) => (o.invalid ? [o.invalid] : [])), ...r.rejects],
  };
}

function build(): Entry[] {
  const rows: { e: Omit<Entry, "index">; weight: number; seq: number }[] = [];
  for (const [chapter, rowsOf] of CHAPTERS) {
    for (const r of rowsOf()) {
      rows.push({
        e: toEntry(chapter, r),
        weight: popcount(r.mask) + popcount(r.prefixMask) + r.extraWeight,
        seq: rows.length,
      });
    }
  }
  // 4-byte rows first, then prefixed; most constrained first; stable otherwise.
  rows.sort(
    (a, b) => Number(a.e.prefixed) - Number(b.e.prefixed) || b.weight - a.weight || a.seq - b.seq,
  );
  return rows.map((r, index) => ({ index, ...r.e }));
}

let table: readonly Entry[] | null = null;
let byMnemonic: Map<string, Entry[]> | null = null;

/**
 * Every row, in match order. Built on first use: a run that never decodes,
 * encodes or disassembles (the seed demo's boot) does not pay for the table.
 */
export function opcodeTable(): readonly Entry[] {
  table ??= build();
  return table;
}

function mnemonicIndex(): Map<string, Entry[]> {
  if (byMnemonic === null) {
    byMnemonic = new Map();
    for (const e of opcodeTable()) {
      const l = byMnemonic.get(e.mnemonic);
      if (l) l.push(e);
      else byMnemonic.set(e.mnemonic, [e]);
    }
  }
  return byMnemonic;
}

/** The rows printing as `mnemonic` (several when operand checks pick between them). */
export function entriesFor(mnemonic: string): readonly Entry[] {
  return mnemonicIndex().get(mnemonic) ?? [];
}

/** Is `mnemonic` one the table can print? */
export function isMnemonic(mnemonic: string): boolean {
  return mnemonicIndex().has(mnemonic);
}

/**
 * The semantic table: every table `sem` the interpreter executes, bound to
 * its builder, and the shared-state operation (OpKind) each one performs, so
 * the stepping layer can yield before it. Built once from the per-chapter
 * modules.
 */
import type { Entry } from "../../isa/powerpc/table.ts";
import { OpKind } from "../ops.ts";
import { BRANCH_EXEC } from "./branch.ts";
import type { Builder, Handler } from "./context.ts";
import { FIXED_POINT_EXEC } from "./fixedpoint.ts";
import { FLOAT_ARITH_EXEC } from "./float-arith.ts";
import { LOAD_STORE_EXEC } from "./loadstore.ts";
import { PREFIXED_EXEC } from "./prefixed.ts";
import { mtsprNumber, PROCESSOR_CTRL_EXEC } from "./processor-ctrl.ts";
import { STORAGE_CTRL_EXEC } from "./storage-ctrl.ts";
import { VECTOR_ELEMENT_EXEC } from "./vector-element.ts";
import { VECTOR_INTEGER_EXEC } from "./vector-integer.ts";
import { VECTOR_MEMORY_EXEC } from "./vector-memory.ts";
import { VSX_EXEC } from "./vsx.ts";

const BASE: Readonly<Record<string, Builder>> = {
  ...FIXED_POINT_EXEC,
  ...LOAD_STORE_EXEC,
  ...BRANCH_EXEC,
  ...PROCESSOR_CTRL_EXEC,
  ...STORAGE_CTRL_EXEC,
  ...VSX_EXEC,
  ...VECTOR_INTEGER_EXEC,
  ...VECTOR_ELEMENT_EXEC,
  ...VECTOR_MEMORY_EXEC,
  ...FLOAT_ARITH_EXEC,
  ...PREFIXED_EXEC,
};

/**
 * Other names the opcode table has used for the same operation (record-form
 * spellings, and the base mnemonics of simplified forms), so the binding
 * does not depend on which spelling the table chooses.
 */
const ALIASES: Readonly<Record<string, string>> = {
  addi: "la",
  "addic.": "addic",
  "andi.": "andi",
  "andis.": "andis",
  rlwinm: "clrlslwi",
  rlwimi: "insrwi",
  rldicl: "extrdi",
  rldicr: "extldi",
  rldic: "clrlsldi",
  rldimi: "insrdi",
  "stbcx.": "stbcx",
  "sthcx.": "sthcx",
  "stwcx.": "stwcx",
  "stdcx.": "stdcx",
  dclz: "dcbz",
  subpcis: "addpcis",
  lnia: "addpcis",
  stsync: "sync",
};

/** Every executable sem → its builder. */
export const EXEC: ReadonlyMap<string, Builder> = new Map([
  ...Object.entries(BASE),
  ...Object.entries(ALIASES).flatMap(([alias, base]): [string, Builder][] => {
    const b = BASE[base];
    return b === undefined ? [] : [[alias, b]];
  }),
]);

const MEMORY_SEMS = new Set([
  ...Object.keys(LOAD_STORE_EXEC),
  ...Object.keys(VSX_EXEC),
  ...Object.keys(VECTOR_MEMORY_EXEC),
  ...Object.keys(PREFIXED_EXEC),
]);

/** PIDR: a write is an address-space switch. */
const SPR_PIDR = 48;

/**
 * The shared-state operation an instruction performs (0 = none): what the
 * task announces in `cpu.pending` and yields before executing it when CPUs
 * are interleaved.
 */
export function opKindOf(e: Entry, word: number): number {
  const s = e.sem;
  if (MEMORY_SEMS.has(s)) {
    if (/^p?l/.test(s)) return OpKind.LOAD;
    if (/^p?st/.test(s)) return OpKind.STORE;
    return 0;
  }
  switch (s) {
    case "dcbz":
    case "dclz":
    case "stbcx.":
    case "sthcx.":
    case "stwcx.":
    case "stdcx.":
      return OpKind.STORE;
    case "icbi":
      return OpKind.ICBI;
    case "isync":
      return OpKind.ISYNC;
    case "sync":
      return ((word >>> 21) & 7) === 2 ? OpKind.PTESYNC : OpKind.SYNC;
    case "eieio":
      return OpKind.SYNC;
    case "tlbie":
      return OpKind.TLBIE;
    case "tlbiel":
      return OpKind.TLBIEL;
    case "mtspr":
      return mtsprNumber(word) === SPR_PIDR ? OpKind.SWITCH_MM : 0;
    case "sc":
    case "scv":
      return OpKind.OTHER;
    default:
      return 0;
  }
}

const illegal: Handler = (x) => x.illegal();

/**
 * The handler of one decoded instruction: `w` the word (suffix when prefixed),
 * `prefix` the prefix word, `off` its byte offset in the 4 KiB page. An
 * undecodable word, an instruction this CPU model lacks (prefixed on
 * POWER9) or one without semantics here is an illegal instruction.
 */
export function buildHandler(
  e: Entry | undefined,
  w: number,
  prefix: number,
  off: number,
  power10: boolean,
): Handler {
  if (e === undefined) return illegal;
  if (e.prefixed && !power10) return illegal;
  const b = EXEC.get(e.sem);
  if (b === undefined) return illegal;
  return b(w >>> 0, prefix >>> 0, off, power10) ?? illegal;
}

/** Is this sem executed (for coverage tests)? */
export function hasSemantics(sem: string): boolean {
  return EXEC.has(sem);
}

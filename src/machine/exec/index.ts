/**
 * The semantic table: every table `sem` the interpreter executes, bound to
 * its builder, and the shared-state operation (OpKind) each one performs, so
 * the stepping layer can yield before it. Built once from the per-chapter
 * modules on first use (a run that never interprets does not build it).
 */
import type { Entry } from "../../isa/powerpc/table.ts";
import { OpKind } from "../ops.ts";
import { branchExec } from "./branch.ts";
import type { Builder, Handler } from "./context.ts";
import { fixedPointExec } from "./fixedpoint.ts";
import { floatArithExec } from "./float-arith.ts";
import { loadStoreExec } from "./loadstore.ts";
import { prefixedExec } from "./prefixed.ts";
import { mtsprNumber, processorCtrlExec } from "./processor-ctrl.ts";
import { storageCtrlExec } from "./storage-ctrl.ts";
import { vectorElementExec } from "./vector-element.ts";
import { vectorIntegerExec } from "./vector-integer.ts";
import { vectorMemoryExec } from "./vector-memory.ts";
import { vsxExec } from "./vsx.ts";

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

interface ExecTable {
  /** Every executable sem → its builder. */
  readonly builders: ReadonlyMap<string, Builder>;
  /** The sems of loads and stores (their OpKind follows from the name). */
  readonly memory: ReadonlySet<string>;
}

let exec: ExecTable | null = null;

function execTable(): ExecTable {
  if (exec !== null) return exec;
  const loadStore = loadStoreExec();
  const vsx = vsxExec();
  const vectorMemory = vectorMemoryExec();
  const prefixed = prefixedExec();
  const base: Readonly<Record<string, Builder>> = {
    ...fixedPointExec(),
    ...loadStore,
    ...branchExec(),
    ...processorCtrlExec(),
    ...storageCtrlExec(),
    ...vsx,
    ...vectorIntegerExec(),
    ...vectorElementExec(),
    ...vectorMemory,
    ...floatArithExec(),
    ...prefixed,
  };
  const builders = new Map(Object.entries(base));
  for (const [alias, of] of Object.entries(ALIASES)) {
    const b = base[of];
    if (b !== undefined) builders.set(alias, b);
  }
  // The sems that access memory: every one of the load/store modules', and the
  // loads and stores of the VSX and prefixed modules (which also hold
  // register-only operations: fmr, xxspltiw, paddi ...).
  const loadOrStore = (n: string) => /^p?(l|st)/.test(n);
  const memory = new Set([
    ...Object.keys(loadStore),
    ...Object.keys(vectorMemory),
    ...Object.keys(vsx).filter(loadOrStore),
    ...Object.keys(prefixed).filter(loadOrStore),
  ]);
  exec = { builders, memory };
  return exec;
}

/** Every sem whose execution accesses memory (each is a load or a store step). */
export function memorySems(): readonly string[] {
  return [...execTable().memory];
}

/** The builder of an executable sem, or undefined. */
export function execBuilder(sem: string): Builder | undefined {
  return execTable().builders.get(sem);
}

/** PIDR: a write is an address-space switch. */
const SPR_PIDR = 48;

/**
 * The shared-state operation an instruction performs (0 = none): what the
 * task announces in `cpu.pending` and yields before executing it when CPUs
 * are interleaved.
 */
export function opKindOf(e: Pick<Entry, "sem">, word: number): number {
  const s = e.sem;
  if (execTable().memory.has(s)) {
    if (/^p?l/.test(s)) return OpKind.LOAD;
    if (/^p?st/.test(s)) return OpKind.STORE;
    // An access nobody announced would be invisible to the scheduler and the checker.
    throw new Error(`opKindOf: memory instruction '${s}' is neither a load nor a store`);
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
  const b = execTable().builders.get(e.sem);
  if (b === undefined) return illegal;
  return b(w >>> 0, prefix >>> 0, off, power10) ?? illegal;
}

/** Is this sem executed (for coverage tests)? */
export function hasSemantics(sem: string): boolean {
  return execTable().builders.has(sem);
}

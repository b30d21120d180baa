/**
 * The BUG/WARN table and what `report_bug()` prints. Models lib/bug.c
 * (`find_bug`, `bug_get_file_line`, `__report_bug`) and the entry layout and
 * flags of include/asm-generic/bug.h at v6.2, for ppc64
 * (CONFIG_GENERIC_BUG_RELATIVE_POINTERS, CONFIG_DEBUG_BUGVERBOSE), and the
 * `report_bug()` control flow of the running kernel.
 */
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { __warn, addTaintTo, CUT_HERE, panicState, type WarnReport } from "../kernel/panic.ts";
import { doPanic } from "../kernel/panic-flow.ts";
import { LOGLEVEL_CRIT, MESSAGE_LOGLEVEL_DEFAULT, type PrintkLine } from "../kernel/printk.ts";

export const BUGFLAG_WARNING = 1 << 0;
export const BUGFLAG_ONCE = 1 << 1;
export const BUGFLAG_DONE = 1 << 2;
/** The cut line was already printed (by `__warn_printk()` for WARN(cond, fmt…)). */
export const BUGFLAG_NO_CUT_HERE = 1 << 3;

/** Models `BUGFLAG_TAINT(taint)`: the taint number in the high byte. */
export function BUGFLAG_TAINT(taint: number): number {
  return taint << 8;
}

/** Models `BUG_GET_TAINT(bug)`. */
export function BUG_GET_TAINT(bug: Pick<BugEntry, "flags">): number {
  return bug.flags >>> 8;
}

/** `sizeof(struct bug_entry)` with relative pointers and verbose info: 4 + 4 + 2 + 2. */
export const BUG_ENTRY_SIZE = 12;

/** A decoded `struct bug_entry`. `flags` is mutable: `__report_bug()` sets DONE. */
export interface BugEntry {
  /** Address of the trap instruction. */
  readonly bugAddr: bigint;
  /** Source path relative to the tree root, e.g. "arch/powerpc/mm/pgtable.c". */
  readonly file: string | undefined;
  readonly line: number;
  flags: number;
}

/** The raw fields of one entry, with the addresses its displacements resolve to. */
export interface RawBugEntry {
  readonly bugAddr: bigint;
  readonly fileAddr: bigint;
  readonly line: number;
  readonly flags: number;
}

/**
 * Decodes the little-endian entry at `bytes[offset]`, which sits at kernel
 * address `entryAddress`: `bug_addr_disp` (s32, from its own address),
 * `file_disp` (s32, from its own address), `line` (u16), `flags` (u16).
 */
export function decodeBugEntry(
  bytes: Uint8Array,
  offset: number,
  entryAddress: bigint,
): RawBugEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, BUG_ENTRY_SIZE);
  const bugDisp = BigInt(view.getInt32(0, true));
  const fileDisp = BigInt(view.getInt32(4, true));
  return {
    bugAddr: BigInt.asUintN(64, entryAddress + bugDisp),
    fileAddr: BigInt.asUintN(64, entryAddress + 4n + fileDisp),
    line: view.getUint16(8, true),
    flags: view.getUint16(10, true),
  };
}

/** Encodes an entry at `entryAddress` (the inverse of `decodeBugEntry`, for image builders). */
export function encodeBugEntry(entry: RawBugEntry, entryAddress: bigint): Uint8Array {
  const out = new Uint8Array(BUG_ENTRY_SIZE);
  const view = new DataView(out.buffer);
  view.setInt32(0, Number(BigInt.asIntN(32, entry.bugAddr - entryAddress)), true);
  view.setInt32(4, Number(BigInt.asIntN(32, entry.fileAddr - (entryAddress + 4n))), true);
  view.setUint16(8, entry.line, true);
  view.setUint16(10, entry.flags, true);
  return out;
}

/** Models `find_bug()`: the entry for a trap address (core table, then modules). */
export function findBug(
  tables: readonly (readonly BugEntry[])[],
  bugaddr: bigint,
): BugEntry | undefined {
  for (const table of tables) {
    const bug = table.find((b) => b.bugAddr === bugaddr);
    if (bug !== undefined) return bug;
  }
  return undefined;
}

/** `enum bug_trap_type`. */
export type BugTrapType = "none" | "warn" | "bug";

/** What `__report_bug()` decided and printed. */
export interface ReportBugResult {
  readonly type: BugTrapType;
  readonly lines: PrintkLine[];
  /** For "warn": the taint the caller must add (`BUG_GET_TAINT`), normally TAINT_WARN. */
  readonly taint?: number;
}

/** The WARNING context `__report_bug()` hands to `__warn()`, minus what the entry supplies. */
export type WarnContext = Omit<WarnReport, "file" | "line" | "message">;

/**
 * Models `__report_bug()`'s decisions and text for a trap at `bugaddr`:
 * not in a table (or not a valid bug address) → "none"; a WARN_ONCE already
 * DONE → "warn" silently; otherwise the cut line (unless NO_CUT_HERE), then
 * for a WARN the `__warn()` block (built from `warn()`, called only then) or
 * for a BUG `kernel BUG at <file>:<line>!` at KERN_CRIT. Sets DONE on a
 * WARN_ONCE entry, as the kernel does.
 */
export function __reportBug(
  tables: readonly (readonly BugEntry[])[],
  bugaddr: bigint,
  warn: () => WarnContext,
  isValidBugaddr: (addr: bigint) => boolean = () => true,
): ReportBugResult {
  if (!isValidBugaddr(bugaddr)) return { type: "none", lines: [] };
  const bug = findBug(tables, bugaddr);
  if (bug === undefined) return { type: "none", lines: [] };
  const warning = (bug.flags & BUGFLAG_WARNING) !== 0;
  const once = (bug.flags & BUGFLAG_ONCE) !== 0;
  if (warning && once) {
    if ((bug.flags & BUGFLAG_DONE) !== 0) return { type: "warn", lines: [] };
    bug.flags |= BUGFLAG_DONE;
  }
  const lines: PrintkLine[] = [];
  if ((bug.flags & BUGFLAG_NO_CUT_HERE) === 0) {
    lines.push({ level: MESSAGE_LOGLEVEL_DEFAULT, text: CUT_HERE });
  }
  if (warning) {
    lines.push(...__warn({ ...warn(), file: bug.file, line: bug.line }));
    return { type: "warn", lines, taint: BUG_GET_TAINT(bug) };
  }
  // SIMPLIFICATION: without file info the kernel prints the trap with %pB;
  // the %pS form from `warn()` differs only for a trap at a symbol's start.
  lines.push({
    level: LOGLEVEL_CRIT,
    text:
      bug.file !== undefined
        ? `kernel BUG at ${bug.file}:${bug.line}!`
        : `Kernel BUG at ${warn().caller} [verbose debug info unavailable]`,
  });
  return { type: "bug", lines };
}

// ------------------------------------------------------------------ control flow

/**
 * The running kernel's bug table (`__start___bug_table` .. `__stop___bug_table`).
 * SIMPLIFICATION: entries are registered when a trap site first fires (the
 * compiler would have emitted one per site and per function it was inlined
 * into); the image builder may pre-register static sites with
 * `registerBugEntry`.
 */
const BUG_TABLE = defineSlot("bug-table", () => new Map<bigint, BugEntry>());

/** Adds an entry to the kernel's bug table unless one exists for its address; returns the entry in the table. */
export function registerBugEntry(k: Kernel, entry: BugEntry): BugEntry {
  const table = k.slot(BUG_TABLE);
  const known = table.get(entry.bugAddr);
  if (known !== undefined) return known;
  table.set(entry.bugAddr, entry);
  return entry;
}

/** The kernel's bug table, in registration order. */
export function bugTable(k: Kernel): readonly BugEntry[] {
  return [...k.slot(BUG_TABLE).values()];
}

/** Models powerpc's `is_valid_bugaddr()`: a kernel address. */
export function isValidBugaddr(addr: bigint): boolean {
  return addr >= 0xc000_0000_0000_0000n;
}

/**
 * Models `report_bug(bugaddr, regs)` (lib/bug.c): print what `__report_bug`
 * decides; for a WARN add the entry's taint (`__warn`'s `add_taint`), or
 * panic first under `panic_on_warn`. Returns the bug type.
 */
export const reportBug = kfunc(
  { name: "report_bug", file: "lib/bug.c", size: 0x1e0 },
  function* (c: Ctx, bugaddr: bigint, warn: () => WarnContext): KGen<BugTrapType> {
    const k = c.k;
    const r = __reportBug([bugTable(k)], bugaddr, warn, isValidBugaddr);
    if (r.type === "warn" && r.lines.length > 0 && panicState(k).panicOnWarn) {
      // __warn: check_panic_on_warn() comes before the end marker.
      k.printk.printLines(r.lines.slice(0, -1), c.current.pid);
      yield* doPanic(c, "kernel: panic_on_warn set ...\n");
    }
    k.printk.printLines(r.lines, c.current.pid);
    if (r.type === "warn" && r.taint !== undefined && r.lines.length > 0) addTaintTo(k, r.taint);
    return r.type;
  },
);

/**
 * Taint flags and the text of `panic()`, the end-of-oops marker and the
 * WARNING report. Models kernel/panic.c at v6.2 (`taint_flags`,
 * `print_tainted`, `add_taint`, `print_oops_end_marker`, `__warn`,
 * `__warn_printk`, `panic`) as pure functions over plain data: each returns
 * the lines the kernel prints, for the caller to pass to printk.
 */
import { defineSlot, type Kernel } from "../core/kernel.ts";
import {
  LOGLEVEL_EMERG,
  LOGLEVEL_WARNING,
  MESSAGE_LOGLEVEL_DEFAULT,
  type PrintkLine,
} from "./printk.ts";

/** Taint bit numbers (include/linux/panic.h), in the kernel's order. */
export const TAINT_PROPRIETARY_MODULE = 0;
export const TAINT_FORCED_MODULE = 1;
export const TAINT_CPU_OUT_OF_SPEC = 2;
export const TAINT_FORCED_RMMOD = 3;
export const TAINT_MACHINE_CHECK = 4;
export const TAINT_BAD_PAGE = 5;
export const TAINT_USER = 6;
export const TAINT_DIE = 7;
export const TAINT_OVERRIDDEN_ACPI_TABLE = 8;
export const TAINT_WARN = 9;
export const TAINT_CRAP = 10;
export const TAINT_FIRMWARE_WORKAROUND = 11;
export const TAINT_OOT_MODULE = 12;
export const TAINT_UNSIGNED_MODULE = 13;
export const TAINT_SOFTLOCKUP = 14;
export const TAINT_LIVEPATCH = 15;
export const TAINT_AUX = 16;
export const TAINT_RANDSTRUCT = 17;
export const TAINT_TEST = 18;
export const TAINT_FLAGS_COUNT = 19;

/** A taint state: bit n set = taint flag n. */
export type TaintMask = number;

/** `struct taint_flag`: the letter when set, the filler when clear, and whether modules carry it. */
export interface TaintFlag {
  readonly cTrue: string;
  readonly cFalse: string;
  readonly module: boolean;
}

/** Models `taint_flags[]`, indexed by taint bit. */
export const taintFlags: readonly TaintFlag[] = [
  { cTrue: "P", cFalse: "G", module: true },
  { cTrue: "F", cFalse: " ", module: true },
  { cTrue: "S", cFalse: " ", module: false },
  { cTrue: "R", cFalse: " ", module: false },
  { cTrue: "M", cFalse: " ", module: false },
  { cTrue: "B", cFalse: " ", module: false },
  { cTrue: "U", cFalse: " ", module: false },
  { cTrue: "D", cFalse: " ", module: false },
  { cTrue: "A", cFalse: " ", module: false },
  { cTrue: "W", cFalse: " ", module: false },
  { cTrue: "C", cFalse: " ", module: true },
  { cTrue: "I", cFalse: " ", module: false },
  { cTrue: "O", cFalse: " ", module: true },
  { cTrue: "E", cFalse: " ", module: true },
  { cTrue: "L", cFalse: " ", module: false },
  { cTrue: "K", cFalse: " ", module: true },
  { cTrue: "X", cFalse: " ", module: true },
  { cTrue: "T", cFalse: " ", module: true },
  { cTrue: "N", cFalse: " ", module: true },
];

/**
 * Models `print_tainted()`: `Not tainted`, or `Tainted: ` and one column per
 * flag in bit order (letter if set, else the filler; `G` first for a kernel
 * without proprietary modules).
 */
export function printTainted(mask: TaintMask): string {
  if (mask === 0) return "Not tainted";
  let s = "Tainted: ";
  for (let i = 0; i < TAINT_FLAGS_COUNT; i++) {
    const f = taintFlags[i]!;
    s += (mask >>> i) & 1 ? f.cTrue : f.cFalse;
  }
  return s;
}

/** Models `add_taint()` on a mask value (the caller stores the result). */
export function addTaint(mask: TaintMask, flag: number): TaintMask {
  return (mask | (1 << flag)) >>> 0;
}

/** Models `test_taint()`. */
export function testTaint(mask: TaintMask, flag: number): boolean {
  return ((mask >>> flag) & 1) === 1;
}

/** `CUT_HERE` (include/asm-generic/bug.h), without its newline. */
export const CUT_HERE = "------------[ cut here ]------------";

/** Models `print_oops_end_marker()`: the trace id has printed as zero since v5.19. */
export function printOopsEndMarker(): PrintkLine {
  return { level: LOGLEVEL_WARNING, text: "---[ end trace 0000000000000000 ]---" };
}

/** What `__warn()` reports; plain data from the trap and the current task. */
export interface WarnReport {
  readonly cpu: number;
  readonly pid: number;
  /** Source file and line from the bug table; undefined without DEBUG_BUGVERBOSE. */
  readonly file: string | undefined;
  readonly line: number;
  /** The trap address already printed with `%pS` (`Kallsyms.sprintSymbol`). */
  readonly caller: string;
  /** A message printed after the WARNING line (`struct warn_args`), if any. */
  readonly message?: string;
  /** `print_modules()` output. */
  readonly modules: readonly PrintkLine[];
  /** `show_regs(regs)` output, or `dump_stack()` output when there are no regs. */
  readonly regsOrStack: readonly PrintkLine[];
}

/**
 * Models `__warn()`: the WARNING line, `Modules linked in:`, the register
 * dump and call trace, and the end marker. The caller adds taint
 * `BUG_GET_TAINT(bug)` (normally W) afterwards, as the kernel does; with
 * `panic_on_warn` the caller panics instead of printing the end marker.
 */
export function __warn(report: WarnReport): PrintkLine[] {
  const where = report.file !== undefined ? ` at ${report.file}:${report.line}` : " at";
  const lines: PrintkLine[] = [
    {
      level: LOGLEVEL_WARNING,
      text: `WARNING: CPU: ${report.cpu} PID: ${report.pid}${where} ${report.caller}`,
    },
  ];
  if (report.message !== undefined) lines.push(...messageLines(report.message));
  lines.push(...report.modules, ...report.regsOrStack, printOopsEndMarker());
  return lines;
}

/**
 * Models `__warn_printk()`: what `WARN(cond, fmt…)` prints before it traps —
 * the cut line and the formatted message (the trap then carries NO_CUT_HERE).
 */
export function __warnPrintk(message: string): PrintkLine[] {
  return [{ level: LOGLEVEL_WARNING, text: CUT_HERE }, ...messageLines(message)];
}

/** A vprintk'd message at the default level, split into lines, trailing newline dropped. */
function messageLines(message: string): PrintkLine[] {
  const body = message.endsWith("\n") ? message.slice(0, -1) : message;
  return body.split("\n").map((text) => ({ level: MESSAGE_LOGLEVEL_DEFAULT, text }));
}

export interface PanicOptions {
  /** The taint state when panic() runs. */
  readonly taint: TaintMask;
  /** `panic_timeout` (CONFIG_PANIC_TIMEOUT, `panic=`): 0 = spin forever. */
  readonly panicTimeout: number;
  /**
   * `dump_stack()` output, printed (with DEBUG_BUGVERBOSE) when taint D is not
   * yet set, i.e. a panic that is not the end of an oops.
   */
  readonly dumpStack?: readonly PrintkLine[];
}

/**
 * Models the text of `panic(msg)`: `Kernel panic - not syncing: <msg>` (one
 * trailing newline of msg dropped), a stack dump unless an oops already
 * printed one, then either `Rebooting in <n> seconds..` (timeout > 0; the
 * machine then restarts, so no end marker) or, with timeout 0, the
 * `---[ end Kernel panic - not syncing: <msg> ]---` marker before spinning.
 * A negative timeout reboots at once without either line.
 */
export function panic(msg: string, options: PanicOptions): PrintkLine[] {
  const buf = msg.endsWith("\n") ? msg.slice(0, -1) : msg;
  const lines: PrintkLine[] = [
    { level: LOGLEVEL_EMERG, text: `Kernel panic - not syncing: ${buf}` },
  ];
  if (!testTaint(options.taint, TAINT_DIE) && options.dumpStack !== undefined) {
    lines.push(...options.dumpStack);
  }
  if (options.panicTimeout > 0) {
    lines.push({ level: LOGLEVEL_EMERG, text: `Rebooting in ${options.panicTimeout} seconds..` });
  } else if (options.panicTimeout === 0) {
    lines.push({ level: LOGLEVEL_EMERG, text: `---[ end Kernel panic - not syncing: ${buf} ]---` });
  }
  return lines;
}

/** The running kernel's `tainted_mask` and the other kernel/panic.c globals. */
export interface PanicState {
  taint: TaintMask;
  /** `panic_timeout` (CONFIG_PANIC_TIMEOUT, default 0: spin forever). */
  panicTimeout: number;
  /** `panic_on_oops`. */
  panicOnOops: boolean;
  /** `panic_on_warn`. */
  panicOnWarn: boolean;
  /** `panic_cpu`: the CPU that panicked, or -1. */
  panicCpu: number;
}

const PANIC = defineSlot(
  "panic",
  (): PanicState => ({
    taint: 0,
    panicTimeout: 0,
    panicOnOops: false,
    panicOnWarn: false,
    panicCpu: -1,
  }),
);

/** kernel/panic.c's globals of a running kernel. */
export function panicState(k: Kernel): PanicState {
  return k.slot(PANIC);
}

/** Models reading `tainted_mask` (`get_taint()`). */
export function getTaint(k: Kernel): TaintMask {
  return k.slot(PANIC).taint;
}

/** Models `add_taint(flag, lockdep_ok)` on the running kernel. */
export function addTaintTo(k: Kernel, flag: number): void {
  const s = k.slot(PANIC);
  s.taint = addTaint(s.taint, flag);
}

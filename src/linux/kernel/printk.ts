/**
 * The kernel log: records with a level, a caller and a timestamp, and the
 * console/dmesg rendering. Models kernel/printk/printk.c (`vprintk_store`,
 * `printk_parse_prefix`, `print_time`, `record_print_text`) and the
 * include/linux/kern_levels.h / include/linux/printk.h level prefixes.
 *
 * Timestamps are nanoseconds of SIMULATED time, read from the clock the
 * caller supplies; nothing here looks at the host's wall clock.
 */
import { type Cloner, FORK } from "../../util/clone.ts";

/** `KERN_SOH`: the byte that starts a level prefix. */
export const KERN_SOH = "\x01";
export const KERN_EMERG = `${KERN_SOH}0`;
export const KERN_ALERT = `${KERN_SOH}1`;
export const KERN_CRIT = `${KERN_SOH}2`;
export const KERN_ERR = `${KERN_SOH}3`;
export const KERN_WARNING = `${KERN_SOH}4`;
export const KERN_NOTICE = `${KERN_SOH}5`;
export const KERN_INFO = `${KERN_SOH}6`;
export const KERN_DEBUG = `${KERN_SOH}7`;
/** The default level (resolved to `MESSAGE_LOGLEVEL_DEFAULT` when stored). */
export const KERN_DEFAULT = "";
/** Continues the caller's previous, unterminated record. */
export const KERN_CONT = `${KERN_SOH}c`;

/** `LOGLEVEL_*`: the numeric levels, 0 = most severe. */
export const LOGLEVEL_EMERG = 0;
export const LOGLEVEL_ALERT = 1;
export const LOGLEVEL_CRIT = 2;
export const LOGLEVEL_ERR = 3;
export const LOGLEVEL_WARNING = 4;
export const LOGLEVEL_NOTICE = 5;
export const LOGLEVEL_INFO = 6;
export const LOGLEVEL_DEBUG = 7;

export type LogLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** `CONFIG_MESSAGE_LOGLEVEL_DEFAULT` (default_message_loglevel): what KERN_DEFAULT means. */
export const MESSAGE_LOGLEVEL_DEFAULT: LogLevel = 4;
/** `CONFIG_CONSOLE_LOGLEVEL_DEFAULT`: records below this level reach the console. */
export const CONSOLE_LOGLEVEL_DEFAULT = 7;
/** `CONSOLE_LOGLEVEL_MOTORMOUTH`: what `console_verbose()` sets during an oops/panic. */
export const CONSOLE_LOGLEVEL_MOTORMOUTH = 15;

/** One line of kernel text with its level, as the text producers (oops, panic, WARN) return it. */
export interface PrintkLine {
  readonly level: LogLevel;
  readonly text: string;
}

/** A stored record (`struct printk_info` + its text). `text` may hold embedded newlines. */
export interface PrintkRecord {
  readonly seq: number;
  /** Simulated nanoseconds since boot when the record was opened. */
  readonly tsNsec: bigint;
  readonly level: LogLevel;
  /** `printk_caller_id()`: the task's PID in task context, 0x80000000 + CPU otherwise. */
  readonly callerId: number;
  readonly text: string;
}

interface OpenRecord {
  seq: number;
  tsNsec: bigint;
  level: LogLevel;
  callerId: number;
  text: string;
  final: boolean;
}

/**
 * Models `print_time()`: `[%5lu.%06lu]` — seconds right-aligned in 5 columns
 * (wider when needed), then microseconds, truncated.
 */
export function printTime(tsNsec: bigint): string {
  const secs = tsNsec / 1_000_000_000n;
  const micros = (tsNsec % 1_000_000_000n) / 1000n;
  return `[${secs.toString().padStart(5, " ")}.${micros.toString().padStart(6, "0")}]`;
}

/** Models `printk_parse_prefix()`: strips every level prefix; the first level given wins. */
function parsePrefix(text: string): { level: number; cont: boolean; body: string } {
  let level = -1;
  let cont = false;
  let i = 0;
  while (text.charCodeAt(i) === 1 && i + 1 < text.length) {
    const c = text[i + 1]!;
    if (c >= "0" && c <= "7") {
      if (level < 0) level = c.charCodeAt(0) - 48;
    } else if (c === "c") cont = true;
    else break;
    i += 2;
  }
  return { level, cont, body: text.slice(i) };
}

/**
 * Where printk reads the time (`local_clock()`): an object rather than a
 * closure, so a forked kernel's log reads its own machine's clock (a function
 * is shared by a fork, with whatever it captured).
 */
export interface PrintkClock {
  /** Simulated nanoseconds since boot. */
  now(): bigint;
}

export interface PrintkOptions {
  /** Simulated time in nanoseconds; read once per new record. */
  readonly clock: PrintkClock | (() => bigint);
  /** `printk.time`: whether renderings carry the timestamp prefix (default true). */
  readonly time?: boolean;
}

/**
 * The kernel's log buffer and the `printk()` family. Behaves like
 * `vprintk_store()`: a trailing newline terminates a record; `KERN_CONT` text
 * is appended to the last record when that record is unterminated and from
 * the same caller; any new record terminates the previous one.
 *
 * SIMPLIFICATION: the buffer is unbounded (no CONFIG_LOG_BUF_SHIFT ring), and
 * records longer than LOG_LINE_MAX are not truncated.
 */
export class Printk {
  private clock: PrintkClock;
  private readonly time: boolean;
  private stored: OpenRecord[] = [];

  constructor(options: PrintkOptions) {
    const clock = options.clock;
    this.clock = typeof clock === "function" ? { now: clock } : clock;
    this.time = options.time ?? true;
  }

  /**
   * A fork's log (src/util/clone.ts): the records so far, its own clock (a
   * copy, reading the fork's machine). Only the last record can still change
   * (KERN_CONT text, its terminating newline), so the fork copies that one
   * and shares the others.
   */
  [FORK](c: Cloner): Printk {
    const p = c.remember(this, new Printk({ clock: this.clock, time: this.time }));
    p.clock = c.clone(this.clock, "clock");
    const records = this.stored.slice();
    const last = records.at(-1);
    if (last !== undefined) records[records.length - 1] = { ...last };
    p.stored = records;
    return p;
  }

  /** Models `printk()`/`vprintk_store()`: `text` may start with KERN_* prefixes. */
  printk(text: string, callerId = 0): void {
    const { level: parsed, cont, body } = parsePrefix(text);
    const newline = body.endsWith("\n");
    const msg = newline ? body.slice(0, -1) : body;
    const last = this.stored.at(-1);
    if (cont && last !== undefined && !last.final && last.callerId === callerId) {
      last.text += msg;
      if (newline) last.final = true;
      return;
    }
    if (last !== undefined) last.final = true;
    const level = (parsed < 0 ? MESSAGE_LOGLEVEL_DEFAULT : parsed) as LogLevel;
    this.stored.push({
      seq: this.stored.length,
      tsNsec: this.clock.now(),
      level,
      callerId,
      text: msg,
      final: newline,
    });
  }

  /** Emits producer lines, one terminated record each. */
  printLines(lines: readonly PrintkLine[], callerId = 0): void {
    for (const line of lines) this.printk(`${KERN_SOH}${line.level}${line.text}\n`, callerId);
  }

  prEmerg(text: string, callerId = 0): void {
    this.printk(KERN_EMERG + text, callerId);
  }
  prAlert(text: string, callerId = 0): void {
    this.printk(KERN_ALERT + text, callerId);
  }
  prCrit(text: string, callerId = 0): void {
    this.printk(KERN_CRIT + text, callerId);
  }
  prErr(text: string, callerId = 0): void {
    this.printk(KERN_ERR + text, callerId);
  }
  prWarn(text: string, callerId = 0): void {
    this.printk(KERN_WARNING + text, callerId);
  }
  prNotice(text: string, callerId = 0): void {
    this.printk(KERN_NOTICE + text, callerId);
  }
  prInfo(text: string, callerId = 0): void {
    this.printk(KERN_INFO + text, callerId);
  }
  /** `pr_cont()`: no pr_fmt prefix, as in the kernel. */
  prCont(text: string, callerId = 0): void {
    this.printk(KERN_CONT + text, callerId);
  }

  /**
   * A logger whose `pr_*` helpers prepend `prFmt` (a file's `pr_fmt()`, e.g.
   * "code-patching: "). `pr_debug` is compiled out unless `debug` is set
   * (no DEBUG, no dynamic debug), as in a default build.
   */
  withPrefix(prFmt: string, debug = false): PrLogger {
    return new PrLogger(this, prFmt, debug);
  }

  /** The stored records, oldest first. */
  records(): readonly PrintkRecord[] {
    return this.stored.map(({ seq, tsNsec, level, callerId, text }) => ({
      seq,
      tsNsec,
      level,
      callerId,
      text,
    }));
  }

  /**
   * The rendered lines (`record_print_text()`): every line of a record carries
   * the record's prefix. `consoleLoglevel` keeps records with level below it,
   * like the console; omitted, every record is kept, like `dmesg`.
   */
  lines(consoleLoglevel?: number): string[] {
    const out: string[] = [];
    for (const r of this.stored) {
      if (consoleLoglevel !== undefined && r.level >= consoleLoglevel) continue;
      const prefix = this.time ? `${printTime(r.tsNsec)} ` : "";
      for (const line of r.text.split("\n")) out.push(prefix + line);
    }
    return out;
  }

  /** The whole log as `dmesg` prints it: every line newline-terminated. */
  dmesg(): string {
    const lines = this.lines();
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }
}

/** The `pr_*()` helpers of one source file, with its `pr_fmt()` prefix. */
export class PrLogger {
  private readonly log: Printk;
  private readonly prFmt: string;
  private readonly debug: boolean;

  constructor(log: Printk, prFmt: string, debug: boolean) {
    this.log = log;
    this.prFmt = prFmt;
    this.debug = debug;
  }

  prEmerg(text: string, callerId = 0): void {
    this.log.printk(KERN_EMERG + this.prFmt + text, callerId);
  }
  prAlert(text: string, callerId = 0): void {
    this.log.printk(KERN_ALERT + this.prFmt + text, callerId);
  }
  prCrit(text: string, callerId = 0): void {
    this.log.printk(KERN_CRIT + this.prFmt + text, callerId);
  }
  prErr(text: string, callerId = 0): void {
    this.log.printk(KERN_ERR + this.prFmt + text, callerId);
  }
  prWarn(text: string, callerId = 0): void {
    this.log.printk(KERN_WARNING + this.prFmt + text, callerId);
  }
  prNotice(text: string, callerId = 0): void {
    this.log.printk(KERN_NOTICE + this.prFmt + text, callerId);
  }
  prInfo(text: string, callerId = 0): void {
    this.log.printk(KERN_INFO + this.prFmt + text, callerId);
  }
  prDebug(text: string, callerId = 0): void {
    if (this.debug) this.log.printk(KERN_DEBUG + this.prFmt + text, callerId);
  }
  prCont(text: string, callerId = 0): void {
    this.log.printk(KERN_CONT + text, callerId);
  }
}

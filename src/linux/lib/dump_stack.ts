/**
 * The task/kernel identification lines of every stack dump. Models
 * `dump_stack_print_info()` and `show_regs_print_info()`, lib/dump_stack.c
 * (v6.2), over plain data.
 */

import { printTainted, type TaintMask } from "../kernel/panic.ts";
import { MESSAGE_LOGLEVEL_DEFAULT, type PrintkLine } from "../kernel/printk.ts";

/** The current task and kernel build, as `dump_stack_print_info()` reads them. */
export interface DumpStackInfo {
  readonly cpu: number;
  readonly pid: number;
  /** `current->comm` (printed with `%.20s`). */
  readonly comm: string;
  readonly taint: TaintMask;
  /** `init_utsname()->release`, e.g. "6.2.0-rc1". */
  readonly release: string;
  /** `init_utsname()->version`, e.g. "#1 SMP Fri Dec 16 …"; printed up to its first space. */
  readonly version: string;
  /** `kexec_crash_loaded()`. */
  readonly kdumpLoaded?: boolean;
  /** `dump_stack_arch_desc_str` (set by `dump_stack_set_arch_desc()`); no line when empty. */
  readonly hardwareName?: string;
}

/**
 * Models `dump_stack_print_info()`: `CPU: <cpu> PID: <pid> Comm: <comm>
 * [Kdump: loaded ]<taint> <release> <version-up-to-space>` and
 * `Hardware name: <desc>`.
 *
 * SIMPLIFICATION: no workqueue-worker or stopper line (print_worker_info,
 * print_stop_info); the simulated kernel has no such tasks.
 */
export function dumpStackPrintInfo(info: DumpStackInfo): PrintkLine[] {
  const space = info.version.indexOf(" ");
  const version = space < 0 ? info.version : info.version.slice(0, space);
  const kdump = info.kdumpLoaded === true ? "Kdump: loaded " : "";
  const lines: PrintkLine[] = [
    {
      level: MESSAGE_LOGLEVEL_DEFAULT,
      text: `CPU: ${info.cpu} PID: ${info.pid} Comm: ${info.comm.slice(0, 20)} ${kdump}${printTainted(info.taint)} ${info.release} ${version}`,
    },
  ];
  if (info.hardwareName !== undefined && info.hardwareName !== "") {
    lines.push({ level: MESSAGE_LOGLEVEL_DEFAULT, text: `Hardware name: ${info.hardwareName}` });
  }
  return lines;
}

/** Models `show_regs_print_info()`: the same lines. */
export function showRegsPrintInfo(info: DumpStackInfo): PrintkLine[] {
  return dumpStackPrintInfo(info);
}

/**
 * The text of a powerpc oops. Models the printing parts of
 * arch/powerpc/kernel/traps.c at v6.2: `get_mmu_str`, `__die` (the `Oops:`
 * line, the configuration line, `print_modules()`, `show_regs()`) and
 * `oops_end` (the end marker and the empty line), over plain data. The die
 * path (locks, notifiers, taint, delay, make_task_dead) belongs to its caller.
 */

import { type ModuleInfo, printModules } from "../../../kernel/module/main.ts";
import { printOopsEndMarker } from "../../../kernel/panic.ts";
import { MESSAGE_LOGLEVEL_DEFAULT, type PrintkLine } from "../../../kernel/printk.ts";
import { type PtRegs, type ShowRegsInput, showRegs } from "./process.ts";

/** The build and platform facts the configuration line reports. */
export interface DieConfig {
  /** CONFIG_CPU_LITTLE_ENDIAN. */
  readonly littleEndian: boolean;
  /** PAGE_SIZE in bytes. */
  readonly pageSize: number;
  /** Radix enabled, else hash page table (MMU_FTR_HPTE_TABLE), else neither. */
  readonly mmu: "radix" | "hash" | "none";
  /** CONFIG_PREEMPT. */
  readonly preempt: boolean;
  /** CONFIG_SMP. */
  readonly smp: boolean;
  /** CONFIG_NR_CPUS (printed only with SMP). */
  readonly nrCpus: number;
  /** `debug_pagealloc_enabled()`. */
  readonly debugPagealloc: boolean;
  /** CONFIG_NUMA. */
  readonly numa: boolean;
  /** `ppc_md.name`, e.g. "PowerNV", "pSeries"; empty when unset. */
  readonly machineName: string;
}

/** Models `get_mmu_str()`. */
export function getMmuStr(config: Pick<DieConfig, "mmu">): string {
  if (config.mmu === "radix") return " MMU=Radix";
  if (config.mmu === "hash") return " MMU=Hash";
  return "";
}

/**
 * The configuration line of `__die()`:
 * `<LE|BE> PAGE_SIZE=<n>K[ MMU=…][ PREEMPT][ SMP NR_CPUS=<n>][ DEBUG_PAGEALLOC][ NUMA] <machine>`.
 */
export function dieConfigLine(config: DieConfig): string {
  return (
    `${config.littleEndian ? "LE" : "BE"} PAGE_SIZE=${config.pageSize / 1024}K` +
    getMmuStr(config) +
    (config.preempt ? " PREEMPT" : "") +
    (config.smp ? " SMP" : "") +
    (config.smp ? ` NR_CPUS=${config.nrCpus}` : "") +
    (config.debugPagealloc ? " DEBUG_PAGEALLOC" : "") +
    (config.numa ? " NUMA" : "") +
    ` ${config.machineName}`
  );
}

/** What `__die()` prints besides the registers. */
export interface DieInput extends ShowRegsInput {
  readonly config: DieConfig;
  readonly modules: readonly ModuleInfo[];
  readonly lastUnloadedModule?: string;
  /** `die_counter` after the increment: 1 for the first oops since boot. */
  readonly dieCounter: number;
}

/**
 * Models the text of `__die(str, regs, err)`: `Oops: <str>, sig: <err>
 * [#<n>]`, the configuration line, `Modules linked in:` and `show_regs()`.
 * (A die notifier returning NOTIFY_STOP would end it after the configuration
 * line; the caller decides that and can slice.)
 */
export function __die(str: string, regs: PtRegs, err: number, input: DieInput): PrintkLine[] {
  return [
    { level: MESSAGE_LOGLEVEL_DEFAULT, text: `Oops: ${str}, sig: ${err} [#${input.dieCounter}]` },
    { level: MESSAGE_LOGLEVEL_DEFAULT, text: dieConfigLine(input.config) },
    printModules(input.modules, input.lastUnloadedModule),
    ...showRegs(regs, input),
  ];
}

/**
 * Models what `oops_end()` prints: `oops_exit()`'s end marker and an empty
 * line. Taint D is added before, by the caller (it only shows in later
 * reports).
 */
export function oopsEndLines(): PrintkLine[] {
  return [printOopsEndMarker(), { level: MESSAGE_LOGLEVEL_DEFAULT, text: "" }];
}

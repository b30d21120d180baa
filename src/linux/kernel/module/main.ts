/**
 * The module list as oops and WARN reports print it. Models `print_modules()`
 * and `module_flags()`, kernel/module/main.c (v6.2), over plain data.
 */

import { TAINT_FLAGS_COUNT, type TaintMask, taintFlags } from "../panic.ts";
import { MESSAGE_LOGLEVEL_DEFAULT, type PrintkLine } from "../printk.ts";

/** What `print_modules()` needs of one loaded module. */
export interface ModuleInfo {
  readonly name: string;
  /** The module's own taints (`mod->taints`). */
  readonly taints?: TaintMask;
  /** `mod->state`; "coming" prints `+`, "going" prints `-`. */
  readonly state?: "live" | "coming" | "going";
}

/** Models `module_flags()`: `(` taint letters, then `+`/`-` for a loading/unloading module, `)`. */
export function moduleFlags(mod: ModuleInfo): string {
  let inner = "";
  const taints = mod.taints ?? 0;
  for (let i = 0; i < TAINT_FLAGS_COUNT; i++) {
    const f = taintFlags[i]!;
    if (f.module && (taints >>> i) & 1) inner += f.cTrue;
  }
  if (mod.state === "coming") inner += "+";
  else if (mod.state === "going") inner += "-";
  return inner === "" ? "" : `(${inner})`;
}

/**
 * Models `print_modules()`: `Modules linked in:` then ` name(flags)` per
 * module in the order given (the kernel's list has the newest first), and
 * ` [last unloaded: name]` when a module has been unloaded.
 */
export function printModules(modules: readonly ModuleInfo[], lastUnloaded?: string): PrintkLine {
  let text = "Modules linked in:";
  for (const mod of modules) text += ` ${mod.name}${moduleFlags(mod)}`;
  if (lastUnloaded !== undefined) text += ` [last unloaded: ${lastUnloaded}]`;
  return { level: MESSAGE_LOGLEVEL_DEFAULT, text };
}

/**
 * The list of loaded modules (`modules` in kernel/module/main.c) and the
 * lookups other subsystems make on it: the die path's `print_modules()`,
 * kprobes' `__module_text_address()`. Kept apart from the loader so those
 * can use it without depending on the loader.
 */
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import type { PrintkLine } from "../printk.ts";
import { type ModuleInfo, printModules } from "./main.ts";

/** A symbol of a loaded module, at its final address. */
export interface ModuleSymbol {
  readonly name: string;
  readonly address: bigint;
  /** kallsyms size: up to the next symbol (or the end of its part of the layout). */
  readonly size: number;
  readonly func: boolean;
  /** ELFv2: bytes from the global to the local entry. */
  readonly localEntryOffset: number;
}

/** `struct module`, the parts the model has. */
export interface Module {
  readonly name: string;
  state: "coming" | "live" | "going";
  /** `mod->taints`. */
  taints: number;
  /** `core_layout.base` and `.size` (the module_alloc'd region). */
  readonly base: bigint;
  readonly size: number;
  /** `core_layout.text_size` / `.ro_size` (offsets from base; page-aligned under strict RWX). */
  readonly textSize: number;
  readonly roSize: number;
  /** `my_r2()`: the module's TOC pointer. */
  readonly toc: bigint;
  /** Where the `.stubs` section landed. */
  readonly stubs: bigint;
  readonly symbols: ReadonlyMap<string, ModuleSymbol>;
  /** Section name → address, for SHF_ALLOC sections placed in the layout. */
  readonly sections: ReadonlyMap<string, bigint>;
  /** `mod->init` / `mod->exit` (global entries), if the module has them. */
  readonly init: bigint | null;
  readonly exit: bigint | null;
}

interface ModuleState {
  /** `modules`: the newest first, as list_add_rcu puts them. */
  readonly list: Module[];
  /** `last_unloaded_module`. */
  lastUnloaded: string | undefined;
}

export const MODULES = defineSlot<ModuleState>("modules", () => ({
  list: [],
  lastUnloaded: undefined,
}));

/** The loaded modules, newest first. */
export function loadedModules(k: Kernel): readonly Module[] {
  return k.slot(MODULES).list;
}

/** Models `find_module(name)`. */
export function findModule(k: Kernel, name: string): Module | undefined {
  return k.slot(MODULES).list.find((m) => m.name === name);
}

/** Models `__module_text_address(addr)`: the module whose text holds `addr`. */
export function moduleTextAddress(k: Kernel, addr: bigint): Module | undefined {
  return k.slot(MODULES).list.find((m) => addr >= m.base && addr < m.base + BigInt(m.textSize));
}

/** The loaded modules as print_modules() describes them, and the last one unloaded. */
export function moduleInfos(k: Kernel): {
  modules: ModuleInfo[];
  lastUnloaded: string | undefined;
} {
  const s = k.slot(MODULES);
  return {
    modules: s.list.map((m) => ({ name: m.name, taints: m.taints, state: m.state })),
    lastUnloaded: s.lastUnloaded,
  };
}

/** Models `print_modules()` on the running kernel: `Modules linked in: ...`. */
export function printModulesOf(k: Kernel): PrintkLine {
  const { modules, lastUnloaded } = moduleInfos(k);
  return printModules(modules, lastUnloaded);
}

/**
 * Initcalls (include/linux/init.h): `early_initcall(fn)` … `late_initcall(fn)`
 * declare functions the kernel runs once at boot, by level — early ones from
 * do_pre_smp_initcalls before the secondary CPUs start, then levels 0..7 from
 * do_initcalls. Within a level they run in link order; here, declaration order.
 * Every initcall is an `__init` function (freed with init memory).
 */
import type { Ctx, KGen } from "../../core/ctx.ts";
import { kfunc } from "../../core/kfunc.ts";

/** The numbered levels of do_initcalls, in order (`initcall_level_names`). */
export const INITCALL_LEVEL_NAMES = [
  "pure",
  "core",
  "postcore",
  "arch",
  "subsys",
  "fs",
  "device",
  "late",
] as const;

export type InitcallLevel = "early" | (typeof INITCALL_LEVEL_NAMES)[number];

/** An initcall body: returns 0 or a negative errno, like `initcall_t`. */
export type InitcallFn = (c: Ctx) => KGen<number>;

export interface Initcall {
  readonly level: InitcallLevel;
  readonly name: string;
  readonly fn: InitcallFn;
}

export interface InitcallOptions {
  readonly name: string;
  readonly file: string;
  readonly size?: number;
}

const INITCALLS: Initcall[] = [];

/** Declare an initcall at `level`; returns the (kfunc-wrapped) function. */
export function defineInitcall(
  level: InitcallLevel,
  opts: InitcallOptions,
  body: InitcallFn,
): InitcallFn {
  const fn = kfunc({ ...opts, init: true }, body);
  INITCALLS.push({ level, name: opts.name, fn });
  return fn;
}

export const earlyInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("early", o, b);
export const pureInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("pure", o, b);
export const coreInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("core", o, b);
export const postcoreInitcall = (o: InitcallOptions, b: InitcallFn) =>
  defineInitcall("postcore", o, b);
export const archInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("arch", o, b);
export const subsysInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("subsys", o, b);
export const fsInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("fs", o, b);
export const deviceInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("device", o, b);
/** `module_init()` of built-in code is a device initcall. */
export const moduleInit = deviceInitcall;
export const lateInitcall = (o: InitcallOptions, b: InitcallFn) => defineInitcall("late", o, b);

/** Every declared initcall, in declaration order. */
export function registeredInitcalls(): readonly Initcall[] {
  return INITCALLS;
}

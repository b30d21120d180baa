/**
 * Platform setup common to ppc32/ppc64 (arch/powerpc/kernel/setup-common.c):
 * `setup_arch()` with `probe_machine()` (the "Using <platform> machine
 * description" line) and the kernel command line.
 */
import { markShared } from "../../../../util/clone.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../core/kernel.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { jumpLabelInit } from "../../../kernel/jump_label.ts";
import { pageAllocInit } from "../../../mm/page_alloc.ts";

/** `ppc_md`: the platform's machine description (only what the model uses). */
export interface MachDep {
  /** `ppc_md.name`, printed in the oops configuration line. */
  readonly name: string;
}

/** The PowerNV machine description (arch/powerpc/platforms/powernv/setup.c); kernels and their forks share it. */
export const POWERNV_MACHDEP: MachDep = markShared({ name: "PowerNV" });

interface SetupState {
  ppcMd: MachDep | null;
  /** `boot_command_line`. */
  commandLine: string;
}

const SETUP = defineSlot<SetupState>("setup", () => ({ ppcMd: null, commandLine: "" }));

/** Set the boot command line (what firmware passes in the device tree's /chosen/bootargs). */
export function setBootCommandLine(k: Kernel, line: string): void {
  k.slot(SETUP).commandLine = line;
}

/** `boot_command_line`. */
export function bootCommandLine(k: Kernel): string {
  return k.slot(SETUP).commandLine;
}

/** `ppc_md` (null before probe_machine). */
export function ppcMd(k: Kernel): MachDep | null {
  return k.slot(SETUP).ppcMd;
}

/** Models `probe_machine()`: this model only knows PowerNV. */
export const probeMachine = kfunc(
  { name: "probe_machine", file: "arch/powerpc/kernel/setup-common.c", init: true, size: 0x130 },
  // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
  function* (c: Ctx): KGen<void> {
    c.k.slot(SETUP).ppcMd = POWERNV_MACHDEP;
    c.k.printk.prInfo(`Using ${POWERNV_MACHDEP.name} machine description\n`, c.current.pid);
  },
);

/**
 * Models `setup_feature_keys()` (arch/powerpc/lib/feature-fixups.c): powerpc
 * initialises jump labels early, before its CPU/MMU feature keys.
 * SIMPLIFICATION: no feature keys are modelled, only `jump_label_init()`;
 * its exact position inside setup_arch is UNVERIFIED (it precedes anything
 * that flips a key).
 */
function* setupFeatureKeys(c: Ctx): KGen<void> {
  if (c.k.config.bool("JUMP_LABEL")) yield* jumpLabelInit(c);
}

/**
 * Models `setup_arch()`: probe the machine, the feature keys (jump labels),
 * create the page allocator, then `paging_init` (which the caller passes:
 * the MMU model provides it).
 */
export const setupArch = kfunc(
  { name: "setup_arch", file: "arch/powerpc/kernel/setup-common.c", init: true, size: 0x3e0 },
  function* (c: Ctx, pagingInit: ((c: Ctx) => KGen<void>) | null): KGen<void> {
    yield* probeMachine(c);
    yield* setupFeatureKeys(c);
    // memblock → page allocator over the RAM above _end.
    pageAllocInit(c.k);
    if (pagingInit !== null) yield* pagingInit(c);
  },
);

/**
 * The BUG/WARN sites of the modelled kernel functions whose trap words and
 * bug-table entries the image carries from the start (as vmlinux's
 * `__bug_table` does), so kprobes and the Code: line read the real trap
 * word before anything fires. Each entry names the function the check ends
 * up in after inlining, as the die path reports it.
 */
import { declareBugSite } from "./sites.ts";

const PGTABLE = "arch/powerpc/mm/pgtable.c";

// assert_pte_locked(): the seed's `tdnei r9,0` at +0x180 (pgtable.c:333) and
// the page-table-level BUG_ONs before it; only built with CONFIG_DEBUG_VM.
for (const line of [318, 320, 322, 332])
  declareBugSite({ fn: "assert_pte_locked", file: PGTABLE, line, kind: "bug-on", debugVm: true });
declareBugSite({
  fn: "assert_pte_locked",
  file: PGTABLE,
  line: 333,
  kind: "bug-on",
  offset: 0x180,
  debugVm: true,
});
// set_pte_at(): VM_WARN_ON on overwriting a valid PTE.
declareBugSite({ fn: "set_pte_at", file: PGTABLE, line: 197, kind: "warn-on", debugVm: true });
// destroy_context(): WARN_ON a live process-table entry.
declareBugSite({
  fn: "destroy_context",
  file: "arch/powerpc/mm/book3s64/mmu_context.c",
  line: 276,
  kind: "warn-on",
});
// __mmdrop(): BUG_ON(mm == &init_mm), WARN_ON_ONCE(mm == current->mm / active_mm).
declareBugSite({ fn: "__mmdrop", file: "kernel/fork.c", line: 790, kind: "bug-on" });
declareBugSite({ fn: "__mmdrop", file: "kernel/fork.c", line: 791, kind: "warn-on-once" });
declareBugSite({ fn: "__mmdrop", file: "kernel/fork.c", line: 795, kind: "warn-on-once" });

/**
 * Where one version of arch/powerpc/lib/code-patching.c has its WARNs (they
 * move between versions; each version's module passes its own). The static
 * helpers are inlined: start_using_temp_mm's WARN_ON sits in
 * patch_instruction, unmap_patch_area's in text_area_cpu_up.
 */
export interface CodePatchingWarnLines {
  /** start_using_temp_mm's WARN_ON; null before the temporary-mm path. */
  readonly startUsingTempMm: number | null;
  /** text_area_cpu_up's WARN_ONCE. */
  readonly textAreaCpuUp: number;
  /** unmap_patch_area's WARN_ONs at the PGD, PUD, PMD and PTE. */
  readonly unmapPatchArea: readonly [number, number, number, number];
  /** text_area_cpu_up_mm's WARN_ON; null before the temporary-mm path. */
  readonly textAreaCpuUpMm: number | null;
  /** poking_init's WARN_ON. */
  readonly pokingInit: number;
}

/** Declare one code-patching.c version's WARN sites (the image carries them all). */
export function declareCodePatchingSites(v: CodePatchingWarnLines): void {
  const file = "arch/powerpc/lib/code-patching.c";
  if (v.startUsingTempMm !== null)
    declareBugSite({ fn: "patch_instruction", file, line: v.startUsingTempMm, kind: "warn-on" });
  declareBugSite({ fn: "text_area_cpu_up", file, line: v.textAreaCpuUp, kind: "warn-once-msg" });
  for (const line of v.unmapPatchArea)
    declareBugSite({ fn: "text_area_cpu_up", file, line, kind: "warn-on" });
  if (v.textAreaCpuUpMm !== null)
    declareBugSite({ fn: "text_area_cpu_up_mm", file, line: v.textAreaCpuUpMm, kind: "warn-on" });
  declareBugSite({ fn: "poking_init", file, line: v.pokingInit, kind: "warn-on" });
}

// arch/powerpc/kernel/kprobes.c: WARN_ON_ONCE(patch_instruction(...)) when arming/disarming.
const KPROBES = "arch/powerpc/kernel/kprobes.c";
declareBugSite({ fn: "arch_arm_kprobe", file: KPROBES, line: 146, kind: "warn-on-once" });
declareBugSite({ fn: "arch_disarm_kprobe", file: KPROBES, line: 152, kind: "warn-on-once" });

// kernel/trace/ftrace.c: ftrace_bug()'s FTRACE_WARN_ON_ONCE(1); only built with CONFIG_FUNCTION_TRACER.
declareBugSite({
  fn: "ftrace_bug",
  file: "kernel/trace/ftrace.c",
  line: 2130,
  kind: "warn-on-once",
});

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

// arch/powerpc/lib/code-patching.c, in each version a variant models (the
// lines differ: src/variants/code-patching/). The static helpers are
// inlined: start_using_temp_mm's WARN_ON sits in patch_instruction,
// unmap_patch_area's in text_area_cpu_up.
const PATCHING = "arch/powerpc/lib/code-patching.c";
const PATCHING_LINES = [
  // 980411a4d1bb, 274d842fa1ef, c28c15b6d28a
  { startUsingTempMm: 88, textAreaCpuUp: 110, unmap: [255, 263, 267, 271], upMm: 156, poking: 222 },
  {
    startUsingTempMm: null,
    textAreaCpuUp: 58,
    unmap: [125, 133, 137, 141],
    upMm: null,
    poking: 92,
  },
  { startUsingTempMm: 84, textAreaCpuUp: 106, unmap: [244, 252, 256, 260], upMm: 147, poking: 211 },
];
for (const v of PATCHING_LINES) {
  if (v.startUsingTempMm !== null)
    declareBugSite({
      fn: "patch_instruction",
      file: PATCHING,
      line: v.startUsingTempMm,
      kind: "warn-on",
    });
  declareBugSite({
    fn: "text_area_cpu_up",
    file: PATCHING,
    line: v.textAreaCpuUp,
    kind: "warn-once-msg",
  });
  for (const line of v.unmap)
    declareBugSite({ fn: "text_area_cpu_up", file: PATCHING, line, kind: "warn-on" });
  if (v.upMm !== null)
    declareBugSite({ fn: "text_area_cpu_up_mm", file: PATCHING, line: v.upMm, kind: "warn-on" });
  declareBugSite({ fn: "poking_init", file: PATCHING, line: v.poking, kind: "warn-on" });
}
// arch/powerpc/kernel/kprobes.c: WARN_ON_ONCE(patch_instruction(...)) when arming/disarming.
const KPROBES = "arch/powerpc/kernel/kprobes.c";
declareBugSite({ fn: "arch_arm_kprobe", file: KPROBES, line: 146, kind: "warn-on-once" });
declareBugSite({ fn: "arch_disarm_kprobe", file: KPROBES, line: 152, kind: "warn-on-once" });

/**
 * Switching address spaces (arch/powerpc/mm/mmu_context.c at v6.2;
 * mm-primitives.md §12).
 */
import { OpKind } from "../../../../machine/ops.ts";
import { visible } from "../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import type { MmStruct } from "../../../include/linux/mm_types.ts";
import { localIrqRestore, localIrqSave } from "../include/asm/hw_irq.ts";
import { radixEnabled } from "../include/asm/mmu.ts";
import { radix__switchMmuContext } from "./book3s64/radix_pgtable.ts";

/**
 * Models `switch_mm_irqs_off(prev, next, tsk)` (interrupts must be off):
 * on first use of `next` on this CPU, add the CPU to `mm_cpumask(next)`,
 * count it in `active_cpus` and issue a full barrier (pairs with the flush
 * code that reads the mask); then, if the mm really changes, switch the MMU
 * context (Radix: `mtspr PIDR; isync`). The membarrier hook (when not new on
 * this CPU) has nothing to order in the model. `current->active_mm` is not
 * changed, and the CPU is never removed from `mm_cpumask(prev)`.
 * SIMPLIFICATION: Hash (SLB switch) only records the mask; no `dssall`.
 */
export const switchMmIrqsOff = kfunc(
  { name: "switch_mm_irqs_off", file: "arch/powerpc/mm/mmu_context.c", size: 0x160 },
  function* (c: Ctx, prev: MmStruct, next: MmStruct): KGen<void> {
    if (!next.cpumask.has(c.cpu.id)) {
      // Shared state written with no visible operation of its own: a checker's dependency.
      c.k.machine.footprint?.object(next, true);
      next.cpumask.add(c.cpu.id);
      next.context.activeCpus++;
      // smp_mb(): the mask update before any translation for `next` is loaded.
      yield* visible(c.cpu, OpKind.SYNC, "smp_mb");
    }
    if (prev === next) return;
    if (radixEnabled(c.k)) yield* radix__switchMmuContext(c, next);
  },
);

/** Models `switch_mm(prev, next, tsk)`: the same inside `local_irq_save/restore`. */
export function* switchMm(c: Ctx, prev: MmStruct, next: MmStruct): KGen<void> {
  const flags = localIrqSave(c);
  yield* switchMmIrqsOff(c, prev, next);
  yield* localIrqRestore(c, flags);
}

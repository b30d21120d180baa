/**
 * `mm_is_thread_local()` (arch/powerpc/include/asm/tlb.h, SMP book3s64, v6.2):
 * may a flush for `mm` stay local to this CPU?
 */
import type { Ctx } from "../../../../core/ctx.ts";
import type { MmStruct } from "../../../../include/linux/mm_types.ts";

/** Models `mm_is_thread_local(mm)`: false if more than one CPU switched to it, else "this CPU is in the mask". */
export function mmIsThreadLocal(c: Ctx, mm: MmStruct): boolean {
  // Shared state read with no visible operation of its own: a checker's dependency.
  c.k.machine.footprint?.object(mm, false);
  if (mm.context.activeCpus > 1) return false;
  return mm.cpumask.has(c.cpu.id);
}

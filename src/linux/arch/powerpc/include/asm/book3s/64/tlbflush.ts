/**
 * The MMU-dispatching TLB flush inlines of
 * arch/powerpc/include/asm/book3s/64/tlbflush.h (v6.2): Radix runs the
 * radix_tlb.c functions; Hash needs nothing here (clearing a hash PTE already
 * invalidated its HPT entry).
 */
import type { Ctx, KGen } from "../../../../../../core/ctx.ts";
import type { MmStruct } from "../../../../../../include/linux/mm_types.ts";
import {
  radix__flushTlbKernelRange,
  radix__flushTlbMm,
  radix__localFlushTlbPagePsize,
} from "../../../../mm/book3s64/radix_tlb.ts";
import { radixEnabled } from "../../mmu.ts";

/** Models `local_flush_tlb_page_psize(mm, vmaddr, psize)` (added in v6.2); `shift` = log2 page size. */
export function* localFlushTlbPagePsize(
  c: Ctx,
  mm: MmStruct,
  vmaddr: bigint,
  shift: number,
): KGen<void> {
  if (radixEnabled(c.k)) yield* radix__localFlushTlbPagePsize(c, mm, vmaddr, shift);
}

/** Models `flush_tlb_kernel_range(start, end)`. */
export function* flushTlbKernelRange(c: Ctx, start: bigint, end: bigint): KGen<void> {
  if (radixEnabled(c.k)) yield* radix__flushTlbKernelRange(c, start, end);
}

/** Models `flush_tlb_mm(mm)`. */
export function* flushTlbMm(c: Ctx, mm: MmStruct): KGen<void> {
  if (radixEnabled(c.k)) yield* radix__flushTlbMm(c, mm);
}

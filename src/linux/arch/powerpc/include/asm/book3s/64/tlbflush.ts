/**
 * The MMU-dispatching TLB flush inlines of
 * arch/powerpc/include/asm/book3s/64/tlbflush.h (v6.2): Radix runs the
 * radix_tlb.c functions; Hash needs nothing here (clearing a hash PTE already
 * invalidated its HPT entry).
 */
import type { Ctx, KGen } from "../../../../../../core/ctx.ts";
import type { MmStruct } from "../../../../../../include/linux/mm_types.ts";
import {
  type GatherFlush,
  radix__flushTlbKernelRange,
  radix__flushTlbMm,
  radix__localFlushTlbPagePsize,
  radix__tlbFlush,
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

/**
 * Models `tlb_flush(tlb)` (the mmu_gather's flush): `radix__tlb_flush` on
 * Radix. On Hash it is `hash__tlb_flush`, which flushes this CPU's batch of
 * pending hash-PTE invalidations.
 * SIMPLIFICATION: the model keeps no such batch, so on Hash it does nothing.
 */
export function* tlbFlush(c: Ctx, tlb: GatherFlush): KGen<void> {
  if (radixEnabled(c.k)) yield* radix__tlbFlush(c, tlb);
}

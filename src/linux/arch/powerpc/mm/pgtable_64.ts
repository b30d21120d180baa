/**
 * `map_kernel_page()` (arch/powerpc/include/asm/book3s/64/pgtable.h, used by
 * arch/powerpc/mm/pgtable_64.c and code patching) and `unmap_kernel_page()`
 * (arch/powerpc/mm/pgtable.c) at v6.2 (mm-primitives.md §15).
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { initMm } from "../../../mm/init-mm.ts";
import { pmdOffK, pteOffsetKernel, readEntry } from "../../../mm/memory.ts";
import { pdNone } from "../include/asm/book3s/64/pgtable.ts";
import { pteClear } from "../include/asm/book3s/64/pte-update.ts";
import { flushTlbKernelRange } from "../include/asm/book3s/64/tlbflush.ts";
import { radixEnabled } from "../include/asm/mmu.ts";
import { hash__mapKernelPage } from "./book3s64/hash_pgtable.ts";
import { radix__mapKernelPage } from "./book3s64/radix_pgtable.ts";

/**
 * Models `map_kernel_page(ea, pa, prot)`: one base page in init_mm,
 * allocating missing tables (GFP_KERNEL). Returns 0 or -ENOMEM.
 */
export function* mapKernelPage(c: Ctx, ea: bigint, pa: number, prot: bigint): KGen<number> {
  if (radixEnabled(c.k)) return yield* radix__mapKernelPage(c, ea, pa, prot);
  return yield* hash__mapKernelPage(c, ea, pa, prot);
}

/**
 * Models `unmap_kernel_page(va)`: clear init_mm's PTE for `va` (no lock
 * assertion: init_mm is exempt) and flush the kernel TLB range.
 */
export function* unmapKernelPage(c: Ctx, va: bigint): KGen<void> {
  const pmd = yield* pmdOffK(c, va);
  if (pmd === null) return;
  const v = yield* readEntry(c, pmd);
  if (pdNone(v)) return;
  yield* pteClear(c, initMm(c.k), va, pteOffsetKernel(c, v, va));
  yield* flushTlbKernelRange(c, va, va + BigInt(c.k.config.pageSize));
}

/**
 * The MMU entry points the boot code calls (arch/powerpc/include/asm/book3s/64/mmu.h
 * `early_init_mmu`, `early_init_mmu_secondary`; arch/powerpc/mm/book3s64/pgtable.c
 * `mark_rodata_ro`, `mark_initmem_nx`; arch/powerpc/mm/mem.c `paging_init`,
 * `free_initmem` at v6.2), dispatching on the MMU mode.
 */
import {
  MSR_DR,
  MSR_HI_HV,
  MSR_HI_SF,
  MSR_IR,
  MSR_LE,
  MSR_ME,
  MSR_RI,
} from "../../../../../../../machine/registers.ts";
import type { Ctx, KGen } from "../../../../../../core/ctx.ts";
import { kfunc } from "../../../../../../core/kfunc.ts";
import { initMm } from "../../../../../../mm/init-mm.ts";
import { pageAllocInit, setSlabAvailable } from "../../../../../../mm/page_alloc.ts";
import { hash__earlyInitMmu, hash__markRodataRo } from "../../../../mm/book3s64/hash_pgtable.ts";
import {
  radix__earlyInitMmu,
  radix__earlyInitMmuSecondary,
  radix__markInitmemNx,
  radix__markRodataRo,
} from "../../../../mm/book3s64/radix_pgtable.ts";
import { radixEnabled } from "../../mmu.ts";

/** POISON_FREE_INITMEM (include/linux/poison.h). */
export const POISON_FREE_INITMEM = 0xcc;

/**
 * Relocation on, as the kernel runs after early setup: MSR = SF HV ME IR DR
 * RI LE, EE left as it was (the soft mask governs interrupts).
 */
function kernelMsr(c: Ctx): void {
  c.cpu.msrHi = (c.cpu.msrHi | MSR_HI_SF | MSR_HI_HV) >>> 0;
  c.cpu.msrLo = (c.cpu.msrLo | MSR_ME | MSR_IR | MSR_DR | MSR_RI | MSR_LE) >>> 0;
}

/**
 * Models `early_init_mmu()` on the boot CPU: hands RAM above the image to
 * the page allocator, builds init_mm's linear map (Radix: 1G/2M/base leaves,
 * text RWX until mark_rodata_ro; the process table, the guard PID, the
 * partition table, PTCR/LPCR/LPIDR/PIDR; Hash: the bolted linear map), and
 * turns relocation on. Call once, before any other CPU runs.
 */
export function* earlyInitMmu(c: Ctx): KGen<void> {
  pageAllocInit(c.k);
  initMm(c.k);
  if (radixEnabled(c.k)) yield* radix__earlyInitMmu(c);
  else yield* hash__earlyInitMmu(c);
  kernelMsr(c);
}

/**
 * Models `early_init_mmu_secondary()`: what a secondary CPU does at start
 * (Radix: LPCR[UPRT|HR], PTCR, PIDR = guard PID with isync, local TLB
 * flush), then relocation on.
 */
export function* earlyInitMmuSecondary(c: Ctx): KGen<void> {
  if (radixEnabled(c.k)) yield* radix__earlyInitMmuSecondary(c);
  kernelMsr(c);
}

/**
 * Models the end of `paging_init()` / `mm_core_init()` that matters here:
 * the slab allocator is available, so kernel page tables are allocated as
 * fragments (with locks and accounting) instead of from memblock.
 */
export function* pagingInit(c: Ctx): KGen<void> {
  setSlabAvailable(c.k);
  yield* [];
}

/**
 * Models `mark_rodata_ro()` (under CONFIG_STRICT_KERNEL_RWX; the caller
 * skips it with `rodata=off`): write cleared on `_stext`..`__init_begin`,
 * with the TLB invalidations each MMU needs.
 */
export function* markRodataRo(c: Ctx): KGen<void> {
  if (!c.k.config.bool("STRICT_KERNEL_RWX")) return;
  if (radixEnabled(c.k)) yield* radix__markRodataRo(c);
  else yield* hash__markRodataRo(c);
}

/**
 * Models `free_initmem()` (arch/powerpc/mm/mem.c): `mark_initmem_nx()`,
 * `init_mem_is_free = true`, and the init section poisoned with 0xcc and
 * released ("Freeing unused kernel image (initmem) memory: NK").
 * SIMPLIFICATION: the freed frames are not handed to the page allocator
 * (they lie below its range); the mapping stays, non-executable.
 */
export const freeInitmem = kfunc(
  { name: "free_initmem", file: "arch/powerpc/mm/mem.c", size: 0x80 },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    const img = k.image;
    if (img === undefined) throw new Error("free_initmem without a kernel image");
    if (radixEnabled(k) && k.config.bool("STRICT_KERNEL_RWX")) yield* radix__markInitmemNx(c);
    k.initMemIsFree = true;
    const start = Number(img.initBegin - 0xc000_0000_0000_0000n);
    const len = Number(img.initEnd - img.initBegin);
    k.machine.mem.writeBytes(start, new Uint8Array(len).fill(POISON_FREE_INITMEM));
    k.printk.prInfo(`Freeing unused kernel image (initmem) memory: ${len >> 10}K\n`, c.current.pid);
  },
);

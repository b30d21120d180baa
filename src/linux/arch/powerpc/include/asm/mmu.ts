/**
 * MMU feature tests (arch/powerpc/include/asm/mmu.h, v6.2).
 * `radix_enabled()` is the run-time MMU mode: the machine is configured
 * Radix, or hash when the kernel runs with `disable_radix` (or a config
 * without Radix) — the boot code builds the machine accordingly.
 */
import type { Kernel } from "../../../../core/kernel.ts";

/** Models `radix_enabled()`. */
export function radixEnabled(k: Kernel): boolean {
  return k.machine.mmu === "radix";
}

/**
 * Models `cputlb_use_tlbie()` (radix_tlb.c: `tlbie_enabled`, on by default on
 * bare metal; `disable_tlbie` turns it off). The IPI + tlbiel alternative is
 * not modelled, so this stays true.
 */
export function cputlbUseTlbie(_k: Kernel): boolean {
  return true;
}

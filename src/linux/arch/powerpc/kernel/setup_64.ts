/**
 * ppc64 early setup (arch/powerpc/kernel/setup_64.c): `early_setup()` on the
 * boot CPU, run from head_64.S before start_kernel, and the MMU entry points
 * boot calls (`early_init_mmu`, `early_init_mmu_secondary`, `paging_init`,
 * `mark_rodata_ro`, `free_initmem`) as a table the MMU model fills.
 */
import type { Cpu } from "../../../../machine/cpu.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../core/kernel.ts";
import { kfunc } from "../../../core/kfunc.ts";

/**
 * The MMU model's boot entry points. Each is optional: a missing one is
 * skipped (the boot still reaches /init, without that part of the MMU set up).
 */
export interface MmuBootOps {
  /** `early_init_mmu()`: partition/process tables, PTCR, init_mm's kernel mapping (boot CPU). */
  earlyInitMmu?: (c: Ctx) => KGen<void>;
  /** `early_init_mmu_secondary()`: the same registers on a CPU coming up. */
  earlyInitMmuSecondary?: (c: Ctx) => KGen<void>;
  /** `paging_init()` (from setup_arch). */
  pagingInit?: (c: Ctx) => KGen<void>;
  /** `mark_rodata_ro()`. */
  markRodataRo?: (c: Ctx) => KGen<void>;
  /** `free_initmem()`; when absent boot frees init memory itself (see init/main.ts). */
  freeInitmem?: (c: Ctx) => KGen<void>;
  /** `cleanup_cpu_mmu_context()` on a dying CPU; when absent the local TLB flush in smp.ts runs. */
  cleanupCpuMmuContext?: (c: Ctx) => KGen<void>;
}

const MMU_OPS = defineSlot<{ ops: MmuBootOps }>("mmu-boot-ops", () => ({ ops: {} }));

/** Install the MMU model's entry points for this kernel (before boot). */
export function setMmuBootOps(k: Kernel, ops: MmuBootOps): void {
  k.slot(MMU_OPS).ops = ops;
}

export function mmuBootOps(k: Kernel): MmuBootOps {
  return k.slot(MMU_OPS).ops;
}

/** MSR bits (Book III, IBM numbering translated to masks). */
const MSR_SF_HI = 0x8000_0000;
const MSR_HV_HI = 0x1000_0000;
const MSR_ME = 0x1000;
const MSR_IR = 0x20;
const MSR_DR = 0x10;
const MSR_RI = 0x2;
const MSR_LE = 0x1;

/**
 * The MSR kernel code runs with: 64-bit, hypervisor (PowerNV is bare metal),
 * machine checks on, recoverable, little-endian; relocation on once the MMU is
 * set up (`MSR_KERNEL` after start_here_common's rfid).
 * SIMPLIFICATION: MSR[EE] stays 0 — the model does not take timer or external
 * interrupts during boot (ppc64 soft-masks them anyway until local_irq_enable).
 */
export function setKernelMsr(cpu: Cpu, relocate: boolean): void {
  cpu.msrHi = MSR_SF_HI | MSR_HV_HI;
  cpu.msrLo = MSR_ME | MSR_RI | MSR_LE | (relocate ? MSR_IR | MSR_DR : 0);
}

/**
 * Models `early_setup()`: with the device tree parsed and the paca set up
 * (not modelled), initialise the MMU on the boot CPU, then turn relocation on.
 */
export const earlySetup = kfunc(
  { name: "early_setup", file: "arch/powerpc/kernel/setup_64.c", init: true, size: 0x2d0 },
  function* (c: Ctx): KGen<void> {
    setKernelMsr(c.cpu, false);
    const ops = mmuBootOps(c.k);
    if (ops.earlyInitMmu !== undefined) {
      yield* ops.earlyInitMmu(c);
      setKernelMsr(c.cpu, true);
    }
  },
);

/**
 * ppc64 early setup (arch/powerpc/kernel/setup_64.c): `early_setup()` on the
 * boot CPU, run from head_64.S before start_kernel, and the MMU entry points
 * boot calls (`early_init_mmu`, `early_init_mmu_secondary`, `paging_init`,
 * `mark_rodata_ro`, `free_initmem`) as a table the MMU model fills.
 */
import type { Cpu } from "../../../../machine/cpu.ts";
import { LPCR_AIL_3, LPCR_AIL_MASK } from "../../../../machine/registers.ts";
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
 * MSR[EE] is 0 here; start_kernel and start_secondary set it at their
 * `local_irq_enable()`, after which the soft mask governs interrupts.
 */
export function setKernelMsr(cpu: Cpu, relocate: boolean): void {
  cpu.msrHi = MSR_SF_HI | MSR_HV_HI;
  cpu.msrLo = MSR_ME | MSR_RI | MSR_LE | (relocate ? MSR_IR | MSR_DR : 0);
}

/**
 * The POWER9 CPU node's `ibm,processor-radix-AP-encodings` (QEMU PowerNV and
 * hardware alike): AP in the top 3 bits, the page shift below — 4K, 64K, 2M, 1G.
 */
const RADIX_AP_ENCODINGS = [0x0000_000c, 0xa000_0010, 0x2000_0015, 0x4000_001e];

/**
 * The POWER9 CPU node's `ibm,segment-page-sizes` as the kernel logs them:
 * [base shift, actual shift, SLB L||LP, AVPN mask, tlbiel, LP encoding].
 */
const HASH_SEGMENT_PAGE_SIZES: readonly (readonly number[])[] = [
  [12, 12, 0x0000, 0x0, 1, 0],
  [12, 16, 0x0000, 0x0, 1, 7],
  [12, 24, 0x0000, 0x0, 1, 56],
  [16, 16, 0x0110, 0x0, 1, 1],
  [16, 24, 0x0110, 0x0, 1, 8],
  [24, 24, 0x0100, 0x1, 0, 0],
  [34, 34, 0x0120, 0x7ff, 0, 3],
];

const hex = (v: number, digits: number) => v.toString(16).padStart(digits, "0");

/**
 * Models the MMU part of `early_init_devtree()` → `mmu_early_init_devtree()`:
 * `radix__early_init_devtree()` (arch/powerpc/mm/book3s64/radix_pgtable.c)
 * or `htab_dt_scan_page_sizes()` (hash_utils.c) logging the page sizes the
 * CPU node offers.
 * SIMPLIFICATION: the device tree is fixed (a POWER9); the sizes are only logged.
 */
function mmuEarlyInitDevtree(c: Ctx): void {
  const k = c.k;
  if (k.machine.mmu === "radix") {
    const log = k.printk.withPrefix("radix-mmu: ");
    log.prInfo("Page sizes from device-tree:\n", 0);
    for (const cell of RADIX_AP_ENCODINGS) {
      const shift = cell & ~(0xe << 28);
      log.prInfo(`Page size shift = ${shift} AP=0x${(cell >>> 29).toString(16)}\n`, 0);
    }
  } else {
    const log = k.printk.withPrefix("hash-mmu: ");
    log.prInfo("Page sizes from device-tree:\n", 0);
    for (const [base, shift, sllp, avpnm, tlbiel, penc] of HASH_SEGMENT_PAGE_SIZES) {
      log.prInfo(
        `base_shift=${base}: shift=${shift}, sllp=0x${hex(sllp!, 4)}, avpnm=0x${hex(avpnm!, 8)}, tlbiel=${tlbiel}, penc=${penc}\n`,
        0,
      );
    }
  }
}

/**
 * Models `setup_kup()` (arch/powerpc/mm/init-common.c), called from
 * `early_init_mmu()` before the MMU-specific setup: book3s64 POWER9 has both
 * KUAP and KUEP, and nothing on the command line disables them.
 */
function setupKup(c: Ctx): void {
  c.k.printk.prInfo("Activating Kernel Userspace Access Prevention\n", 0);
  c.k.printk.prInfo("Activating Kernel Userspace Execution Prevention\n", 0);
}

/**
 * The lines `radix__early_init_mmu()` (radix_init_partition_table) and
 * `hash__early_init_mmu()` (htab_initialize, 1T segments on POWER9) print
 * once the MMU is set up.
 */
function earlyInitMmuDone(c: Ctx): void {
  const k = c.k;
  if (k.machine.mmu === "radix") k.printk.prInfo("radix-mmu: Initializing Radix MMU\n", 0);
  else {
    k.printk.prInfo("Using 1TB segments\n", 0);
    k.printk.prInfo("hash-mmu: Initializing hash mmu with SLB\n", 0);
  }
}

/**
 * Models `cpu_ready_for_interrupts()` (setup_64.c, v6.2) on a POWER9 in
 * hypervisor mode: LPCR[AIL]=3, so interrupts are taken with relocation on
 * at 0xc000000000004000 + offset — the kernel's handlers run in virtual mode.
 * SIMPLIFICATION: the PACA's kernel MSR is not modelled (setKernelMsr stands for it).
 */
export function cpuReadyForInterrupts(cpu: Cpu): void {
  cpu.lpcr = (cpu.lpcr & ~LPCR_AIL_MASK) | LPCR_AIL_3;
}

/**
 * Models `early_setup()`: the device tree is scanned (the MMU's page sizes),
 * then `early_init_mmu()` on the boot CPU, then relocation on. These lines
 * come before start_kernel's banner, as on real PowerNV boots.
 */
export const earlySetup = kfunc(
  { name: "early_setup", file: "arch/powerpc/kernel/setup_64.c", init: true, size: 0x2d0 },
  function* (c: Ctx): KGen<void> {
    setKernelMsr(c.cpu, false);
    const ops = mmuBootOps(c.k);
    if (ops.earlyInitMmu !== undefined) {
      mmuEarlyInitDevtree(c);
      setupKup(c);
      yield* ops.earlyInitMmu(c);
      earlyInitMmuDone(c);
      setKernelMsr(c.cpu, true);
      cpuReadyForInterrupts(c.cpu);
    }
  },
);

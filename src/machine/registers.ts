/**
 * Register bit masks the machine needs, as value masks (bit 0 = least
 * significant), the way arch/powerpc/include/asm/reg.h writes them.
 * Sources: isa.md §14 (MSR), §15 (SRR1 reasons), §16 (DSISR).
 */

/** MSR bits (asm/reg.h `MSR_*`), split into the high and low 32-bit halves. */
export const MSR_HI_SF = 0x8000_0000;
export const MSR_HI_HV = 0x1000_0000;
export const MSR_S = 0x40_0000;
export const MSR_EE = 0x8000;
export const MSR_PR = 0x4000;
export const MSR_FP = 0x2000;
export const MSR_ME = 0x1000;
export const MSR_IR = 0x20;
export const MSR_DR = 0x10;
export const MSR_RI = 0x2;
export const MSR_LE = 0x1;

/** `MSR_KERNEL` for a little-endian book3s/64 kernel (isa.md §14). */
export const MSR_KERNEL = 0x9000_0000_0000_1033n;
/** `MSR_USER64` (isa.md §14). */
export const MSR_USER64 = 0x9000_0000_0000_d033n;

/**
 * SRR1 bits that are copied from the MSR on interrupt entry: the kernel's
 * `SRR1_MSR_BITS` = ~0x783F0000 (value bits 16..21 and 27..30 carry the cause).
 */
export const SRR1_CAUSE_MASK_LO = 0x783f_0000;

/** Program interrupt reasons in SRR1 (isa.md §15). */
export const SRR1_PROGTM = 0x0020_0000;
export const SRR1_PROGFPE = 0x0010_0000;
export const SRR1_PROGILL = 0x0008_0000;
export const SRR1_PROGPRIV = 0x0004_0000;
export const SRR1_PROGTRAP = 0x0002_0000;
export const SRR1_PROGADDR = 0x0001_0000;

/** Instruction storage interrupt causes in SRR1 (isa.md §15). */
export const SRR1_ISI_NOPT = 0x4000_0000;
export const SRR1_ISI_N_G_OR_CIP = 0x1000_0000;
export const SRR1_ISI_PROT = 0x0800_0000;

/** DSISR bits for a Radix data storage interrupt (isa.md §16). */
export const DSISR_NOHPTE = 0x4000_0000;
export const DSISR_ATTR_CONFLICT = 0x2000_0000;
export const DSISR_PROTFAULT = 0x0800_0000;
export const DSISR_BADACCESS = 0x0400_0000;
export const DSISR_ISSTORE = 0x0200_0000;
export const DSISR_KEYFAULT = 0x0020_0000;
export const DSISR_UNSUPP_MMU = 0x0008_0000;
export const DSISR_PRTABLE_FAULT = 0x0002_0000;

/**
 * LPCR fields used on interrupt entry (asm/reg.h): AIL (alternate interrupt
 * location, value bits 23..24) and ILE (interrupt little-endian, value bit 25).
 */
export const LPCR_AIL_SHIFT = 23;
export const LPCR_AIL_MASK = 0x0180_0000n;
/** LPCR[AIL]=3: interrupts with relocation on, at 0xc000000000004000 + offset. */
export const LPCR_AIL_3 = 0x0180_0000n;
export const LPCR_ILE = 0x0200_0000n;
/** LPCR[HR]: the host uses Radix translation. */
export const LPCR_HR = 0x0010_0000n;

/** Interrupt vector offsets (isa.md §15). */
export const VEC = {
  SYSTEM_RESET: 0x100,
  MACHINE_CHECK: 0x200,
  DATA_STORAGE: 0x300,
  DATA_SEGMENT: 0x380,
  INST_STORAGE: 0x400,
  INST_SEGMENT: 0x480,
  EXTERNAL: 0x500,
  ALIGNMENT: 0x600,
  PROGRAM: 0x700,
  FP_UNAVAILABLE: 0x800,
  DECREMENTER: 0x900,
  SYSTEM_CALL: 0xc00,
  TRACE: 0xd00,
  HV_EMU_ASSIST: 0xe40,
} as const;

/** With LPCR[AIL]=3 and IR=DR=1, interrupts go to this base + offset, relocated (isa.md §15). */
export const AIL3_BASE = 0xc000_0000_0000_4000n;
/** LPCR[AIL]=2: base 0x18000 (relocated, real offset). */
export const AIL2_BASE = 0x1_8000n;

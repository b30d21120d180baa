/**
 * The architected Radix table formats (Power ISA v3.0/3.1 Book III "Radix
 * Tree Translation"; mm-primitives.md §2-3; field masks as QEMU's
 * target/ppc/mmu-book3s-v3.h and mmu-radix64.h name them). All entries are
 * big-endian doublewords in memory. Masks are value masks (bit 0 = LSB).
 */

/** PTCR: partition-table base (4 KiB aligned) and size, 2^(12+PATS) bytes. */
export const PTCR_PATB = 0x0fff_ffff_ffff_f000n;
export const PTCR_PATS = 0x1fn;

/** Partition-table entry doubleword 0: HR (host radix), RTS, RPDB, RPDS. */
export const PATE0_HR = 0x8000_0000_0000_0000n;
/** Partition-table entry doubleword 1: process-table base, size 2^(12+PRTS), GR. */
export const PATE1_GR = 0x8000_0000_0000_0000n;
export const PATE1_PRTB = 0x0fff_ffff_ffff_f000n;
export const PATE1_PRTS = 0x1fn;

/** Root of a tree (process-table dw0 / PATE dw0): RTS split in two, base, size. */
export const RTS1 = 0x6000_0000_0000_0000n;
export const RTS2 = 0x0000_0000_0000_00e0n;
export const RPDB = 0x0fff_ffff_ffff_ff00n;
export const RPDS = 0x1fn;

/** The kernel's RTS for a 52-bit tree (mm-primitives.md §3.3). */
export const RADIX_RTS_52 = 0x4000_0000_0000_00a0n;

/** Directory entry: V, next-level base, next-level size (log2 entries). */
export const PDE_V = 0x8000_0000_0000_0000n;
export const PDE_NLB = 0x0fff_ffff_ffff_ff00n;
export const PDE_NLS = 0x1fn;

/** Leaf entry bits (mm-primitives.md §3.1: `_PAGE_*`). */
export const PTE_V = 0x8000_0000_0000_0000n;
export const PTE_L = 0x4000_0000_0000_0000n;
export const PTE_SW0 = 0x2000_0000_0000_0000n;
/** Real page number as the ISA defines it (bits 7:51). */
export const PTE_RPN = 0x01ff_ffff_ffff_f000n;
export const PTE_R = 0x100n;
export const PTE_C = 0x80n;
export const PTE_ATT = 0x30n;
/** ATT = 0b10: non-idempotent I/O (treated as guarded for instruction fetch). */
export const PTE_ATT_NI_IO = 0x20n;
/**
 * ATT, R and C as bits of a leaf's low word (a number): the walker and the TLB
 * keep the low word apart, and every access checks these.
 */
export const PTE_ATT_LO = Number(PTE_ATT);
export const PTE_ATT_NI_IO_LO = Number(PTE_ATT_NI_IO);
export const PTE_R_LO = Number(PTE_R);
export const PTE_C_LO = Number(PTE_C);
/** Encoded access authority (EAA), low nibble: privileged, read, read/write, execute. */
export const EAA_PRIV = 0x8;
export const EAA_READ = 0x4;
export const EAA_RW = 0x2;
export const EAA_EXEC = 0x1;

/** `PAGE_KERNEL` etc. (mm-primitives.md §3.1), without `_PAGE_PTE`. */
export const PAGE_KERNEL = 0x8000_0000_0000_018en;
export const PAGE_KERNEL_X = 0x8000_0000_0000_018fn;
export const PAGE_KERNEL_RO = 0x8000_0000_0000_010cn;
export const PAGE_KERNEL_ROX = 0x8000_0000_0000_010dn;

/** EA bits 0:1 select the quadrant; bits 2:11 must be zero (else a segment interrupt). */
export const EA_QUADRANT_MASK = 0xc000_0000_0000_0000n;
export const EA_VALID_MASK = 0xc00f_ffff_ffff_ffffn;
export const EA_NO_QUADRANT = 0x3fff_ffff_ffff_ffffn;

/** Tree size in address bits encoded by RTS (value = RTS + 31). */
export function rtsBits(root: bigint): number {
  return Number(((root >> 58n) & 0x18n) | ((root >> 5n) & 7n)) + 31;
}

/** Encode a tree size in address bits as the RTS fields of a root entry. */
export function rtsEncode(bits: number): bigint {
  const v = BigInt(bits - 31);
  return ((v >> 3n) << 61n) | ((v & 7n) << 5n);
}

/** Radix AP (actual page size) codes used by tlbie/tlbiel (mm-primitives.md §1, isa.md §12). */
export const AP_BY_SHIFT: ReadonlyMap<number, number> = new Map([
  [12, 0],
  [16, 5],
  [21, 1],
  [30, 2],
]);
export const SHIFT_BY_AP: ReadonlyMap<number, number> = new Map([
  [0, 12],
  [5, 16],
  [1, 21],
  [2, 30],
]);

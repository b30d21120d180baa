/**
 * The kernel image layout facts of arch/powerpc/kernel/vmlinux.lds.S (ppc64,
 * book3s) and the fixed interrupt-vector sections of head_64.S /
 * exceptions-64s.S, at v6.2. The image builder (src/linux/image) follows them.
 *
 * Order: `.head.text` (`_text` = `_stext`, the fixed vector sections up to
 * `__head_end`), `.text`, `_etext` (page aligned), RO_DATA (`__start_rodata`
 * … `__end_rodata`), then STRICT_ALIGN_SIZE alignment and `__init_begin`,
 * `.init.text` (`_sinittext` … `_einittext`), init data, `__init_end`, then
 * `_sdata`, the TOC (`.got`/`.toc`), `.data`, `_edata`, `.bss`
 * (`__bss_start` … `__bss_stop`) and `_end`.
 */

/** `PAGE_OFFSET` (= `KERNELBASE` on ppc64): the linear map, where the kernel runs. */
export const PAGE_OFFSET = 0xc000_0000_0000_0000n;

/** `__pa()` of a linear-map address. */
export function __pa(va: bigint): number {
  return Number(va - PAGE_OFFSET);
}

/** `__va()` of a physical address. */
export function __va(pa: number): bigint {
  return PAGE_OFFSET + BigInt(pa);
}

/**
 * The fixed sections of head_64.S on book3s64 (OPEN_FIXED_SECTION): `first`
 * 0x0–0x100, `real_vectors` 0x100–0x1900, `real_trampolines` 0x1900–0x4000,
 * `virt_vectors` 0x4000–0x5900, `virt_trampolines` 0x5900–0x7000 and, for
 * pSeries/PowerNV, `fwnmi_page` 0x7000–0x8000: `__head_end` = `_stext` + 0x8000.
 */
export const HEAD_SIZE = 0x8000;
export const START_INTERRUPTS = 0x100;
export const END_INTERRUPTS = 0x7000;

/** The architected interrupt vectors (real-mode offsets) that head_64.S fills. */
export const INTERRUPT_VECTORS: readonly number[] = [
  0x100, 0x200, 0x300, 0x380, 0x400, 0x480, 0x500, 0x600, 0x700, 0x800, 0x900, 0x980, 0xa00, 0xb00,
  0xc00, 0xd00, 0xe00, 0xe20, 0xe40, 0xe60, 0xe80, 0xea0, 0xf00, 0xf20, 0xf40, 0xf60, 0x1000,
  0x1100, 0x1200, 0x1300, 0x1400, 0x1500, 0x1600, 0x1700, 0x1800,
];

/**
 * `STRICT_ALIGN_SIZE` = 1 << CONFIG_DATA_SHIFT; DATA_SHIFT defaults to 24 on
 * ppc64 with STRICT_KERNEL_RWX (16 MiB), else PAGE_SHIFT.
 */
export function strictAlignSize(strictKernelRwx: boolean, pageSize: number): number {
  return strictKernelRwx ? 1 << 24 : pageSize;
}

/** The TOC pointer is `.TOC.` = start of the TOC (`.got`) + 0x8000 (ELFv2 ABI). */
export const TOC_BIAS = 0x8000n;

/** `PGD_TABLE_SIZE` on Radix: 2^13 entries of 8 bytes (radix-64k.h / radix-4k.h). */
export const RADIX_PGD_TABLE_SIZE = 8 << 13;

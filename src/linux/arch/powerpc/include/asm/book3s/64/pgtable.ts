/**
 * Page-table entry bits, protections, predicates and the Radix geometry of
 * ppc64 book3s. Models the constants and pure inlines of
 * arch/powerpc/include/asm/book3s/64/pgtable.h, radix.h, radix-64k.h and
 * radix-4k.h at v6.2 (mm-primitives.md §1-4). Entries are plain bigints in
 * CPU byte order; they are stored big-endian in memory by the callers.
 *
 * Split from the header's operations (pte_update, __set_pte_at, ...), which
 * live in pte-update.ts and set-pte.ts so that nothing here touches memory.
 */

import { Last } from "../../../../../../../util/last.ts";

export const _PAGE_PRESENT = 0x8000_0000_0000_0000n;
export const _PAGE_PTE = 0x4000_0000_0000_0000n;
export const _PAGE_INVALID = 0x2000_0000_0000_0000n;
export const _PAGE_DEVMAP = 0x800n;
export const _PAGE_SPECIAL = 0x400n;
export const _PAGE_SOFT_DIRTY = 0x200n;
export const _PAGE_ACCESSED = 0x100n;
export const _PAGE_DIRTY = 0x080n;
export const _PAGE_TOLERANT = 0x030n;
export const _PAGE_NON_IDEMPOTENT = 0x020n;
export const _PAGE_SAO = 0x010n;
export const _PAGE_PRIVILEGED = 0x008n;
export const _PAGE_READ = 0x004n;
export const _PAGE_WRITE = 0x002n;
export const _PAGE_EXEC = 0x001n;
export const _PAGE_RWX = _PAGE_READ | _PAGE_WRITE | _PAGE_EXEC;

/** `PAGE_KERNEL` and friends (without `_PAGE_PTE`, which `pfn_pte` adds). */
export const PAGE_KERNEL = 0x8000_0000_0000_018en;
export const PAGE_KERNEL_X = 0x8000_0000_0000_018fn;
export const PAGE_KERNEL_RO = 0x8000_0000_0000_010cn;
export const PAGE_KERNEL_ROX = 0x8000_0000_0000_010dn;

/** `PTE_RPN_MASK` before the page mask: bits below 2^53. */
const PTE_RPN_BITS = (1n << 53n) - 1n;
/** A directory entry's flag bits (`~PMD_MASKED_BITS`-style: 0xc0000000000000ff). */
export const PD_FLAG_MASK = 0xc000_0000_0000_00ffn;
const PD_TABLE_MASK = ~PD_FLAG_MASK;

/** `PAGE_OFFSET` on book3s64: the linear map base. */
export const PAGE_OFFSET = 0xc000_0000_0000_0000n;
/** `KERN_VIRT_START` / `VMALLOC_START` / `VMALLOC_END` for Radix (§4). */
export const VMALLOC_START = 0xc008_0000_0000_0000n;
export const VMALLOC_END = 0xc00a_0000_0000_0000n;
export const IOREMAP_BASE = 0xc00a_0000_0000_0000n;
export const VMEMMAP_BASE = 0xc00c_0000_0000_0000n;

/** `MMU_NO_CONTEXT`: `context.id` of an mm without a PID. */
export const MMU_NO_CONTEXT = -1;

/**
 * The Radix table geometry for one base page size (radix-64k.h / radix-4k.h):
 * index bits per level, the shifts, and the byte size of each table.
 */
export interface Geometry {
  readonly pageShift: 12 | 16;
  readonly pageSize: number;
  readonly pteIndexSize: number;
  readonly pmdIndexSize: number;
  readonly pudIndexSize: number;
  readonly pgdIndexSize: number;
  readonly pmdShift: number;
  readonly pudShift: number;
  readonly pgdirShift: number;
  /** Table sizes in bytes (`PTE_TABLE_SIZE` = 8 << index size, ...). */
  readonly pteTableSize: number;
  readonly pmdTableSize: number;
  readonly pudTableSize: number;
  readonly pgdTableSize: number;
  /** `PTE_FRAG_NR` / `PMD_FRAG_NR`: table fragments per page. */
  readonly pteFragNr: number;
  readonly pmdFragNr: number;
  /** `mmu_psize_defs[mmu_virtual_psize].ap`: the tlbie AP code of the base page. */
  readonly ap: number;
}

/** By page shift (an array: geometry() is on every page-table walk). */
const GEOMETRIES: (Geometry | undefined)[] = [];

/** The geometry for PAGE_SHIFT 16 (64K pages) or 12 (4K pages). */
export function geometry(pageShift: 12 | 16): Geometry {
  let g = GEOMETRIES[pageShift];
  if (g !== undefined) return g;
  const pageSize = 2 ** pageShift;
  const pteIndexSize = pageShift === 16 ? 5 : 9;
  const pmdIndexSize = 9;
  const pudIndexSize = 9;
  const pgdIndexSize = 13;
  const pteTableSize = 8 << pteIndexSize;
  const pmdTableSize = 8 << pmdIndexSize;
  g = {
    pageShift,
    pageSize,
    pteIndexSize,
    pmdIndexSize,
    pudIndexSize,
    pgdIndexSize,
    pmdShift: pageShift + pteIndexSize,
    pudShift: pageShift + pteIndexSize + pmdIndexSize,
    pgdirShift: pageShift + pteIndexSize + pmdIndexSize + pudIndexSize,
    pteTableSize,
    pmdTableSize,
    pudTableSize: 8 << pudIndexSize,
    pgdTableSize: 8 << pgdIndexSize,
    pteFragNr: pageSize / pteTableSize,
    pmdFragNr: pageSize / pmdTableSize,
    ap: pageShift === 16 ? 5 : 0,
  };
  GEOMETRIES[pageShift] = g;
  return g;
}

/** BigInt(n) for n = 0..64 (shift counts on hot paths). */
const BIG: readonly bigint[] = Array.from({ length: 65 }, (_, n) => BigInt(n));

/**
 * The last address split into 32-bit words: a walk asks for up to four
 * indices of the same address, and splitting once costs two bigint
 * operations instead of two per index.
 */
const split = { ea: 0n, hi: 0, lo: 0 };

/** The index of `ea` in a table of 2^bits entries (bits <= 30) mapping 2^shift bytes each. */
function index(ea: bigint, shift: number, bits: number): number {
  const sp = split;
  if (ea !== sp.ea) {
    const u = ea < 0n ? BigInt.asUintN(64, ea) : ea;
    sp.hi = Number(u >> 32n);
    sp.lo = Number(u & 0xffff_ffffn);
    sp.ea = ea;
  }
  const mask = (1 << bits) - 1;
  if (shift >= 32) return (sp.hi >>> (shift - 32)) & mask;
  if (shift + bits <= 32) return (sp.lo >>> shift) & mask;
  return ((sp.lo >>> shift) | (sp.hi << (32 - shift))) & mask;
}

/** Models `pgd_index()`. */
export function pgdIndex(g: Geometry, ea: bigint): number {
  return index(ea, g.pgdirShift, g.pgdIndexSize);
}
/** Models `pud_index()`. */
export function pudIndex(g: Geometry, ea: bigint): number {
  return index(ea, g.pudShift, g.pudIndexSize);
}
/** Models `pmd_index()`. */
export function pmdIndex(g: Geometry, ea: bigint): number {
  return index(ea, g.pmdShift, g.pmdIndexSize);
}
/** Models `pte_index()`. */
export function pteIndex(g: Geometry, ea: bigint): number {
  return index(ea, g.pageShift, g.pteIndexSize);
}

/** Models `__pa()` for a linear-map address (a JS number: RAM is small). */
export function __pa(va: bigint): number {
  return Number(va - PAGE_OFFSET);
}
/** Models `__va()`. */
export function __va(pa: number): bigint {
  return PAGE_OFFSET + BigInt(pa);
}

/** Models `pfn_pte(pfn, prot)` (without the DEBUG_VM BUG_ONs, see pfnPteChecked). */
export function pfnPte(g: Geometry, pfn: bigint, prot: bigint): bigint {
  if (PFN_PTE.has(pfn, g.pageShift, prot)) return PFN_PTE.value;
  return PFN_PTE.set(pfn, g.pageShift, prot, (pfn << BIG[g.pageShift]!) | prot | _PAGE_PTE);
}
const PFN_PTE = new Last(0n);

/** `PTE_RPN_MASK`: the physical page bits of a leaf. */
export function pteRpnMask(g: Geometry): bigint {
  return PTE_RPN_BITS & ~(BigInt(g.pageSize) - 1n);
}

/** Models `pte_pfn()`. */
export function ptePfn(g: Geometry, pte: bigint): bigint {
  return (pte & pteRpnMask(g)) >> BIG[g.pageShift]!;
}

/** Models `pte_none()` (Radix): empty apart from R/C bits written back by the MMU. */
export function pteNone(pte: bigint): boolean {
  return (pte & ~(_PAGE_DIRTY | _PAGE_ACCESSED)) === 0n;
}
/** Models `pte_hw_valid()`. */
export function pteHwValid(pte: bigint): boolean {
  return (pte & (_PAGE_PRESENT | _PAGE_PTE)) === (_PAGE_PRESENT | _PAGE_PTE);
}
/** Models `pte_present()`. */
export function ptePresent(pte: bigint): boolean {
  if (pteHwValid(pte)) return true;
  return (pte & (_PAGE_INVALID | _PAGE_PTE)) === (_PAGE_INVALID | _PAGE_PTE);
}
/** Models `pte_protnone()` (NUMA balancing's PROT_NONE: present, not privileged, no RWX). */
export function pteProtnone(pte: bigint): boolean {
  return (
    (pte & (_PAGE_PRESENT | _PAGE_PTE | _PAGE_RWX)) === (_PAGE_PRESENT | _PAGE_PTE) &&
    (pte & _PAGE_PRIVILEGED) === 0n
  );
}
/** Models `pmd_none()` / `pud_none()` / `p4d_none()` / `pgd_none()`: raw value 0. */
export function pdNone(entry: bigint): boolean {
  return entry === 0n;
}
/** Models `pmd_present()`: PRESENT or INVALID. */
export function pmdPresent(pmd: bigint): boolean {
  return (pmd & (_PAGE_PRESENT | _PAGE_INVALID)) !== 0n;
}
/** Models `pud_present()` / `p4d_present()`. */
export function pudPresent(pud: bigint): boolean {
  return (pud & _PAGE_PRESENT) !== 0n;
}
/** Models `pmd_is_leaf()` / `pud_is_leaf()`: a huge-page leaf has `_PAGE_PTE`. */
export function pdIsLeaf(entry: bigint): boolean {
  return hasPteBit(entry);
}

/**
 * `(v & _PAGE_PTE) != 0` for an entry value: bit 62 of an unsigned 64-bit
 * value is set in [2^62, 2^63) and in [3 * 2^62, 2^64). Asked by comparisons,
 * which allocate nothing (a BigInt `&` does; util/last.ts has the costs).
 */
export function hasPteBit(v: bigint): boolean {
  if (v < 0n || v > U64_MAX) return (v & _PAGE_PTE) !== 0n;
  return v >= BIT62_AGAIN ? true : v >= _PAGE_PTE && v < _PAGE_PRESENT;
}
const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** _PAGE_PRESENT | _PAGE_PTE: from here up, bit 62 is set again. */
const BIT62_AGAIN = 0xc000_0000_0000_0000n;

/**
 * A directory entry pointing at the next-level table (`pgd_populate`,
 * `pud_populate`, `pmd_populate`): PRESENT | physical address | NLS, where
 * NLS is log2 of the next table's entry count (§3.2).
 */
export function mkDirEntry(tablePa: number, nextIndexSize: number): bigint {
  return _PAGE_PRESENT | BigInt(tablePa) | BigInt(nextIndexSize);
}
/** The physical address of the table a directory entry points to (`*_pgtable`, `pmd_page_vaddr`). */
export function dirEntryTable(entry: bigint): number {
  return Number(entry & PD_TABLE_MASK);
}

/** The process-table `prtb0` the kernel writes for a PGD (§3.3): RTS | pa | RPDS(13). */
export const RADIX_RTS_FIELD = 0x4000_0000_0000_00a0n;
export function prtb0For(pgdPa: number, pgdIndexSize: number): bigint {
  return RADIX_RTS_FIELD | BigInt(pgdPa) | BigInt(pgdIndexSize);
}

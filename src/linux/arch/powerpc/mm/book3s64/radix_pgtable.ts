/**
 * The Radix kernel page tables and MMU setup (arch/powerpc/mm/book3s64/radix_pgtable.c
 * at v6.2; mm-primitives.md §3.3, §15, §16): the process and partition
 * tables, init_mm's linear map of RAM (largest of 1 GiB / 2 MiB / base pages
 * per step, split at `__init_begin` under STRICT_KERNEL_RWX, kernel text and
 * vectors executable), the guard PID, `__map_kernel_page`, the per-CPU MMU
 * registers (`radix__early_init_mmu[_secondary]`, `radix__switch_mmu_context`)
 * and `radix__mark_rodata_ro` / `radix__mark_initmem_nx`.
 */
import type { Cpu } from "../../../../../machine/cpu.ts";
import { LPCR_HR } from "../../../../../machine/registers.ts";
import { isync, ptesync, switchPidr, tlbiel } from "../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../../core/kernel.ts";
import { kfunc } from "../../../../core/kfunc.ts";
import type { MmStruct } from "../../../../include/linux/mm_types.ts";
import { initMm } from "../../../../mm/init-mm.ts";
import {
  pgdOffset,
  pmdAlloc,
  pmdOffset,
  pteAllocKernel,
  pteOffsetKernel,
  pudAlloc,
  pudOffset,
  readEntry,
  writeEntry,
} from "../../../../mm/memory.ts";
import { memblockAlloc, slabIsAvailable } from "../../../../mm/page_alloc.ts";
import {
  __pa,
  __va,
  _PAGE_EXEC,
  _PAGE_WRITE,
  geometry,
  mkDirEntry,
  PAGE_KERNEL,
  PAGE_KERNEL_X,
  pdIsLeaf,
  pdNone,
  pfnPte,
  prtb0For,
} from "../../include/asm/book3s/64/pgtable.ts";
import { radix__pteUpdate } from "../../include/asm/book3s/64/pte-update.ts";
import { setPteAt } from "../pgtable.ts";
import { radix__flushTlbKernelRange } from "./radix_tlb.ts";

/** `PATB_SIZE_SHIFT`: a 64 KiB partition table. */
export const PATB_SIZE_SHIFT = 16;
/** `PATB_HR` / `PATB_GR`: host and guest use Radix. */
const PATB_HR = 0x8000_0000_0000_0000n;
const PATB_GR = 0x8000_0000_0000_0000n;
/** `LPCR_UPRT`: use the process table. */
export const LPCR_UPRT = 0x40_0000n;

/** The MMU globals of radix_pgtable.c and mmu_context.c. */
export interface RadixMmuState {
  /** `partition_tb` and `process_tb`, physical; -1 before setup. */
  partitionTb: number;
  processTb: number;
  /** `mmu_pid_bits`: 20 on POWER9 bare metal. */
  mmuPidBits: number;
  /** `mmu_base_pid`: the first PID handed to new mms (after the guard PID). */
  mmuBasePid: number;
  /** Boot-log lines of the linear map ("Mapped 0x...-0x... with 2.00 MiB pages (exec)"). */
  readonly mapped: string[];
}

const RADIX = defineSlot(
  "radix-mmu",
  (): RadixMmuState => ({
    partitionTb: -1,
    processTb: -1,
    mmuPidBits: 20,
    mmuBasePid: 1,
    mapped: [],
  }),
);

/** The Radix MMU globals (process table address, PID range). */
export function radixMmu(k: Kernel): RadixMmuState {
  return k.slot(RADIX);
}

/** `PRTB_SIZE_SHIFT`: 16 bytes per PID. */
export function prtbSizeShift(k: Kernel): number {
  return k.slot(RADIX).mmuPidBits + 4;
}

/** The physical address of `process_tb[pid].prtb0`. */
export function prtb0Addr(k: Kernel, pid: number): number {
  const s = k.slot(RADIX);
  if (s.processTb < 0) throw new Error("process table not set up");
  return s.processTb + 16 * pid;
}

/** `string_get_size(size, 1, STRING_UNITS_2)` for page sizes: "64.0 KiB", "2.00 MiB", "1.00 GiB". */
function sizeString(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let u = 0;
  let v = bytes;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${units[u]}`;
}

/**
 * Models `__map_kernel_page(ea, pa, flags, map_page_size, nid, start, end)`:
 * walk init_mm allocating what is missing — early, whole memblock pages;
 * later `pud_alloc`/`pmd_alloc`/`pte_alloc_kernel` — then set the leaf at
 * the level that maps `mapPageSize` and `ptesync`. Returns 0 or -ENOMEM.
 */
export function* __mapKernelPage(
  c: Ctx,
  ea: bigint,
  pa: number,
  prot: bigint,
  mapPageSize: number,
): KGen<number> {
  const k = c.k;
  const g = geometry(k.config.pageShift);
  const mm = initMm(k);
  const pte = pfnPte(g, BigInt(pa) >> BigInt(g.pageShift), prot);
  let leaf: number | null;
  if (!slabIsAvailable(k)) {
    // early_map_kernel_page(): memblock tables, no locks, no accounting.
    const pgd = pgdOffset(c, mm, ea);
    const pud = yield* earlyLevel(c, pgd, ea, g.pudTableSize, g.pudIndexSize, pudOffset);
    if (mapPageSize === 2 ** g.pudShift) leaf = pud;
    else {
      const pmd = yield* earlyLevel(c, pud, ea, g.pmdTableSize, g.pmdIndexSize, pmdOffset);
      if (mapPageSize === 2 ** g.pmdShift) leaf = pmd;
      else leaf = yield* earlyLevel(c, pmd, ea, g.pteTableSize, g.pteIndexSize, pteOffsetKernel);
    }
    yield* writeEntry(c, leaf, pte);
  } else {
    const pud = yield* pudAlloc(c, mm, pgdOffset(c, mm, ea), ea);
    if (pud === null) return -12;
    if (mapPageSize === 2 ** g.pudShift) leaf = pud;
    else {
      const pmd = yield* pmdAlloc(c, mm, pud, ea);
      if (pmd === null) return -12;
      if (mapPageSize === 2 ** g.pmdShift) leaf = pmd;
      else {
        leaf = yield* pteAllocKernel(c, pmd, ea);
        if (leaf === null) return -12;
      }
    }
    yield* setPteAt(c, mm, ea, leaf, pte);
  }
  // The PTE must be visible to the table walker before it is used.
  yield* ptesync(k.machine, c.cpu);
  return 0;
}

/** One level of `early_map_kernel_page`: allocate the next table from memblock if missing. */
function* earlyLevel(
  c: Ctx,
  slot: number,
  ea: bigint,
  tableSize: number,
  indexSize: number,
  offset: (c: Pick<Ctx, "k">, entry: bigint, ea: bigint) => number,
): KGen<number> {
  let v = yield* readEntry(c, slot);
  if (pdNone(v)) {
    const table = memblockAlloc(c.k, tableSize);
    v = mkDirEntry(table, indexSize);
    yield* writeEntry(c, slot, v);
  }
  return offset(c, v, ea);
}

/** Models `radix__map_kernel_page(ea, pa, flags, PAGE_SIZE)`. */
export const radix__mapKernelPage = kfunc(
  { name: "radix__map_kernel_page", file: "arch/powerpc/mm/book3s64/radix_pgtable.c", size: 0x2a0 },
  function* (c: Ctx, ea: bigint, pa: number, prot: bigint): KGen<number> {
    return yield* __mapKernelPage(c, ea, pa, prot, c.k.config.pageSize);
  },
);

/** Does [start, end) overlap kernel text (`_stext` .. `__init_end`) or the interrupt vectors? */
function overlapsExec(k: Kernel, start: bigint, end: bigint): boolean {
  const img = k.image;
  if (img === undefined) return false;
  const text = start < img.initEnd && img.stext < end;
  // The vectors sit at the start of the image (0 .. __end_interrupts), inside _stext here.
  return text;
}

/**
 * Models `create_physical_mapping(start, end, ...)`: the linear map of one
 * RAM range, with the boot-log lines `print_mapping` prints.
 */
function* createPhysicalMapping(c: Ctx, start: number, end: number): KGen<number> {
  const k = c.k;
  const g = geometry(k.config.pageShift);
  const pudSize = 2 ** g.pudShift;
  const pmdSize = 2 ** g.pmdShift;
  const img = k.image;
  const boundary =
    img !== undefined && k.config.bool("STRICT_KERNEL_RWX") ? __pa(img.initBegin) : -1;
  const st = k.slot(RADIX);
  let mapStart = start;
  let mappingSize = 0;
  let exec = false;
  let addr = start;
  const print = (from: number, to: number, size: number, x: boolean) => {
    if (from >= to) return;
    const line = `Mapped 0x${from.toString(16).padStart(16, "0")}-0x${to.toString(16).padStart(16, "0")} with ${sizeString(size)} pages${x ? " (exec)" : ""}`;
    st.mapped.push(line);
    k.printk.prInfo(`radix-mmu: ${line}\n`, c.current.pid);
  };
  for (; addr < end; addr += mappingSize) {
    const next = boundary > addr ? Math.min(boundary, end) : end;
    const gap = next - addr;
    const previousSize = mappingSize;
    const prevExec: boolean = exec;
    if (addr % pudSize === 0 && gap >= pudSize) mappingSize = pudSize;
    else if (addr % pmdSize === 0 && gap >= pmdSize) mappingSize = pmdSize;
    else mappingSize = g.pageSize;
    const vaddr = __va(addr);
    exec = overlapsExec(k, vaddr, vaddr + BigInt(mappingSize));
    if (mappingSize !== previousSize || exec !== prevExec) {
      print(mapStart, addr, previousSize, prevExec);
      mapStart = addr;
    }
    const rc = yield* __mapKernelPage(
      c,
      vaddr,
      addr,
      exec ? PAGE_KERNEL_X : PAGE_KERNEL,
      mappingSize,
    );
    if (rc !== 0) return rc;
  }
  print(mapStart, addr, mappingSize, exec);
  return 0;
}

/** Models `radix__switch_mmu_context(prev, next)`: `mtspr PIDR` then `isync`. */
export function* radix__switchMmuContext(c: Ctx, next: MmStruct): KGen<void> {
  yield* switchPidr(c.k.machine, c.cpu, next.context.id);
  yield* isync(c.k.machine, c.cpu);
}

/**
 * Models `radix__tlbiel_all(TLB_INVAL_SCOPE_GLOBAL)` as POWER9 does it at
 * boot: every set, partition- and process-scoped, RIC=2, then ptesync.
 * SIMPLIFICATION: one IS=3 tlbiel per scope (the model's TLB has no sets).
 */
function* tlbielAll(c: Ctx): KGen<void> {
  const m = c.k.machine;
  yield* tlbiel(m, c.cpu, 0xc00n, 0n, 2, false, true);
  yield* tlbiel(m, c.cpu, 0xc00n, 0n, 2, true, true);
  yield* ptesync(m, c.cpu);
}

/** Sets LPCR[UPRT|HR], PTCR and clears LPIDR: the bare-metal host's partition setup. */
function setHostRegisters(k: Kernel, cpu: Cpu): void {
  const st = k.slot(RADIX);
  cpu.lpcr = cpu.lpcr | LPCR_UPRT | LPCR_HR;
  cpu.ptcr = BigInt(st.partitionTb) | BigInt(PATB_SIZE_SHIFT - 12);
  cpu.lpidr = 0;
}

/**
 * Models `radix__early_init_mmu()` → `radix_init_pgtable()` and
 * `radix_init_partition_table()` on the boot CPU: map RAM in init_mm,
 * allocate the process table (2^(mmu_pid_bits+4) bytes) with PID 0 →
 * init_mm's PGD, give init_mm the guard PID, allocate the partition table
 * (entry 0 = the host), set LPCR/PTCR/LPIDR, switch PIDR to the guard PID
 * and flush this CPU's TLB.
 */
export const radix__earlyInitMmu = kfunc(
  {
    name: "radix__early_init_mmu",
    file: "arch/powerpc/mm/book3s64/radix_pgtable.c",
    size: 0x3e0,
    init: true,
  },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    const g = geometry(k.config.pageShift);
    const st = k.slot(RADIX);
    const mm = initMm(k);
    // radix_init_pgtable(): the linear map of all RAM.
    const ram = k.machine.mem.size;
    const rc = yield* createPhysicalMapping(c, 0, ram - (ram % g.pageSize));
    if (rc !== 0) throw new Error("radix: linear map failed");
    st.processTb = memblockAlloc(k, 2 ** prtbSizeShift(k));
    yield* writeEntry(c, prtb0Addr(k, 0), prtb0For(mm.pgd, g.pgdIndexSize));
    // The guard PID: no page table, so quadrant-0 accesses with init_mm active fault.
    mm.context.id = st.mmuBasePid;
    st.mmuBasePid++;
    // radix_init_partition_table()
    st.partitionTb = memblockAlloc(k, 2 ** PATB_SIZE_SHIFT);
    yield* writeEntry(c, st.partitionTb, prtb0For(mm.pgd, g.pgdIndexSize) | PATB_HR);
    yield* writeEntry(
      c,
      st.partitionTb + 8,
      BigInt(st.processTb) | BigInt(prtbSizeShift(k) - 12) | PATB_GR,
    );
    yield* ptesync(k.machine, c.cpu);
    setHostRegisters(k, c.cpu);
    yield* radix__switchMmuContext(c, mm);
    yield* tlbielAll(c);
  },
);

/**
 * Models `radix__early_init_mmu_secondary()`: what a secondary CPU does at
 * start — LPCR[UPRT|HR], PTCR, PIDR = init_mm's guard PID (+ isync), and a
 * full local TLB flush.
 */
export const radix__earlyInitMmuSecondary = kfunc(
  {
    name: "radix__early_init_mmu_secondary",
    file: "arch/powerpc/mm/book3s64/radix_pgtable.c",
    size: 0xc0,
  },
  function* (c: Ctx): KGen<void> {
    setHostRegisters(c.k, c.cpu);
    yield* radix__switchMmuContext(c, initMm(c.k));
    yield* tlbielAll(c);
  },
);

/**
 * Models `radix__change_memory_range(start, end, clear)`: clear `clear` on
 * every init_mm leaf (PTE, or a 2M/1G leaf) covering [start, end), page by
 * page, then flush the kernel PID everywhere.
 */
function* radix__changeMemoryRange(c: Ctx, start: bigint, end: bigint, clear: bigint): KGen<void> {
  const k = c.k;
  const g = geometry(k.config.pageShift);
  const ps = BigInt(g.pageSize);
  const mm = initMm(k);
  start = start - (start % ps);
  end = end % ps === 0n ? end : end + ps - (end % ps);
  for (let idx = start; idx < end; idx += ps) {
    const pud = yield* pudAlloc(c, mm, pgdOffset(c, mm, idx), idx);
    if (pud === null) continue;
    let ptep: number | null;
    if (pdIsLeaf(yield* readEntry(c, pud))) ptep = pud;
    else {
      const pmd = yield* pmdAlloc(c, mm, pud, idx);
      if (pmd === null) continue;
      if (pdIsLeaf(yield* readEntry(c, pmd))) ptep = pmd;
      else ptep = yield* pteAllocKernel(c, pmd, idx);
    }
    if (ptep === null) continue;
    yield* radix__pteUpdate(c, mm, idx, ptep, clear, 0n, false);
  }
  yield* radix__flushTlbKernelRange(c, start, end);
}

/** Models `radix__mark_rodata_ro()`: kernel text and rodata (`_stext`..`__init_begin`) lose write. */
export const radix__markRodataRo = kfunc(
  { name: "radix__mark_rodata_ro", file: "arch/powerpc/mm/book3s64/radix_pgtable.c", size: 0x60 },
  function* (c: Ctx): KGen<void> {
    const img = c.k.image;
    if (img === undefined) throw new Error("mark_rodata_ro without a kernel image");
    yield* radix__changeMemoryRange(c, img.stext, img.initBegin, _PAGE_WRITE);
  },
);

/** Models `radix__mark_initmem_nx()`: init text and data (`__init_begin`..`__init_end`) lose execute. */
export const radix__markInitmemNx = kfunc(
  { name: "radix__mark_initmem_nx", file: "arch/powerpc/mm/book3s64/radix_pgtable.c", size: 0x60 },
  function* (c: Ctx): KGen<void> {
    const img = c.k.image;
    if (img === undefined) throw new Error("mark_initmem_nx without a kernel image");
    yield* radix__changeMemoryRange(c, img.initBegin, img.initEnd, _PAGE_EXEC);
  },
);

/** The leaf entry and its level for a kernel address in init_mm (inspection helper, no steps). */
export function kernelLeaf(k: Kernel, ea: bigint): { pte: bigint; level: number } | null {
  const mm = initMm(k);
  const rd = (pa: number) => k.machine.mem.readBe64(pa);
  const kc = { k };
  const pgd = rd(pgdOffset(kc, mm, ea));
  if (pdNone(pgd)) return null;
  const pud = rd(pudOffset(kc, pgd, ea));
  if (pdNone(pud)) return null;
  if (pdIsLeaf(pud)) return { pte: pud, level: 1 };
  const pmd = rd(pmdOffset(kc, pud, ea));
  if (pdNone(pmd)) return null;
  if (pdIsLeaf(pmd)) return { pte: pmd, level: 2 };
  const pte = rd(pteOffsetKernel(kc, pmd, ea));
  return pdNone(pte) ? null : { pte, level: 3 };
}

/**
 * Kernel mappings with the Hash MMU (arch/powerpc/mm/book3s64/hash_pgtable.c,
 * hash_utils.c at v6.2), as far as the model needs them: `hash__map_kernel_page`
 * and the boot-time bolted linear map.
 * SIMPLIFICATION: the hashed page table is the machine's HashMmu (a map from
 * effective page to PTE); "bolting" an entry is inserting it there. Before the
 * slab allocator is up no Linux page table is kept for the entry, as in the
 * kernel (htab_bolt_mapping only).
 */
import { OpKind } from "../../../../../machine/ops.ts";
import { tlbie, visible } from "../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import { kfunc } from "../../../../core/kfunc.ts";
import { initMm } from "../../../../mm/init-mm.ts";
import { pgdOffset, pmdAlloc, pteAllocKernel, pudAlloc } from "../../../../mm/memory.ts";
import { slabIsAvailable } from "../../../../mm/page_alloc.ts";
import {
  geometry,
  PAGE_KERNEL,
  PAGE_KERNEL_ROX,
  PAGE_KERNEL_X,
  pfnPte,
} from "../../include/asm/book3s/64/pgtable.ts";
import { setPteAt } from "../pgtable.ts";
import { apOf } from "./radix_tlb.ts";

/** Models `hash__map_kernel_page(ea, pa, prot)`: 0 or -ENOMEM. */
export const hash__mapKernelPage = kfunc(
  { name: "hash__map_kernel_page", file: "arch/powerpc/mm/book3s64/hash_pgtable.c", size: 0x200 },
  function* (c: Ctx, ea: bigint, pa: number, prot: bigint): KGen<number> {
    const k = c.k;
    const g = geometry(k.config.pageShift);
    if (slabIsAvailable(k)) {
      const mm = initMm(k);
      const pud = yield* pudAlloc(c, mm, pgdOffset(c, mm, ea), ea);
      if (pud === null) return -12;
      const pmd = yield* pmdAlloc(c, mm, pud, ea);
      if (pmd === null) return -12;
      const ptep = yield* pteAllocKernel(c, pmd, ea);
      if (ptep === null) return -12;
      yield* setPteAt(c, mm, ea, ptep, pfnPte(g, BigInt(pa) >> BigInt(g.pageShift), prot));
    } else {
      // htab_bolt_mapping(): straight into the hash table.
      const ea52 = Number(ea & 0x3fff_ffff_ffff_ffffn);
      k.machine.hash.insert(
        0,
        ea52,
        g.pageShift,
        pfnPte(g, BigInt(pa) >> BigInt(g.pageShift), prot),
      );
    }
    return 0;
  },
);

/**
 * Models `hash__early_init_mmu()`'s linear map (`htab_initialize` bolting
 * RAM at PAGE_OFFSET): base pages, text (and everything below
 * `__init_end`) executable.
 * SIMPLIFICATION: bolted with the base page size instead of 16M pages.
 */
export const hash__earlyInitMmu = kfunc(
  {
    name: "hash__early_init_mmu",
    file: "arch/powerpc/mm/book3s64/hash_utils.c",
    size: 0x300,
    init: true,
  },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    const g = geometry(k.config.pageShift);
    const initEnd = k.image === undefined ? 0 : Number(k.image.initEnd - 0xc000_0000_0000_0000n);
    const ram = k.machine.mem.size - (k.machine.mem.size % g.pageSize);
    for (let pa = 0; pa < ram; pa += g.pageSize) {
      const prot = pa < initEnd ? PAGE_KERNEL_X : PAGE_KERNEL;
      const ea52 = pa;
      k.machine.hash.insert(
        0,
        ea52,
        g.pageShift,
        pfnPte(g, BigInt(pa) >> BigInt(g.pageShift), prot),
      );
    }
    yield* visible(c.cpu, OpKind.OTHER, "htab_initialize");
  },
);

/**
 * Models `hash__mark_rodata_ro()`: the bolted linear-map entries of
 * `_stext`..`__init_begin` get PAGE_KERNEL_ROX protection
 * (`hash__change_memory_range` → `hpte_updateboltedpp`, which invalidates
 * each page's translation with a tlbie).
 */
export const hash__markRodataRo = kfunc(
  { name: "hash__mark_rodata_ro", file: "arch/powerpc/mm/book3s64/hash_pgtable.c", size: 0xa0 },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    const img = k.image;
    if (img === undefined) return;
    const g = geometry(k.config.pageShift);
    const ap = BigInt(apOf(g.pageShift)) << 5n;
    const start = Number(img.stext - 0xc000_0000_0000_0000n);
    const end = Number(img.initBegin - 0xc000_0000_0000_0000n);
    for (let pa = start - (start % g.pageSize); pa < end; pa += g.pageSize) {
      k.machine.hash.insert(
        0,
        pa,
        g.pageShift,
        pfnPte(g, BigInt(pa) >> BigInt(g.pageShift), PAGE_KERNEL_ROX),
      );
      yield* tlbie(k.machine, c.cpu, BigInt(pa) | ap, 0n, 0, false, false);
    }
  },
);

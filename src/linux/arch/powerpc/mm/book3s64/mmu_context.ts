/**
 * Per-mm MMU context on book3s64 (arch/powerpc/mm/book3s64/mmu_context.c at
 * v6.2; mm-primitives.md §3.3, §6): PID allocation, the Radix process-table
 * entry of a new mm, `destroy_context` and `arch_exit_mmap`.
 */
import { isync, ptesync } from "../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../../core/kernel.ts";
import { kfunc } from "../../../../core/kfunc.ts";
import { GFP_KERNEL } from "../../../../include/linux/gfp.ts";
import type { MmStruct } from "../../../../include/linux/mm_types.ts";
import { writeEntry } from "../../../../mm/memory.ts";
import { kmemCacheAlloc, kmemCacheFree } from "../../../../mm/page_alloc.ts";
import { geometry, MMU_NO_CONTEXT, prtb0For } from "../../include/asm/book3s/64/pgtable.ts";
import { warnOn } from "../../include/asm/bug.ts";
import { radixEnabled } from "../../include/asm/mmu.ts";
import { fragDestroy } from "../pgtable-frag.ts";
import { prtb0Addr, radixMmu } from "./radix_pgtable.ts";

const FILE = "arch/powerpc/mm/book3s64/mmu_context.c";

/**
 * `mmu_context_ida`: the PIDs in use, and a search hint: every id in [hintMin, lowestFree)
 * is in use, so a search from hintMin may start at lowestFree.
 */
const IDA = defineSlot("mmu_context_ida", () => ({
  used: new Set<number>(),
  hintMin: -1,
  lowestFree: 0,
}));

/** The PIDs currently allocated to mms (inspection). */
export function contextIdsInUse(k: Kernel): ReadonlySet<number> {
  return k.slot(IDA).used;
}

/**
 * Models `alloc_context_id(min, max)` → `ida_alloc_range(..., GFP_KERNEL)`:
 * the lowest free id, -ENOMEM when the ida's allocation fails (site
 * "ida_alloc"), -ENOSPC when all are taken.
 */
function* allocContextId(c: Ctx, min: number, max: number): KGen<number> {
  const ida = c.k.slot(IDA);
  if (!(yield* kmemCacheAlloc(c, "ida_alloc", GFP_KERNEL))) return -12;
  kmemCacheFree(c.k, "ida_alloc");
  if (ida.hintMin < 0) {
    ida.hintMin = min;
    ida.lowestFree = min;
  }
  const hinted = min === ida.hintMin;
  for (let id = hinted ? ida.lowestFree : min; id <= max; id++) {
    if (!ida.used.has(id)) {
      ida.used.add(id);
      // The lowest free id from hintMin was this one: all up to it are taken now.
      if (hinted) ida.lowestFree = id + 1;
      return id;
    }
  }
  return -28;
}

/** Models `ida_free(&mmu_context_ida, id)`. */
function freeContextId(k: Kernel, id: number): void {
  const ida = k.slot(IDA);
  if (!ida.used.delete(id)) throw new Error(`ida_free: PID ${id} not allocated`);
  if (id >= ida.hintMin && id < ida.lowestFree) ida.lowestFree = id;
}

/**
 * Models `radix__init_new_context(mm)`: a PID in [mmu_base_pid,
 * 2^mmu_pid_bits - 1], its process-table entry pointing at the mm's PGD,
 * then `ptesync; isync` so the MMU can load it once PIDR holds the PID.
 */
function* radix__initNewContext(c: Ctx, mm: MmStruct): KGen<number> {
  const k = c.k;
  const st = radixMmu(k);
  const index = yield* allocContextId(c, st.mmuBasePid, 2 ** st.mmuPidBits - 1);
  if (index < 0) return index;
  const g = geometry(k.config.pageShift);
  yield* writeEntry(c, prtb0Addr(k, index), prtb0For(mm.pgd, g.pgdIndexSize));
  yield* ptesync(k.machine, c.cpu);
  yield* isync(k.machine, c.cpu);
  return index;
}

/**
 * Models `init_new_context(tsk, mm)`: the MMU context of a new mm (Radix:
 * PID and process-table entry; Hash: a context id), empty fragment caches,
 * no active CPUs. Returns 0 or a negative errno.
 * SIMPLIFICATION: the Hash path only allocates the context id.
 */
export const initNewContext = kfunc(
  { name: "init_new_context", file: FILE, size: 0x140 },
  function* (c: Ctx, mm: MmStruct): KGen<number> {
    const index = radixEnabled(c.k)
      ? yield* radix__initNewContext(c, mm)
      : yield* allocContextId(c, radixMmu(c.k).mmuBasePid, 2 ** 19 - 1);
    if (index < 0) return index;
    mm.context.id = index;
    mm.context.pteFrag = null;
    mm.context.pmdFrag = null;
    mm.context.activeCpus = 0;
    mm.context.copros = 0;
    return 0;
  },
);

/** Models `destroy_pagetable_cache(mm)`: return the unused fragments of the cache pages. */
function destroyPagetableCache(k: Kernel, mm: MmStruct): void {
  if (mm.context.pteFrag !== null) fragDestroy(k, mm.context.pteFrag, "pte");
  if (mm.context.pmdFrag !== null) fragDestroy(k, mm.context.pmdFrag, "pmd");
  mm.context.pteFrag = null;
  mm.context.pmdFrag = null;
}

/**
 * Models `destroy_context(mm)`: Radix warns if the process-table entry is
 * still set; the PID is freed and the context id becomes MMU_NO_CONTEXT.
 */
export const destroyContext = kfunc(
  { name: "destroy_context", file: FILE, size: 0xb0 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    const k = c.k;
    if (radixEnabled(k)) {
      const prtb0 = k.machine.mem.readBe64(prtb0Addr(k, mm.context.id));
      // Line UNVERIFIED (arch/powerpc/mm/book3s64/mmu_context.c of v6.2).
      yield* warnOn(c, prtb0 !== 0n, { file: FILE, line: 276 });
    }
    freeContextId(k, mm.context.id);
    mm.context.id = MMU_NO_CONTEXT;
  },
);

/**
 * Models `arch_exit_mmap(mm)`: give back the cached fragments, and on Radix
 * clear the process-table entry (RTS 0 is invalid, so the MMU will not use
 * it; the full-mm flush that follows in a real exit clears cached copies).
 */
export const archExitMmap = kfunc(
  { name: "arch_exit_mmap", file: FILE, size: 0x90 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    destroyPagetableCache(c.k, mm);
    if (radixEnabled(c.k)) yield* writeEntry(c, prtb0Addr(c.k, mm.context.id), 0n);
  },
);

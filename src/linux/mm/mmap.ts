/**
 * `exit_mmap()` (mm/mmap.c at v6.2) for the mms the model creates: they have
 * no VMAs, so after `arch_exit_mmap()` it returns ("can happen if dup_mmap()
 * received an OOM"), without the full-mm TLB flush of a real exit.
 */
import { archExitMmap } from "../arch/powerpc/mm/book3s64/mmu_context.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import type { MmStruct } from "../include/linux/mm_types.ts";

/** Models `exit_mmap(mm)` for an mm without VMAs. */
export const exitMmap = kfunc(
  { name: "exit_mmap", file: "mm/mmap.c", size: 0x2e0 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    yield* archExitMmap(c, mm);
  },
);

/**
 * arch/powerpc/mm/pgtable.c at v6.2: `set_pte_at()` and, under
 * CONFIG_DEBUG_VM, `assert_pte_locked()` (mm-primitives.md §8-9,
 * code-patching.md §8.2). The BUG_ON lines are the v6.2 file's: 318 PGD,
 * 320 P4D, 322 PUD, 332 PMD present, 333 the lock assertion.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import type { MmStruct } from "../../../include/linux/mm_types.ts";
import { vmWarnOn } from "../../../include/linux/mmdebug.ts";
import { spinIsLocked } from "../../../kernel/locking/spinlock.ts";
import { isInitMm } from "../../../mm/init-mm.ts";
import { pgdOffset, pmdOffset, pteLockptr, pudOffset, readEntry } from "../../../mm/memory.ts";
import { pdNone, pmdPresent, pteHwValid, pteProtnone } from "../include/asm/book3s/64/pgtable.ts";
import { __setPteAt } from "../include/asm/book3s/64/set-pte.ts";
import { bugOn } from "../include/asm/bug.ts";

const FILE = "arch/powerpc/mm/pgtable.c";

/**
 * `assert_pte_locked` as built in the seed's kernel: 0x1a0 bytes, the lock
 * assertion's `tdnei` at +0x180, after the out-of-line `pmd_page()` call
 * that returns to +0x170 (boot-and-oops.md §5.1).
 */
const ASSERT_PTE_LOCKED_SIZE = 0x1a0;

const assertPteLockedBody = kfunc(
  // A minimal (STACK_FRAME_OVERHEAD) frame: the seed's trace shows 0x70 between its first two frames.
  { name: "assert_pte_locked", file: FILE, size: ASSERT_PTE_LOCKED_SIZE, frameSize: 0x70 },
  function* (c: Ctx, mm: MmStruct, addr: bigint): KGen<void> {
    if (isInitMm(c.k, mm)) return;
    const pgd = yield* readEntry(c, pgdOffset(c, mm, addr));
    yield* bugOn(c, pdNone(pgd), { file: FILE, line: 318 });
    // The P4D level is folded into the PGD: the same entry.
    yield* bugOn(c, pdNone(pgd), { file: FILE, line: 320 });
    const pud = yield* readEntry(c, pudOffset(c, pgd, addr));
    yield* bugOn(c, pdNone(pud), { file: FILE, line: 322 });
    const pmd = yield* readEntry(c, pmdOffset(c, pud, addr));
    // khugepaged collapses by clearing the PMD first, then the PTEs: an
    // empty PMD is tolerated.
    if (pdNone(pmd)) return;
    yield* bugOn(c, !pmdPresent(pmd), { file: FILE, line: 332 });
    // assert_spin_locked(): held by anyone, not necessarily this CPU.
    const ptl = pteLockptr(c.k, mm, pmd);
    yield* bugOn(c, !spinIsLocked(ptl), { file: FILE, line: 333, offset: 0x180, lrOffset: 0x170 });
  },
);

/**
 * Models `assert_pte_locked(mm, addr)`: with CONFIG_DEBUG_VM, BUG unless the
 * PTE table of `addr` in `mm` is locked (init_mm exempt; an empty PMD
 * tolerated); without it an empty inline.
 */
export function* assertPteLocked(c: Ctx, mm: MmStruct, addr: bigint): KGen<void> {
  if (c.k.config.bool("DEBUG_VM")) yield* assertPteLockedBody(c, mm, addr);
}

/**
 * Models `set_pte_at(mm, addr, ptep, pte)`: DEBUG_VM warns when overwriting
 * a valid (non-PROT_NONE) entry, then `__set_pte_at()`. No lock assertion.
 * `set_pte_filter()` leaves a Radix PTE unchanged.
 * SIMPLIFICATION: the Hash filter (HPTE flag stripping, icache flush for
 * user exec pages) is not modelled.
 */
export const setPteAt = kfunc(
  { name: "set_pte_at", file: FILE, size: 0x120 },
  function* (c: Ctx, mm: MmStruct, addr: bigint, ptep: number, pte: bigint): KGen<void> {
    // VM_WARN_ON(pte_hw_valid(*ptep) && !pte_protnone(*ptep)): without DEBUG_VM
    // the condition is not evaluated, so *ptep is not read.
    if (c.k.config.bool("DEBUG_VM")) {
      const old = yield* readEntry(c, ptep);
      // Line UNVERIFIED (arch/powerpc/mm/pgtable.c of v6.2).
      yield* vmWarnOn(c, pteHwValid(old) && !pteProtnone(old), { file: FILE, line: 197 });
    }
    yield* __setPteAt(c, mm, addr, ptep, pte);
  },
);

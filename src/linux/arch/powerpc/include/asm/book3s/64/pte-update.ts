/**
 * Atomic PTE updates: `pte_update()`, `pte_clear()`, `ptep_get_and_clear()`
 * (arch/powerpc/include/asm/book3s/64/pgtable.h), `radix__pte_update()`
 * (radix.h) and `hash__pte_update()` (hash.h) at v6.2 (mm-primitives.md §9).
 * All are inline, so they share their caller's frame: an oops in the lock
 * assertion shows the caller calling `assert_pte_locked` directly.
 */
import { OpKind } from "../../../../../../../machine/ops.ts";
import { tlbie, visibleReal } from "../../../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../../../core/ctx.ts";
import type { MmStruct } from "../../../../../../include/linux/mm_types.ts";
import { isInitMm } from "../../../../../../mm/init-mm.ts";
import { apOf } from "../../../../mm/book3s64/radix_tlb.ts";
import { assertPteLocked } from "../../../../mm/pgtable.ts";
import { radixEnabled } from "../../mmu.ts";
import { geometry, pteHwValid } from "./pgtable.ts";

const ALL_BITS = 0xffff_ffff_ffff_ffffn;

/**
 * Models `__radix_pte_update()`: the ldarx/stdcx. loop, i.e. one atomic
 * read-modify-write of the big-endian entry (a single visible step).
 */
function* atomicUpdate(c: Ctx, ptep: number, clr: bigint, set: bigint): KGen<bigint> {
  const m = c.k.machine;
  yield* visibleReal(c.cpu, OpKind.PTE_WRITE, "pte_update", ptep);
  const old = m.loadPte(ptep);
  // pte_clear's clr is every bit: the new value is `set` alone.
  m.storePte(c.cpu, ptep, clr === ALL_BITS ? set : BigInt.asUintN(64, (old & ~clr) | set));
  return old;
}

/**
 * Models `radix__pte_update(mm, addr, ptep, clr, set, huge)`: the atomic
 * update first, then — for a non-huge entry — `assert_pte_locked()`. No
 * ptesync. Returns the old value.
 */
export function* radix__pteUpdate(
  c: Ctx,
  mm: MmStruct,
  addr: bigint,
  ptep: number,
  clr: bigint,
  set: bigint,
  huge: boolean,
): KGen<bigint> {
  const old = yield* atomicUpdate(c, ptep, clr, set);
  if (!huge) yield* assertPteLocked(c, mm, addr);
  return old;
}

/**
 * Models `hash__pte_update()`: the atomic update, the lock assertion, and
 * for an entry that was in the hash table the flush of its HPTE.
 * SIMPLIFICATION: no H_PAGE_BUSY/HASHPTE bookkeeping and no batching
 * (`hpte_need_flush` removes the translation and flushes the TLB at once).
 */
export function* hash__pteUpdate(
  c: Ctx,
  mm: MmStruct,
  addr: bigint,
  ptep: number,
  clr: bigint,
  set: bigint,
  huge: boolean,
): KGen<bigint> {
  const old = yield* atomicUpdate(c, ptep, clr, set);
  if (!huge) yield* assertPteLocked(c, mm, addr);
  if (pteHwValid(old)) {
    const context = isInitMm(c.k, mm) ? 0 : mm.context.id;
    const ea52 = Number(addr & 0x3fff_ffff_ffff_ffffn);
    const shift = geometry(c.k.pageShift).pageShift;
    const now = c.k.machine.loadPte(ptep);
    c.k.machine.hash.remove(context, ea52, shift);
    // flush_hash_page(): the HPTE invalidation is followed by a tlbie of the
    // virtual page (HPT format, R=0), so no CPU keeps the old translation.
    const rb = (BigInt(ea52) & ~0xfffn) | (BigInt(apOf(shift)) << 5n);
    yield* tlbie(c.k.machine, c.cpu, rb, 0n, 0, false, false);
    if (pteHwValid(now)) c.k.machine.hash.insert(context, ea52, shift, now);
  }
  return old;
}

/** Models `pte_update(mm, addr, ptep, clr, set, huge)`. */
export function* pteUpdate(
  c: Ctx,
  mm: MmStruct,
  addr: bigint,
  ptep: number,
  clr: bigint,
  set: bigint,
  huge: boolean,
): KGen<bigint> {
  if (radixEnabled(c.k)) return yield* radix__pteUpdate(c, mm, addr, ptep, clr, set, huge);
  return yield* hash__pteUpdate(c, mm, addr, ptep, clr, set, huge);
}

/** Models `pte_clear(mm, addr, ptep)`: `pte_update(mm, addr, ptep, ~0UL, 0, 0)`. */
export function* pteClear(c: Ctx, mm: MmStruct, addr: bigint, ptep: number): KGen<void> {
  yield* pteUpdate(c, mm, addr, ptep, 0xffff_ffff_ffff_ffffn, 0n, false);
}

/** Models `ptep_get_and_clear(mm, addr, ptep)`: returns the old entry. */
export function* ptepGetAndClear(c: Ctx, mm: MmStruct, addr: bigint, ptep: number): KGen<bigint> {
  return yield* pteUpdate(c, mm, addr, ptep, 0xffff_ffff_ffff_ffffn, 0n, false);
}

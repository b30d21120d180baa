/**
 * Writing a PTE: `__set_pte_at()` (arch/powerpc/include/asm/book3s/64/pgtable.h),
 * `radix__set_pte_at()` (radix.h) and `hash__set_pte_at()` (hash.h) at v6.2
 * (mm-primitives.md §9). Split from the header's constants (pgtable.ts) so the
 * entry operations can depend on memory and the MMU.
 */
import { storePte } from "../../../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../../../core/ctx.ts";
import type { MmStruct } from "../../../../../../include/linux/mm_types.ts";
import { vmWarnOn } from "../../../../../../include/linux/mmdebug.ts";
import { isInitMm } from "../../../../../../mm/init-mm.ts";
import { radixEnabled } from "../../mmu.ts";
import { _PAGE_PTE, geometry, hasPteBit, pteHwValid } from "./pgtable.ts";

/**
 * Models `radix__set_pte_at()`: a plain store of the new value, with no
 * barrier (the architecture would want a ptesync; callers that need the
 * entry visible to their own walks add one).
 */
export function* radix__setPteAt(c: Ctx, ptep: number, pte: bigint): KGen<void> {
  yield* storePte(c.k.machine, c.cpu, ptep, pte);
}

/**
 * Models `hash__set_pte_at()`: the Linux PTE store; the hash table is filled
 * from it on a fault.
 * SIMPLIFICATION: the "fault" is taken at once: a valid PTE is entered into
 * the machine's HashMmu right away (context 0 for init_mm, else the mm's id).
 */
export function* hash__setPteAt(
  c: Ctx,
  mm: MmStruct,
  addr: bigint,
  ptep: number,
  pte: bigint,
): KGen<void> {
  yield* storePte(c.k.machine, c.cpu, ptep, pte);
  if (pteHwValid(pte)) {
    const context = isInitMm(c.k, mm) ? 0 : mm.context.id;
    const ea52 = Number(addr & 0x3fff_ffff_ffff_ffffn);
    c.k.machine.hash.insert(context, ea52, geometry(c.k.config.pageShift).pageShift, pte);
  }
}

/**
 * Models `__set_pte_at(mm, addr, ptep, pte, percpu)`: DEBUG_VM warns when
 * `_PAGE_PTE` is missing, then forces it and dispatches on the MMU.
 */
export function* __setPteAt(
  c: Ctx,
  mm: MmStruct,
  addr: bigint,
  ptep: number,
  pte: bigint,
): KGen<void> {
  const isPte = hasPteBit(pte);
  // Line UNVERIFIED: arch/powerpc/include/asm/book3s/64/pgtable.h of v6.2.
  yield* vmWarnOn(c, !isPte, {
    file: "arch/powerpc/include/asm/book3s/64/pgtable.h",
    line: 895,
  });
  if (!isPte) pte |= _PAGE_PTE;
  if (radixEnabled(c.k)) yield* radix__setPteAt(c, ptep, pte);
  else yield* hash__setPteAt(c, mm, addr, ptep, pte);
}

/**
 * Radix TLB invalidation (arch/powerpc/mm/book3s64/radix_tlb.c at v6.2;
 * mm-primitives.md §10, isa.md §12.1): `tlbiel`/`tlbie` with the RB/RS
 * encodings Linux uses, issued as real operations on the machine.
 *
 * The CPU is modelled as POWER9 (ISA 3.0): a local flush by PID walks the
 * 128 TLB sets, and no `cp_abort` follows `tlbiel`.
 * SIMPLIFICATION: the POWER9 tlbie errata fix-ups (`fixup_tlbie_*`), the
 * IPI + tlbiel path for machines without tlbie, and the H_RPT_INVALIDATE
 * hypercall for guests without GTSE are not modelled; `flush_type_needed()`
 * is reduced to `mm_is_thread_local()`.
 */
import { OpKind } from "../../../../../machine/ops.ts";
import { isync, ptesync, tlbie, tlbiel, visible } from "../../../../../machine/task-ops.ts";
import { Last } from "../../../../../util/last.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import { kfunc } from "../../../../core/kfunc.ts";
import type { MmStruct } from "../../../../include/linux/mm_types.ts";
import { geometry, MMU_NO_CONTEXT } from "../../include/asm/book3s/64/pgtable.ts";
import { cputlbUseTlbie } from "../../include/asm/mmu.ts";
import { mmIsThreadLocal } from "../../include/asm/tlb.ts";

export const RIC_FLUSH_TLB = 0;
export const RIC_FLUSH_PWC = 1;
export const RIC_FLUSH_ALL = 2;
/** `POWER9_TLB_SETS_RADIX`. */
export const POWER9_TLB_SETS_RADIX = 128;

/** RB for an invalidation by VA (IS=0): EA without its low 12 bits, AP at IBM bits 56..58. */
export function rbVa(va: bigint, ap: number): bigint {
  if (RB_VA.has(va, ap)) return RB_VA.value;
  const u = va < 0n ? BigInt.asUintN(64, va) : va;
  return RB_VA.set(va, ap, null, (u & ~0xfffn) | (AP_FIELD[ap] ?? BigInt(ap) << 5n));
}
const RB_VA = new Last(0n);
/** The AP field of RB (`ap << 5`) for the eight AP codes: rbVa runs at every page flush. */
const AP_FIELD: readonly bigint[] = Array.from({ length: 8 }, (_, ap) => BigInt(ap) << 5n);
/** RB for an invalidation by PID (IS=1, `PPC_BIT(53)`) of TLB set `set`. */
export function rbPid(set: number): bigint {
  return 0x400n | (BigInt(set) << 12n);
}
/** RS for a process-scoped invalidation: the PID in the high word. */
export function rsPid(pid: number): bigint {
  if (RS_PID.has(0n, pid)) return RS_PID.value;
  return RS_PID.set(0n, pid, null, BigInt(pid >>> 0) << 32n);
}
const RS_PID = new Last(0n);

/** The AP code of a page size given as log2 (mmu_psize_defs[psize].ap). */
export function apOf(shift: number): number {
  switch (shift) {
    case 12:
      return 0;
    case 16:
      return 5;
    case 21:
      return 1;
    case 30:
      return 2;
    default:
      throw new Error(`no Radix AP encoding for page shift ${shift}`);
  }
}

/** Models `ppc_after_tlbiel_barrier()` on ISA 3.0: `ptesync`. */
function* ppcAfterTlbielBarrier(c: Ctx): KGen<void> {
  yield* ptesync(c.k.machine, c.cpu);
}

/** `eieio; tlbsync; ptesync`: wait for this CPU's tlbies to complete everywhere. */
function* tlbieCompletion(c: Ctx): KGen<void> {
  yield* visible(c.cpu, OpKind.SYNC, "eieio");
  yield* visible(c.cpu, OpKind.SYNC, "tlbsync");
  yield* ptesync(c.k.machine, c.cpu);
}

/** Models `_tlbiel_va(va, pid, psize, ric)`: ptesync; one tlbiel by VA; barrier. */
export function* _tlbielVa(
  c: Ctx,
  va: bigint,
  pid: number,
  shift: number,
  ric: number,
): KGen<void> {
  const m = c.k.machine;
  yield* ptesync(m, c.cpu);
  yield* tlbiel(m, c.cpu, rbVa(va, apOf(shift)), rsPid(pid), ric, true, true);
  yield* ppcAfterTlbielBarrier(c);
}

/** Models `_tlbie_va(va, pid, psize, ric)`: ptesync; one tlbie by VA; eieio; tlbsync; ptesync. */
export function* _tlbieVa(c: Ctx, va: bigint, pid: number, shift: number, ric: number): KGen<void> {
  const m = c.k.machine;
  yield* ptesync(m, c.cpu);
  yield* tlbie(m, c.cpu, rbVa(va, apOf(shift)), rsPid(pid), ric, true, true);
  yield* tlbieCompletion(c);
}

/**
 * Models `_tlbiel_pid(pid, ric)`: set 0 with `ric`, then (ISA 3.0) the other
 * 127 sets with RIC=0; a PWC-only flush stops after set 0. Ends with the
 * barrier and an ERAT invalidation + isync.
 */
export function* _tlbielPid(c: Ctx, pid: number, ric: number): KGen<void> {
  const m = c.k.machine;
  yield* ptesync(m, c.cpu);
  yield* tlbiel(m, c.cpu, rbPid(0), rsPid(pid), ric, true, true);
  if (ric === RIC_FLUSH_PWC) {
    yield* ppcAfterTlbielBarrier(c);
    return;
  }
  for (let set = 1; set < POWER9_TLB_SETS_RADIX; set++) {
    yield* tlbiel(m, c.cpu, rbPid(set), rsPid(pid), RIC_FLUSH_TLB, true, true);
  }
  yield* ppcAfterTlbielBarrier(c);
  // PPC_RADIX_INVALIDATE_ERAT_USER: the model folds the ERAT into the TLB.
  yield* isync(m, c.cpu);
}

/** Models `_tlbie_pid(pid, ric)`: ptesync; tlbie by PID; eieio; tlbsync; ptesync. */
export function* _tlbiePid(c: Ctx, pid: number, ric: number): KGen<void> {
  const m = c.k.machine;
  yield* ptesync(m, c.cpu);
  yield* tlbie(m, c.cpu, rbPid(0), rsPid(pid), ric, true, true);
  yield* tlbieCompletion(c);
}

/**
 * Models `radix__local_flush_tlb_page_psize(mm, vmaddr, psize)`: with
 * preemption off, if the mm has a PID, one local tlbiel by VA (RIC=0).
 */
export const radix__localFlushTlbPagePsize = kfunc(
  {
    name: "radix__local_flush_tlb_page_psize",
    file: "arch/powerpc/mm/book3s64/radix_tlb.c",
    size: 0xd0,
  },
  function* (c: Ctx, mm: MmStruct, vmaddr: bigint, shift: number): KGen<void> {
    c.current.preemptCount++;
    const pid = mm.context.id;
    if (pid !== MMU_NO_CONTEXT) yield* _tlbielVa(c, vmaddr, pid, shift, RIC_FLUSH_TLB);
    c.current.preemptCount--;
  },
);

/**
 * Models `radix__flush_tlb_page_psize(mm, vmaddr, psize)`: local when the mm
 * is thread-local, otherwise a broadcast tlbie by VA.
 */
export const radix__flushTlbPagePsize = kfunc(
  {
    name: "radix__flush_tlb_page_psize",
    file: "arch/powerpc/mm/book3s64/radix_tlb.c",
    size: 0x1c0,
  },
  function* (c: Ctx, mm: MmStruct, vmaddr: bigint, shift: number): KGen<void> {
    const pid = mm.context.id;
    if (pid === MMU_NO_CONTEXT) return;
    c.current.preemptCount++;
    if (mmIsThreadLocal(c, mm)) yield* _tlbielVa(c, vmaddr, pid, shift, RIC_FLUSH_TLB);
    else yield* _tlbieVa(c, vmaddr, pid, shift, RIC_FLUSH_TLB);
    c.current.preemptCount--;
  },
);

/** Models `radix__flush_tlb_mm(mm)`: all TLB entries of the mm's PID. */
export const radix__flushTlbMm = kfunc(
  { name: "radix__flush_tlb_mm", file: "arch/powerpc/mm/book3s64/radix_tlb.c", size: 0x240 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    const pid = mm.context.id;
    if (pid === MMU_NO_CONTEXT) return;
    c.current.preemptCount++;
    if (mmIsThreadLocal(c, mm)) yield* _tlbielPid(c, pid, RIC_FLUSH_TLB);
    else yield* _tlbiePid(c, pid, RIC_FLUSH_TLB);
    c.current.preemptCount--;
  },
);

/** Models `radix__flush_all_mm(mm)`: TLB, page-walk cache and cached table entries of the PID. */
export const radix__flushAllMm = kfunc(
  { name: "radix__flush_all_mm", file: "arch/powerpc/mm/book3s64/radix_tlb.c", size: 0x240 },
  function* (c: Ctx, mm: MmStruct): KGen<void> {
    const pid = mm.context.id;
    if (pid === MMU_NO_CONTEXT) return;
    c.current.preemptCount++;
    if (mmIsThreadLocal(c, mm)) yield* _tlbielPid(c, pid, RIC_FLUSH_ALL);
    else yield* _tlbiePid(c, pid, RIC_FLUSH_ALL);
    c.current.preemptCount--;
  },
);

/**
 * Models `radix__flush_tlb_kernel_range(start, end)` on bare metal with
 * tlbie: `_tlbie_pid(0, RIC_FLUSH_ALL)` — the whole kernel PID, on every
 * CPU; the range is ignored.
 */
export const radix__flushTlbKernelRange = kfunc(
  {
    name: "radix__flush_tlb_kernel_range",
    file: "arch/powerpc/mm/book3s64/radix_tlb.c",
    size: 0x140,
  },
  function* (c: Ctx, _start: bigint, _end: bigint): KGen<void> {
    if (!cputlbUseTlbie(c.k)) throw new Error("IPI kernel TLB flush is not modelled");
    yield* _tlbiePid(c, 0, RIC_FLUSH_ALL);
  },
);

/** The base page size as log2 (`mmu_virtual_psize`). */
export function mmuVirtualPsize(c: Ctx): number {
  return geometry(c.k.pageShift).pageShift;
}

/**
 * `tlb_single_page_flush_ceiling` and `tlb_local_single_page_flush_ceiling`
 * (`POWER9_TLB_SETS_RADIX * 2`): above this many pages a range flush is a
 * flush by PID.
 */
const TLB_SINGLE_PAGE_FLUSH_CEILING = 33n;
const TLB_LOCAL_SINGLE_PAGE_FLUSH_CEILING = BigInt(POWER9_TLB_SETS_RADIX * 2);

/**
 * Models `_tlbiel_va_range(start, end, pid, page_size, psize, also_pwc)`:
 * ptesync; the PWC by PID (set 0) if asked; one tlbiel by VA per page; barrier.
 */
function* _tlbielVaRange(
  c: Ctx,
  start: bigint,
  end: bigint,
  pid: number,
  shift: number,
  alsoPwc: boolean,
): KGen<void> {
  const m = c.k.machine;
  yield* ptesync(m, c.cpu);
  if (alsoPwc) yield* tlbiel(m, c.cpu, rbPid(0), rsPid(pid), RIC_FLUSH_PWC, true, true);
  const size = 1n << BigInt(shift);
  for (let va = start; va < end; va += size) {
    yield* tlbiel(m, c.cpu, rbVa(va, apOf(shift)), rsPid(pid), RIC_FLUSH_TLB, true, true);
  }
  yield* ppcAfterTlbielBarrier(c);
}

/**
 * Models `_tlbie_va_range(start, end, pid, page_size, psize, also_pwc)`:
 * ptesync; the PWC by PID if asked; one tlbie by VA per page; eieio; tlbsync; ptesync.
 */
function* _tlbieVaRange(
  c: Ctx,
  start: bigint,
  end: bigint,
  pid: number,
  shift: number,
  alsoPwc: boolean,
): KGen<void> {
  const m = c.k.machine;
  yield* ptesync(m, c.cpu);
  if (alsoPwc) yield* tlbie(m, c.cpu, rbPid(0), rsPid(pid), RIC_FLUSH_PWC, true, true);
  const size = 1n << BigInt(shift);
  for (let va = start; va < end; va += size) {
    yield* tlbie(m, c.cpu, rbVa(va, apOf(shift)), rsPid(pid), RIC_FLUSH_TLB, true, true);
  }
  yield* tlbieCompletion(c);
}

/**
 * Models `__radix__flush_tlb_range_psize(mm, start, end, psize, also_pwc)`
 * (inlined): by PID when the range has more pages than the ceiling
 * (RIC=2 if the PWC goes too), else page by page; local when the mm is
 * thread-local.
 */
function* __radix__flushTlbRangePsize(
  c: Ctx,
  mm: MmStruct,
  start: bigint,
  end: bigint,
  shift: number,
  alsoPwc: boolean,
): KGen<void> {
  const pid = mm.context.id;
  if (pid === MMU_NO_CONTEXT) return;
  c.current.preemptCount++;
  yield* visible(c.cpu, OpKind.SYNC, "mb");
  const local = mmIsThreadLocal(c, mm);
  const nrPages = (end - start) >> BigInt(shift);
  const full =
    nrPages > (local ? TLB_LOCAL_SINGLE_PAGE_FLUSH_CEILING : TLB_SINGLE_PAGE_FLUSH_CEILING);
  const ric = alsoPwc ? RIC_FLUSH_ALL : RIC_FLUSH_TLB;
  if (full) {
    if (local) yield* _tlbielPid(c, pid, ric);
    else yield* _tlbiePid(c, pid, ric);
  } else if (local) {
    yield* _tlbielVaRange(c, start, end, pid, shift, alsoPwc);
  } else {
    yield* _tlbieVaRange(c, start, end, pid, shift, alsoPwc);
  }
  c.current.preemptCount--;
}

/** What `radix__tlb_flush` reads of a `struct mmu_gather`. */
export interface GatherFlush {
  readonly mm: MmStruct;
  readonly fullmm: boolean;
  readonly needFlushAll: boolean;
  readonly freedTables: boolean;
  /** `tlb->page_size` in bytes (0: none set). */
  readonly pageSize: number;
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Models `radix__tlb_flush(tlb)`: a full-mm (or need_flush_all) gather
 * flushes everything of the PID; otherwise the gathered range at the
 * gather's page size, with the page-walk cache when page tables were freed.
 * SIMPLIFICATION: not a kfunc, so it has no frame or symbol of its own (the
 * image keeps the layout, and the addresses, it had before it was modelled).
 */
export function* radix__tlbFlush(c: Ctx, tlb: GatherFlush): KGen<void> {
  const mm = tlb.mm;
  if (tlb.fullmm || tlb.needFlushAll) {
    yield* radix__flushAllMm(c, mm);
  } else if (tlb.pageSize !== 4096 && tlb.pageSize !== 65536) {
    // radix_get_mmu_psize() does not know the size.
    if (!tlb.freedTables) yield* radix__flushTlbMm(c, mm);
    else yield* radix__flushAllMm(c, mm);
  } else {
    const shift = tlb.pageSize === 65536 ? 16 : 12;
    yield* __radix__flushTlbRangePsize(c, mm, tlb.start, tlb.end, shift, tlb.freedTables);
  }
}

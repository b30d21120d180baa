/**
 * Translation maintenance performed by a CPU: TLB invalidation (`tlbiel` on
 * the issuing CPU, `tlbie` broadcast), page-table entry stores and loads,
 * the `ptesync` that orders a CPU's own table stores before its own walks,
 * and the PIDR write of an address-space switch. Together they decide what
 * translation a later access sees, which is what code patching's temporary
 * mappings depend on; each reports its footprint for a checker.
 */

import { alignDown } from "../util/bits.ts";
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";
import { decodeTlbi, type MutableTlbiTarget, type TlbiTarget } from "./tlb.ts";

/** The decoded operands of the tlbie/tlbiel being performed (reused: nothing keeps it). */
const TLBI: MutableTlbiTarget = {
  is: 0,
  lpid: 0,
  pid: 0,
  ea: 0,
  shift: 12,
  prs: false,
  radix: false,
};

/**
 * `tlbiel` (isa.md §12.1): invalidate matching entries in this CPU's TLB only.
 * LPID comes from LPIDR.
 */
export function tlbiel(
  m: Machine,
  cpu: Cpu,
  rb: bigint,
  rs: bigint,
  ric: number,
  prs: boolean,
  r: boolean,
): number {
  const t = decodeTlbi(rb, rs, ric, prs, r, cpu.lpidr, TLBI);
  const n = t === null || cpu.tlb === null ? 0 : cpu.tlb.invalidate(t);
  reportInvalidation(m, cpu.id, t, n);
  return n;
}

/**
 * `tlbie` (isa.md §12.1): invalidate matching entries in every CPU's TLB.
 * SIMPLIFICATION: the invalidation is performed everywhere at once, at issue;
 * `tlbsync; ptesync` completion is not needed for it to take effect.
 */
export function tlbie(
  m: Machine,
  rb: bigint,
  rs: bigint,
  ric: number,
  prs: boolean,
  r: boolean,
): number {
  const t = decodeTlbi(rb, rs, ric, prs, r, null, TLBI);
  let n = 0;
  for (const c of m.cpus) {
    const k = t === null || c.tlb === null ? 0 : c.tlb.invalidate(t);
    reportInvalidation(m, c.id, t, k);
    n += k;
  }
  return n;
}

/** Page sizes a TLB entry can have (radix 4K, 64K, 2M, 1G; hash 4K, 64K, 16M). */
const ENTRY_SHIFTS = [12, 16, 21, 24, 30];

/**
 * What an invalidation touched in one CPU's TLB, for a checker: one page's
 * possible entries (read where it found none, written where it removed one,
 * with the TLB as a whole), or for a wider one the TLB as a whole (written
 * only if it removed something). So invalidating one CPU's page commutes
 * with another CPU filling a different page.
 */
function reportInvalidation(m: Machine, cpu: number, t: TlbiTarget | null, removed: number): void {
  const fp = m.footprint;
  if (fp === null) return;
  if (t === null || t.is !== 0) {
    fp.tlb(cpu, removed > 0);
    return;
  }
  for (const s of t.radix ? [t.shift] : ENTRY_SHIFTS)
    fp.tlbEntry(cpu, s, alignDown(t.ea, s), removed > 0);
  if (removed > 0) fp.tlb(cpu, true);
}

/**
 * `ptesync` (mm-primitives.md §11): this CPU's earlier page-table stores
 * become visible to its own table walks.
 */
export function ptesync(cpu: Cpu): void {
  cpu.unsyncedPte.clear();
}

/**
 * Store a page-table entry (big-endian) at real address `pa` on behalf of
 * `cpu`. Other CPUs' walkers see it at once; `cpu`'s own walker sees the
 * old value until its next `ptesync` (the architecture only guarantees
 * visibility to table walks after ptesync, mm-primitives.md §11).
 */
export function storePte(m: Machine, cpu: Cpu, pa: number, value: bigint): void {
  m.footprint?.mem(pa, 8, true);
  const unsynced = cpu.unsyncedPte;
  if (!unsynced.has(pa)) {
    unsynced.remember(pa, m.mem.readBe32(pa), m.mem.readBe32(pa + 4));
  }
  m.mem.writeBe64(pa, value);
}

/** Read a page-table entry from memory (what a load sees). */
export function loadPte(m: Machine, pa: number): bigint {
  m.footprint?.mem(pa, 8, false);
  return m.mem.readBe64(pa);
}

/** Write PIDR (the address-space switch; the caller yields SWITCH_MM first). */
export function setPidr(cpu: Cpu, pid: number): void {
  cpu.pidr = pid >>> 0;
}

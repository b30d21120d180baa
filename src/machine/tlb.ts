import { SHIFT_BY_AP } from "./mmu/radix-format.ts";

/** One cached translation, tagged by (LPID, PID, effective page, page size). */
export interface TlbEntry {
  readonly lpid: number;
  readonly pid: number;
  /** Effective page base without the quadrant bits (a multiple of 2^shift, < 2^52). */
  readonly ea: number;
  readonly shift: number;
  /** Real page base. */
  readonly pa: number;
  /** The leaf as it was when cached: permissions and C come from here until invalidated. */
  readonly pte: bigint;
  readonly pteAddr: number;
}

/** Which entries an invalidation hits. */
export interface TlbiTarget {
  /** RB[IS]: 0 one page, 1 one PID (or all of an LPID when !prs), 2 one LPID, 3 everything. */
  readonly is: number;
  readonly lpid: number;
  readonly pid: number;
  /** For IS=0: effective page number (EA without quadrant, low 12 bits clear). */
  readonly ea: number;
  /** For IS=0: page size from RB[AP]; an entry of another size survives. */
  readonly shift: number;
  /** Process-scoped (PRS=1): match the PID as well. */
  readonly prs: boolean;
  /** Radix (R=1); an HPT invalidation by VA matches any PID. */
  readonly radix: boolean;
}

/**
 * A CPU's TLB: translations filled by walks, used until invalidated, however
 * the page tables change meanwhile. Invalidation is the only way out, so a
 * missing tlbiel leaves a stale translation that later accesses really use.
 *
 * SIMPLIFICATION: fully associative and unbounded (never evicts), so the
 * `set` field of tlbiel is ignored: one tlbiel by PID flushes all of the PID.
 * The ERAT is folded into the TLB.
 */
export class Tlb {
  /** Bumped on every invalidation, so per-CPU one-entry caches can validate cheaply. */
  generation = 0;
  private readonly byCtx = new Map<number, Map<number, TlbEntry>>();
  /** Page sizes present (few distinct values), so lookup tries only those. */
  private shifts: number[] = [];

  static ctxKey(lpid: number, pid: number): number {
    return lpid * 0x1_0000_0000 + pid;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byCtx.values()) n += m.size;
    return n;
  }

  lookup(lpid: number, pid: number, ea52: number): TlbEntry | undefined {
    const m = this.byCtx.get(Tlb.ctxKey(lpid, pid));
    if (m === undefined) return undefined;
    for (const shift of this.shifts) {
      const scale = 2 ** shift;
      const e = m.get(ea52 - (ea52 % scale) + shift);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  insert(entry: TlbEntry): void {
    const ck = Tlb.ctxKey(entry.lpid, entry.pid);
    let m = this.byCtx.get(ck);
    if (m === undefined) {
      m = new Map();
      this.byCtx.set(ck, m);
    }
    m.set(entry.ea + entry.shift, entry);
    if (!this.shifts.includes(entry.shift)) {
      this.shifts = [...this.shifts, entry.shift].sort((a, b) => a - b);
    }
  }

  /** Inspection without side effects: every entry, in insertion order per context. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (const m of this.byCtx.values()) out.push(...m.values());
    return out;
  }

  /** Apply one invalidation; returns the number of entries removed. */
  invalidate(t: TlbiTarget): number {
    if (t.is === 0 && t.radix && t.prs) {
      // One page of one (LPID, PID): at most the one entry keyed by its base and size.
      this.generation++;
      const ck = Tlb.ctxKey(t.lpid, t.pid);
      const m = this.byCtx.get(ck);
      if (m === undefined) return 0;
      if (!m.delete(t.ea - (t.ea % 2 ** t.shift) + t.shift)) return 0;
      if (m.size === 0) this.byCtx.delete(ck);
      return 1;
    }
    let removed = 0;
    for (const [ck, m] of this.byCtx) {
      for (const [k, e] of m) {
        if (matches(e, t)) {
          m.delete(k);
          removed++;
        }
      }
      if (m.size === 0) this.byCtx.delete(ck);
    }
    this.generation++;
    return removed;
  }
}

function matches(e: TlbEntry, t: TlbiTarget): boolean {
  switch (t.is) {
    case 0:
      if (!t.radix) return e.ea === t.ea - (t.ea % 2 ** e.shift);
      return (
        e.lpid === t.lpid &&
        (!t.prs || e.pid === t.pid) &&
        e.shift === t.shift &&
        e.ea === t.ea - (t.ea % 2 ** e.shift)
      );
    case 1:
      return e.lpid === t.lpid && (!t.prs || e.pid === t.pid);
    case 2:
      return e.lpid === t.lpid;
    default:
      return true;
  }
}

/**
 * Decode tlbie/tlbiel operands into a target (isa.md §12.1): RB holds
 * EPN | IS<<10 | AP<<5; RS holds PID in the high word and LPID in the low
 * word. Returns null for RIC values that do not touch TLB entries
 * (RIC=1 page-walk cache, RIC=3 table-entry caches — not modelled).
 */
export function decodeTlbi(
  rb: bigint,
  rs: bigint,
  ric: number,
  prs: boolean,
  r: boolean,
  lpidOverride: number | null,
): TlbiTarget | null {
  if (ric === 1 || ric === 3) return null;
  const is = Number((rb >> 10n) & 3n);
  const ap = Number((rb >> 5n) & 7n);
  const shift = SHIFT_BY_AP.get(ap) ?? 12;
  return {
    is,
    lpid: lpidOverride ?? Number(rs & 0xffff_ffffn),
    pid: Number((rs >> 32n) & 0xffff_ffffn),
    ea: Number(rb & 0x000f_ffff_ffff_f000n),
    shift,
    prs,
    radix: r,
  };
}

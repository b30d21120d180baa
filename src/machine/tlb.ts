import { POW2 } from "../util/bits.ts";
import { SHIFT_BY_AP } from "./mmu/radix-format.ts";

/** How many recent entries the TLB keeps in front of its maps. */
const RECENT = 4;

/** One cached translation, tagged by (LPID, PID, effective page, page size). */
export class TlbEntry {
  readonly lpid: number;
  readonly pid: number;
  /** Effective page base without the quadrant bits (a multiple of 2^shift, < 2^52). */
  readonly ea: number;
  readonly shift: number;
  /** Real page base. */
  readonly pa: number;
  /**
   * The leaf as it was when cached, as its big-endian words: permissions and
   * C come from here until invalidated. `flags` (the low word) holds the
   * permissions, ATT, R and C that every access checks.
   */
  readonly pteHi: number;
  readonly flags: number;
  readonly pteAddr: number;

  constructor(
    lpid: number,
    pid: number,
    ea: number,
    shift: number,
    pa: number,
    pteHi: number,
    flags: number,
    pteAddr: number,
  ) {
    this.lpid = lpid;
    this.pid = pid;
    this.ea = ea;
    this.shift = shift;
    this.pa = pa;
    this.pteHi = pteHi;
    this.flags = flags;
    this.pteAddr = pteAddr;
  }

  /** The cached leaf as a doubleword (for inspection; accesses use `flags`). */
  get pte(): bigint {
    return (BigInt(this.pteHi) << 32n) | BigInt(this.flags);
  }
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
  /** Bumped on every invalidation, so caches built on translations can validate cheaply. */
  generation = 0;
  /**
   * Entries by context, then by page. A one-page invalidation leaves the key
   * mapped to undefined instead of deleting it: the patching alias is filled
   * and invalidated at every patch, and a Map that deletes and re-adds one
   * key each time keeps shrinking and regrowing its table.
   */
  private readonly byCtx = new Map<number, Map<number, TlbEntry | undefined>>();
  /** Page sizes present (few distinct values), so lookup tries only those. */
  private shifts: number[] = [];
  /**
   * The last entries looked up or inserted, most recent first: a front to the
   * maps that a one-page invalidation only loses the invalidated entry from.
   */
  private readonly recent: TlbEntry[] = [];
  /** Entries 0..nRecent-1 of `recent` are live (a count: setting an array's length is a runtime call). */
  private nRecent = 0;

  static ctxKey(lpid: number, pid: number): number {
    return lpid * 0x1_0000_0000 + pid;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byCtx.values()) for (const e of m.values()) if (e !== undefined) n++;
    return n;
  }

  lookup(lpid: number, pid: number, ea52: number): TlbEntry | undefined {
    const recent = this.recent;
    for (let i = 0; i < this.nRecent; i++) {
      const e = recent[i]!;
      if (e.pid === pid && e.lpid === lpid && ea52 >= e.ea && ea52 - e.ea < POW2[e.shift]!) {
        return e;
      }
    }
    const m = this.byCtx.get(Tlb.ctxKey(lpid, pid));
    if (m === undefined) return undefined;
    for (const shift of this.shifts) {
      const e = m.get(ea52 - (ea52 % POW2[shift]!) + shift);
      if (e !== undefined) {
        this.remember(e);
        return e;
      }
    }
    return undefined;
  }

  private remember(e: TlbEntry): void {
    const recent = this.recent;
    if (this.nRecent < RECENT) this.nRecent++;
    for (let i = this.nRecent - 1; i > 0; i--) recent[i] = recent[i - 1]!;
    recent[0] = e;
  }

  insert(entry: TlbEntry): void {
    const ck = Tlb.ctxKey(entry.lpid, entry.pid);
    let m = this.byCtx.get(ck);
    if (m === undefined) {
      m = new Map();
      this.byCtx.set(ck, m);
    }
    const key = entry.ea + entry.shift;
    const old = m.get(key);
    if (old !== undefined) this.forget(old);
    m.set(key, entry);
    this.remember(entry);
    if (!this.shifts.includes(entry.shift)) {
      this.shifts = [...this.shifts, entry.shift].sort((a, b) => a - b);
    }
  }

  /** Inspection without side effects: every entry, in insertion order per context. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (const m of this.byCtx.values())
      for (const e of m.values()) if (e !== undefined) out.push(e);
    return out;
  }

  /** Drop `e` from the recent entries. */
  private forget(e: TlbEntry): void {
    const recent = this.recent;
    const n = this.nRecent;
    let i = 0;
    while (i < n && recent[i] !== e) i++;
    if (i === n) return;
    for (let j = i + 1; j < n; j++) recent[j - 1] = recent[j]!;
    this.nRecent = n - 1;
  }

  /** Apply one invalidation; returns the number of entries removed. */
  invalidate(t: TlbiTarget): number {
    if (t.is === 0 && t.radix && t.prs) {
      // One page of one (LPID, PID): at most the one entry keyed by its base and size.
      this.generation++;
      const ck = Tlb.ctxKey(t.lpid, t.pid);
      const m = this.byCtx.get(ck);
      if (m === undefined) return 0;
      const key = t.ea - (t.ea % POW2[t.shift]!) + t.shift;
      const e = m.get(key);
      if (e === undefined) return 0;
      m.set(key, undefined);
      this.forget(e);
      return 1;
    }
    this.nRecent = 0;
    let removed = 0;
    for (const [ck, m] of this.byCtx) {
      for (const [k, e] of m) {
        if (e === undefined) m.delete(k);
        else if (matches(e, t)) {
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
      if (!t.radix) return e.ea === t.ea - (t.ea % POW2[e.shift]!);
      return (
        e.lpid === t.lpid &&
        (!t.prs || e.pid === t.pid) &&
        e.shift === t.shift &&
        e.ea === t.ea - (t.ea % POW2[e.shift]!)
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
  into?: MutableTlbiTarget,
): TlbiTarget | null {
  if (ric === 1 || ric === 3) return null;
  const t = into ?? { is: 0, lpid: 0, pid: 0, ea: 0, shift: 12, prs: false, radix: false };
  // RB and RS as 32-bit halves: no BigInt arithmetic beyond the two splits.
  const rbHi = Number(rb >> 32n);
  const rbLo = Number(rb & 0xffff_ffffn);
  t.is = (rbLo >>> 10) & 3;
  t.shift = SHIFT_BY_AP.get((rbLo >>> 5) & 7) ?? 12;
  t.lpid = lpidOverride ?? Number(rs & 0xffff_ffffn);
  t.pid = Number(rs >> 32n) >>> 0;
  t.ea = (rbHi & 0x000f_ffff) * 2 ** 32 + ((rbLo & 0xffff_f000) >>> 0);
  t.prs = prs;
  t.radix = r;
  return t;
}

/** A TlbiTarget a caller reuses across decodes (Tlb.invalidate keeps no reference). */
export type MutableTlbiTarget = { -readonly [K in keyof TlbiTarget]: TlbiTarget[K] };

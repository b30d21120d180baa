import { alignDown, POW2 } from "../util/bits.ts";
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
  /** Set by the TLB on insertion: its listing order. */
  seq: number;

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
    // Assigned here rather than as a field initializer, which V8 runs as a
    // separate function that the hot fill path does not always inline.
    this.seq = 0;
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
   * The most recently used entries, most recent first, kept apart from the
   * maps: an entry enters the maps only when it leaves this front. The
   * patching alias is filled and invalidated at every patch without ever
   * reaching the maps, whose operations (large float keys) cost more than
   * the rest of a lookup. A key is in the front or in the maps, never both.
   */
  private readonly recent: TlbEntry[] = [];
  /** Entries 0..nRecent-1 of `recent` are live (a count: setting an array's length is a runtime call). */
  private nRecent = 0;
  /** Entries that left the front, by context, then by page (base + shift). */
  private readonly byCtx = new Map<number, Map<number, TlbEntry>>();
  /** Page sizes present in the maps (few distinct values), so lookup tries only those. */
  private shifts: number[] = [];
  /** Insertion counter: `entries()` lists in insertion order. */
  private seq = 0;

  static ctxKey(lpid: number, pid: number): number {
    return lpid * 0x1_0000_0000 + pid;
  }

  get size(): number {
    let n = this.nRecent;
    for (const m of this.byCtx.values()) n += m.size;
    return n;
  }

  lookup(lpid: number, pid: number, ea52: number): TlbEntry | undefined {
    const recent = this.recent;
    const n = this.nRecent;
    for (let i = 0; i < n; i++) {
      const e = recent[i]!;
      if (e.pid === pid && e.lpid === lpid && ea52 >= e.ea && ea52 - e.ea < POW2[e.shift]!) {
        this.promote(i);
        return e;
      }
    }
    if (this.byCtx.size === 0) return undefined;
    const ck = Tlb.ctxKey(lpid, pid);
    const m = this.byCtx.get(ck);
    if (m === undefined) return undefined;
    for (const shift of this.shifts) {
      const key = alignDown(ea52, shift) + shift;
      const e = m.get(key);
      if (e !== undefined) {
        this.unmap(ck, m, key);
        this.toFront(e);
        return e;
      }
    }
    return undefined;
  }

  insert(entry: TlbEntry): void {
    entry.seq = this.seq++;
    const recent = this.recent;
    const n = this.nRecent;
    for (let i = 0; i < n; i++) {
      if (sameKey(recent[i]!, entry)) {
        recent[i] = entry;
        this.promote(i);
        return;
      }
    }
    if (this.byCtx.size !== 0) {
      const ck = Tlb.ctxKey(entry.lpid, entry.pid);
      const m = this.byCtx.get(ck);
      const key = entry.ea + entry.shift;
      if (m?.has(key) === true) this.unmap(ck, m, key);
    }
    this.toFront(entry);
  }

  /** Move front entry `i` to the front (most recent). */
  private promote(i: number): void {
    const recent = this.recent;
    const e = recent[i]!;
    for (let j = i; j > 0; j--) recent[j] = recent[j - 1]!;
    recent[0] = e;
  }

  /** Put `e` (in neither place) at the front; the least recent front entry goes to the maps. */
  private toFront(e: TlbEntry): void {
    const recent = this.recent;
    let n = this.nRecent;
    if (n === RECENT) {
      this.toMaps(recent[n - 1]!);
      n--;
    }
    for (let j = n; j > 0; j--) recent[j] = recent[j - 1]!;
    recent[0] = e;
    this.nRecent = n + 1;
  }

  private toMaps(e: TlbEntry): void {
    const ck = Tlb.ctxKey(e.lpid, e.pid);
    let m = this.byCtx.get(ck);
    if (m === undefined) {
      m = new Map();
      this.byCtx.set(ck, m);
    }
    m.set(e.ea + e.shift, e);
    if (!this.shifts.includes(e.shift)) {
      this.shifts = [...this.shifts, e.shift].sort((a, b) => a - b);
    }
  }

  private unmap(ck: number, m: Map<number, TlbEntry>, key: number): void {
    m.delete(key);
    if (m.size === 0) this.byCtx.delete(ck);
  }

  /** Remove front entry `i`. */
  private dropRecent(i: number): void {
    const recent = this.recent;
    const n = this.nRecent;
    for (let j = i + 1; j < n; j++) recent[j - 1] = recent[j]!;
    this.nRecent = n - 1;
  }

  /** Inspection without side effects: every entry, in insertion order. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = this.recent.slice(0, this.nRecent);
    for (const m of this.byCtx.values()) for (const e of m.values()) out.push(e);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Apply one invalidation; returns the number of entries removed. */
  invalidate(t: TlbiTarget): number {
    this.generation++;
    let removed = 0;
    for (let i = this.nRecent - 1; i >= 0; i--) {
      if (matches(this.recent[i]!, t)) {
        this.dropRecent(i);
        removed++;
      }
    }
    if (this.byCtx.size === 0) return removed;
    if (t.is === 0 && t.radix && t.prs) {
      // One page of one (LPID, PID): at most the one entry keyed by its base and size.
      const ck = Tlb.ctxKey(t.lpid, t.pid);
      const m = this.byCtx.get(ck);
      if (m === undefined) return removed;
      const key = alignDown(t.ea, t.shift) + t.shift;
      if (!m.has(key)) return removed;
      this.unmap(ck, m, key);
      return removed + 1;
    }
    for (const [ck, m] of this.byCtx) {
      for (const [k, e] of m) {
        if (matches(e, t)) {
          m.delete(k);
          removed++;
        }
      }
      if (m.size === 0) this.byCtx.delete(ck);
    }
    return removed;
  }
}

function sameKey(a: TlbEntry, b: TlbEntry): boolean {
  return a.lpid === b.lpid && a.pid === b.pid && a.ea === b.ea && a.shift === b.shift;
}

function matches(e: TlbEntry, t: TlbiTarget): boolean {
  switch (t.is) {
    case 0:
      if (!t.radix) return e.ea === alignDown(t.ea, e.shift);
      return (
        e.lpid === t.lpid &&
        (!t.prs || e.pid === t.pid) &&
        e.shift === t.shift &&
        e.ea === alignDown(t.ea, e.shift)
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
  // Converting RB and RS out of BigInt is most of the cost, and a CPU tends to
  // repeat one invalidation (the patching alias at every patch): keep the last.
  const d = LAST;
  if (rb !== d.rb) {
    const rbHi = Number(rb >> 32n);
    const rbLo = Number(rb & 0xffff_ffffn);
    d.is = (rbLo >>> 10) & 3;
    d.shift = SHIFT_BY_AP.get((rbLo >>> 5) & 7) ?? 12;
    d.ea = (rbHi & 0x000f_ffff) * 2 ** 32 + ((rbLo & 0xffff_f000) >>> 0);
    d.rb = rb;
  }
  if (rs !== d.rs) {
    d.lpid = Number(rs & 0xffff_ffffn);
    d.pid = Number(rs >> 32n) >>> 0;
    d.rs = rs;
  }
  t.is = d.is;
  t.shift = d.shift;
  t.lpid = lpidOverride ?? d.lpid;
  t.pid = d.pid;
  t.ea = d.ea;
  t.prs = prs;
  t.radix = r;
  return t;
}

/**
 * The last RB and RS decoded and their fields: an object's fields, not
 * module-level `let`s (see DEVELOPERS.md, "Where a patch's time goes").
 */
const LAST = { rb: -1n, is: 0, shift: 12, ea: 0, rs: -1n, lpid: 0, pid: 0 };

/** A TlbiTarget a caller reuses across decodes (Tlb.invalidate keeps no reference). */
export type MutableTlbiTarget = { -readonly [K in keyof TlbiTarget]: TlbiTarget[K] };

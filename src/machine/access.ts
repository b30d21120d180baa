import { alignDown } from "../util/bits.ts";
import type { Cpu, UnsyncedPtes } from "./cpu.ts";
import type { FootprintSink } from "./footprint.ts";
import { ICACHE_LINE, ICACHE_LINE_SHIFT } from "./icache.ts";
import type { Machine } from "./machine.ts";
import { Access, type Fault, FaultKind } from "./mmu/fault.ts";
import {
  type RadixWalkResult,
  radixPermissionCause,
  radixUpdateRc,
  radixWalk,
  type TableReader,
} from "./mmu/radix.ts";
import { EA_NO_QUADRANT, PTE_C_LO } from "./mmu/radix-format.ts";
import { DSISR_ISSTORE, MSR_HI_HV } from "./registers.ts";
import { TlbEntry } from "./tlb.ts";

const Q1 = 0x4000_0000_0000_0000n;
const Q2 = 0x8000_0000_0000_0000n;
const Q3 = 0xc000_0000_0000_0000n;
const REAL_MASK = 0x0fff_ffff_ffff_ffffn;
const TWO52 = 2 ** 52;

function fault(kind: FaultKind, ea: bigint, access: Access, dsisr: number, srr1: number): Fault {
  return { kind, ea, access, dsisr, srr1 };
}

/** The fault a failed walk or permission check becomes for this access type. */
function storageFault(ea: bigint, access: Access, cause: number): Fault {
  if (access === Access.IFETCH) return fault(FaultKind.ISI, ea, access, 0, cause);
  return fault(FaultKind.DSI, ea, access, cause | (access === Access.STORE ? DSISR_ISSTORE : 0), 0);
}

/**
 * SRR1 cause bits (value masks) of a machine check for a real address with
 * no memory behind it, as QEMU's powernv POWER9 raises it
 * (ppc_cpu_do_transaction_failed): a load sets SRR1[42] (load/store) and
 * DSISR[57]; a store SRR1[36,42,43,45] (DAR, not DSISR); a fetch
 * SRR1[36,44,45]. The kernel decodes them with mce_power.c's POWER9 tables.
 * UNVERIFIED against real POWER9 hardware, which reports a store's bad real
 * address asynchronously.
 */
const MCE_SRR1_LOAD = 0x0020_0000;
const MCE_SRR1_STORE = 0x0834_0000;
const MCE_SRR1_IFETCH = 0x080c_0000;
const MCE_DSISR_LOAD = 0x40;

/** The machine check of an access whose real address has no memory. */
function badRealAddress(ea: bigint, access: Access): Fault {
  if (access === Access.LOAD)
    return fault(FaultKind.MCE, ea, access, MCE_DSISR_LOAD, MCE_SRR1_LOAD);
  return fault(
    FaultKind.MCE,
    ea,
    access,
    0,
    access === Access.STORE ? MCE_SRR1_STORE : MCE_SRR1_IFETCH,
  );
}

function segmentFault(ea: bigint, access: Access): Fault {
  return fault(access === Access.IFETCH ? FaultKind.ISEG : FaultKind.DSEG, ea, access, 0, 0);
}

/** The (LPID, PID) a relocated EA translates under (Book III "Radix Quadrants"), or null → segment interrupt. */
function qualify(cpu: Cpu, ea: bigint, out: { lpid: number; pid: number }): boolean {
  const hv = (cpu.msrHi & MSR_HI_HV) !== 0;
  if (ea >= Q3) {
    out.lpid = hv ? 0 : cpu.lpidr;
    out.pid = 0;
  } else if (ea < Q1) {
    out.lpid = hv ? 0 : cpu.lpidr;
    out.pid = cpu.pidr;
  } else if (!hv) {
    return false;
  } else if (ea < Q2) {
    out.lpid = cpu.lpidr;
    out.pid = cpu.pidr;
  } else {
    out.lpid = cpu.lpidr;
    out.pid = 0;
  }
  return true;
}

/** Memory as a CPU's walker sees it while it has page-table stores not yet ptesync'd. */
class UnsyncedReader implements TableReader {
  readonly m: Machine;
  readonly unsynced: UnsyncedPtes;
  constructor(m: Machine, unsynced: UnsyncedPtes) {
    this.m = m;
    this.unsynced = unsynced;
  }
  readBe32(pa: number): number {
    return this.unsynced.word(pa) ?? this.m.mem.readBe32(pa);
  }
}

/** A walker's reads reported to the machine's footprint sink (a checker's dependency relation). */
class RecordingReader implements TableReader {
  readonly inner: TableReader;
  readonly sink: FootprintSink;
  constructor(inner: TableReader, sink: FootprintSink) {
    this.inner = inner;
    this.sink = sink;
  }
  readBe32(pa: number): number {
    this.sink.mem(pa, 4, false);
    return this.inner.readBe32(pa);
  }
}

/** The table walk as this CPU's MMU sees memory (its own unsynced PTE stores hidden). */
function walk(
  m: Machine,
  cpu: Cpu,
  lpid: number,
  pid: number,
  ea52: number,
  ea: bigint,
): RadixWalkResult {
  if (m.mmu === "hash") return m.hash.translate(ea < Q1 ? cpu.pidr : 0, ea52);
  const unsynced = cpu.unsyncedPte;
  const read = unsynced.size === 0 ? m.mem : new UnsyncedReader(m, unsynced);
  const sink = m.footprint;
  if (sink === null) return radixWalk(read, cpu.ptcr, lpid, pid, ea52);
  return radixWalk(new RecordingReader(read, sink), cpu.ptcr, lpid, pid, ea52);
}

const ctx = { lpid: 0, pid: 0 };

/**
 * `Number(ea & EA_NO_QUADRANT)` for the last few EAs translated: the BigInt
 * `&` and conversion cost about 20 ns (util/last.ts), and the kernel's
 * stores, icbi and fetches come back to the same few addresses.
 */
const EA52_KEYS: (bigint | null)[] = [null, null, null, null];
const EA52_VALUES: number[] = [0, 0, 0, 0];
const EA52_NEXT = { slot: 0 };
function ea52Of(ea: bigint): number {
  const keys = EA52_KEYS;
  for (let i = 0; i < 4; i++) if (keys[i] === ea) return EA52_VALUES[i]!;
  const v = Number(ea & EA_NO_QUADRANT);
  const slot = EA52_NEXT.slot;
  keys[slot] = ea;
  EA52_VALUES[slot] = v;
  EA52_NEXT.slot = (slot + 1) & 3;
  return v;
}

/**
 * Translate an effective address for an access by `cpu`, with the hardware's
 * side effects: TLB lookup, on a miss a table walk that records R (and C for a
 * store) and fills the TLB. Returns the real address or a `Fault`.
 * Real mode (MSR[IR]/[DR]=0): the real address is EA & 0x0FFF_FFFF_FFFF_FFFF.
 * Either way, a real address with no memory behind it is a machine check.
 *
 * SIMPLIFICATION: HRMOR is taken as 0. A store through a cached entry whose C
 * bit is clear re-walks (to record C), so it sees the current PTE.
 */
export function translate(m: Machine, cpu: Cpu, ea: bigint, access: Access): number | Fault {
  const relocate = access === Access.IFETCH ? cpu.ir : cpu.dr;
  if (!relocate) {
    const pa = Number(ea & REAL_MASK);
    if (!m.mem.contains(pa, 1)) return badRealAddress(ea, access);
    return pa;
  }
  if (!qualify(cpu, ea, ctx)) return segmentFault(ea, access);
  const lpid = ctx.lpid;
  const pid = ctx.pid;
  const ea52 = ea52Of(ea);
  // EA bits 2:11 must be zero (rounding keeps anything >= 2^52 at or above it).
  if (ea52 >= TWO52) return segmentFault(ea, access);
  const tlb = m.tlbOf(cpu);
  let e = tlb.lookup(lpid, pid, ea52) ?? null;
  // A hit only reads this CPU's TLB; a fill (even one that faults after the walk) writes it.
  m.footprint?.tlb(cpu.id, e === null);
  if (e === null) {
    const filled = fill(m, cpu, lpid, pid, ea52, ea, access);
    if (!(typeof filled === "object" && "shift" in filled)) return filled;
    e = filled;
  }
  const cause = radixPermissionCause(e.flags, access, cpu.pr);
  if (cause !== 0) return storageFault(ea, access, cause);
  if (access === Access.STORE && (e.flags & PTE_C_LO) === 0) {
    m.footprint?.tlb(cpu.id, true);
    const filled = fill(m, cpu, lpid, pid, ea52, ea, access);
    if (!(typeof filled === "object" && "shift" in filled)) return filled;
    e = filled;
  }
  const pa = e.pa + (ea52 - e.ea);
  // The translation is made (TLB filled, R/C set); the access itself fails.
  if (pa >= m.mem.size) return badRealAddress(ea, access);
  return pa;
}

/** Walk, check, record R/C and insert into the TLB. */
function fill(
  m: Machine,
  cpu: Cpu,
  lpid: number,
  pid: number,
  ea52: number,
  ea: bigint,
  access: Access,
): TlbEntry | Fault {
  const w = walk(m, cpu, lpid, pid, ea52, ea);
  if (!w.ok) return w.segment ? segmentFault(ea, access) : storageFault(ea, access, w.cause);
  const cause = radixPermissionCause(w.flags, access, cpu.pr);
  if (cause !== 0) return storageFault(ea, access, cause);
  let flags = w.flags;
  if (m.mmu === "hash") {
    m.hash.setRc(ea < Q1 ? cpu.pidr : 0, ea52, w.shift, access === Access.STORE ? 0x180n : 0x100n);
    flags = (flags | (access === Access.STORE ? 0x180 : 0x100)) >>> 0;
  } else {
    flags = radixUpdateRc(m.mem, w, access);
    // R/C written back only when a bit was clear (the walk read the leaf already).
    if (flags !== w.flags) m.footprint?.mem(w.pteAddr + 4, 4, true);
  }
  const entry = new TlbEntry(
    lpid,
    pid,
    alignDown(ea52, w.shift),
    w.shift,
    alignDown(w.pa, w.shift),
    w.pteHi,
    flags,
    w.pteAddr,
  );
  m.tlbOf(cpu).insert(entry);
  m.footprint?.tlbEntry(cpu.id, entry.shift, entry.ea, true);
  return entry;
}

/** What `translate` would give, without side effects (no R/C, no TLB fill). */
export interface Inspection {
  readonly pa: number;
  /** Where the translation came from: this CPU's TLB, a fresh walk, or real mode. */
  readonly source: "tlb" | "walk" | "real";
  readonly entry: TlbEntry | null;
}

/**
 * Inspect a translation as `cpu` would perform it now, `{ sideEffects: false }`:
 * a TLB hit is reported as such (even if the tables changed since), otherwise
 * the tables are walked without recording R/C and without filling the TLB.
 */
export function inspectTranslation(
  m: Machine,
  cpu: Cpu,
  ea: bigint,
  access: Access,
): Inspection | Fault {
  const relocate = access === Access.IFETCH ? cpu.ir : cpu.dr;
  if (!relocate) {
    const pa = Number(ea & REAL_MASK);
    if (!m.mem.contains(pa, 1)) return fault(FaultKind.MCE, ea, access, 0, 0);
    return { pa, source: "real", entry: null };
  }
  const c = { lpid: 0, pid: 0 };
  if (!qualify(cpu, ea, c)) return segmentFault(ea, access);
  const ea52 = Number(ea & EA_NO_QUADRANT);
  if (ea52 >= TWO52) return segmentFault(ea, access);
  const e = cpu.tlb?.lookup(c.lpid, c.pid, ea52);
  if (e !== undefined) {
    const cause = radixPermissionCause(e.flags, access, cpu.pr);
    if (cause !== 0) return storageFault(ea, access, cause);
    return { pa: e.pa + (ea52 - e.ea), source: "tlb", entry: e };
  }
  const w = walk(m, cpu, c.lpid, c.pid, ea52, ea);
  if (!w.ok) return w.segment ? segmentFault(ea, access) : storageFault(ea, access, w.cause);
  const cause = radixPermissionCause(w.flags, access, cpu.pr);
  if (cause !== 0) return storageFault(ea, access, cause);
  return { pa: w.pa, source: "walk", entry: null };
}

/**
 * Load 1, 2, 4 or 8 bytes (little-endian) at `ea` through `cpu`'s translation.
 * An access crossing a 4 KiB boundary is translated byte by byte.
 */
export function load(m: Machine, cpu: Cpu, ea: bigint, size: 1 | 2 | 4 | 8): bigint | Fault {
  const pa = translate(m, cpu, ea, Access.LOAD);
  if (typeof pa !== "number") return pa;
  m.footprint?.mem(pa, size, false);
  if ((pa & 4095) + size <= 4096) return m.mem.read(pa, size);
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) {
    const b = translate(m, cpu, BigInt.asUintN(64, ea + BigInt(i)), Access.LOAD);
    if (typeof b !== "number") return b;
    v = (v << 8n) | BigInt(m.mem.read8(b));
  }
  return v;
}

/** Store the low 1, 2, 4 or 8 bytes of `value` at `ea`; returns a Fault or null. */
export function store(
  m: Machine,
  cpu: Cpu,
  ea: bigint,
  size: 1 | 2 | 4 | 8,
  value: bigint | number,
): Fault | null {
  const pa = translate(m, cpu, ea, Access.STORE);
  if (typeof pa !== "number") return pa;
  m.footprint?.mem(pa, size, true);
  if ((pa & 4095) + size <= 4096) {
    // A value of up to 4 bytes may come as a number: no BigInt made and undone.
    if (typeof value !== "number") m.mem.write(pa, size, value);
    else if (size !== 8) m.mem.writeSmall(pa, size, value);
    else m.mem.write(pa, size, BigInt(value));
    return null;
  }
  const v = typeof value === "number" ? BigInt(value) : value;
  const pas: number[] = [];
  for (let i = 0; i < size; i++) {
    const b = translate(m, cpu, BigInt.asUintN(64, ea + BigInt(i)), Access.STORE);
    if (typeof b !== "number") return b;
    pas.push(b);
  }
  pas.forEach((b, i) => {
    m.mem.write8(b, Number((v >> BigInt(8 * i)) & 0xffn));
  });
  return null;
}

/** Fetch the instruction word at `ea` (4-byte aligned) through the ITLB and this CPU's icache. */
export function fetch(m: Machine, cpu: Cpu, ea: bigint): number | Fault {
  const sink = m.footprint;
  const pa = translate(m, cpu, ea, Access.IFETCH);
  if (typeof pa !== "number") return pa;
  const ic = m.icacheOf(cpu);
  if (sink !== null) {
    // A miss fills the whole line from memory (writing the icache); a hit only reads it.
    const miss = !ic.holds(pa);
    sink.icache(cpu.id, miss);
    if (miss) sink.mem(alignDown(pa, ICACHE_LINE_SHIFT), ICACHE_LINE, false);
  }
  return ic.fetch32(m.mem, pa);
}

/**
 * `icbi` at `ea` by `cpu`: translated like a load (a fault is possible), then
 * the line is marked stale in every CPU's icache.
 */
export function icbi(m: Machine, cpu: Cpu, ea: bigint): Fault | null {
  const pa = translate(m, cpu, ea, Access.LOAD);
  if (typeof pa !== "number") return pa;
  m.icbi(pa);
  return null;
}

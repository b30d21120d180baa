/**
 * Storage control (Power ISA v3.1 Book II "Storage Control Instructions",
 * "Memory Barrier Instructions", Book III "Storage Control"): the cache
 * management instructions, the barriers, isync, and the TLB/SLB management
 * through the machine's operations.
 */
import { icbi } from "../access.ts";
import { Access } from "../mmu/fault.ts";
import { type Builder, type Handler, REVALIDATE } from "./context.ts";
import { eaIndexed } from "./ea.ts";
import { privileged } from "./processor-ctrl.ts";

const RS = (w: number): number => (w >>> 21) & 31;
const RA = (w: number): number => (w >>> 16) & 31;
const RB = (w: number): number => (w >>> 11) & 31;

/** The data cache block size of POWER9/POWER10 (dcbz zeroes this much). */
export const DCACHE_BLOCK = 128;
const ZERO_BLOCK = new Uint8Array(DCACHE_BLOCK);

const nop: Builder = () => () => 1;

/**
 * isync: context synchronising — this CPU's stale icache lines are dropped
 * (and with them their predecoded handlers), so later fetches see memory.
 */
const isync: Builder = () => (x) => {
  x.m.isync(x.cpu);
  return 1;
};

/**
 * sync L (hwsync 0, lwsync 1, ptesync 2, and the v3.1 variants): ordering is
 * trivially respected by an in-order model; ptesync additionally makes this
 * CPU's page-table stores visible to its own table walks.
 */
const sync: Builder = (w) => {
  const l = (w >>> 21) & 7;
  if (l === 2) {
    return (x) => {
      x.m.ptesync(x.cpu);
      return REVALIDATE;
    };
  }
  return nop(w, 0, 0, false);
};

/** icbi RA,RB: translated like a load (may fault), then the line is stale in every icache. */
const icbiOp: Builder = (w) => {
  const ea = eaIndexed(RA(w), RB(w));
  return (x) => {
    ea(x);
    const f = icbi(x.m, x.cpu, x.t[0]!);
    return f === null ? 1 : x.fault(f);
  };
};

/** dcbz RA,RB: zero the aligned 128-byte block (a store for translation and reservations). */
const dcbz: Builder = (w) => {
  const ea = eaIndexed(RA(w), RB(w));
  return (x) => {
    ea(x);
    x.t[0] = x.t[0]! & ~BigInt(DCACHE_BLOCK - 1);
    const pa = x.realAddress(Access.STORE);
    if (pa < 0) return pa;
    x.m.mem.writeBytes(pa, ZERO_BLOCK);
    if (x.m.reservationCount !== 0) x.m.clearReservations(x.cpu, pa, DCACHE_BLOCK);
    return 1;
  };
};

/**
 * tlbie / tlbiel RB,RS,RIC,PRS,R (isa.md §12.1) through the machine; the
 * data fast path is revalidated afterwards.
 */
function tlbi(local: boolean): Builder {
  return (w) => {
    const rb = RB(w);
    const rs = RS(w);
    const ric = (w >>> 18) & 3;
    const prs = ((w >>> 17) & 1) !== 0;
    const r = ((w >>> 16) & 1) !== 0;
    const h: Handler = (x) => {
      if (local) x.m.tlbiel(x.cpu, x.g[rb]!, x.g[rs]!, ric, prs, r);
      else x.m.tlbie(x.cpu, x.g[rb]!, x.g[rs]!, ric, prs, r);
      return REVALIDATE;
    };
    return privileged(h);
  };
}

/**
 * slbia / slbie / slbmte / slbsync: Radix translation uses no SLB; the
 * machine's hash mode keeps no SLB either, so they only revalidate.
 * SIMPLIFICATION: no SLB state.
 */
const slbOp: Builder = () => privileged(() => REVALIDATE);

export function storageCtrlExec(): Readonly<Record<string, Builder>> {
  return {
    isync,
    sync,
    // eieio only orders; the model executes in order.
    eieio: nop,
    icbi: icbiOp,
    dcbz,
    dclz: dcbz,
    // SIMPLIFICATION: dcbst/dcbf/dcbt/dcbtst/icbt are hints with no architectural
    // effect on this cache model (no data cache), and never fault.
    dcbst: nop,
    dcbf: nop,
    dcbt: nop,
    dcbtst: nop,
    icbt: nop,
    dcbi: (w) => privileged(nop(w, 0, 0, false)!),
    tlbie: tlbi(false),
    tlbiel: tlbi(true),
    tlbsync: (w) => privileged(nop(w, 0, 0, false)!),
    slbia: slbOp,
    slbie: slbOp,
    slbieg: slbOp,
    slbiag: slbOp,
    slbmte: slbOp,
    slbsync: slbOp,
    wait: nop,
  };
}

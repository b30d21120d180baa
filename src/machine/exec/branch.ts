/**
 * Branch facility (Power ISA v3.1 Book I ch. 2): b, bc, bclr, bcctr and the
 * Condition Register logical instructions. A taken branch whose target lies in
 * the current 4 KiB page returns LOCAL with the word index (no bigint work);
 * otherwise JUMP with `x.npc`.
 */
import { Spr } from "../cpu.ts";
import { type Builder, type ExecContext, type Handler, JUMP, LOCAL } from "./context.ts";

const LR_LO = 2 * Spr.LR;
const CTR_LO = 2 * Spr.CTR;

/** I-form b/ba/bl/bla. */
const b: Builder = (w, _p, off) => {
  const li = ((w & 0x03ff_fffc) << 6) >> 6;
  const aa = (w & 2) !== 0;
  const lk = (w & 1) !== 0;
  const lr = BigInt(off + 4);
  if (aa) {
    const target = BigInt.asUintN(64, BigInt(li));
    return (x) => {
      if (lk) x.cpu.spr[Spr.LR] = x.pageBase + lr;
      x.npc = target;
      return JUMP;
    };
  }
  const t = off + li;
  if (t >= 0 && t < 4096) {
    const nidx = t >> 2;
    if (!lk)
      return (x) => {
        x.nidx = nidx;
        return LOCAL;
      };
    return (x) => {
      x.cpu.spr[Spr.LR] = x.pageBase + lr;
      x.nidx = nidx;
      return LOCAL;
    };
  }
  const rel = BigInt(t);
  return (x) => {
    if (lk) x.cpu.spr[Spr.LR] = x.pageBase + lr;
    x.npc = BigInt.asUintN(64, x.pageBase + rel);
    return JUMP;
  };
};

/**
 * The BO test shared by bc/bclr/bcctr: decrement CTR unless BO[2], then
 * "CTR ok" and "condition ok" (Book I "Branch Instructions", isa.md §3).
 * Returns 1 when the branch is taken.
 */
function boTest(bo: number, bi: number): (x: ExecContext) => number {
  const decr = (bo & 4) === 0;
  const ctrZeroWanted = (bo & 2) !== 0;
  const ignoreCond = (bo & 16) !== 0;
  const condWanted = (bo >>> 3) & 1;
  const crShift = 31 - bi;
  if (!decr && ignoreCond) return () => 1;
  if (!decr) return (x) => (((x.cpu.cr >>> crShift) & 1) === condWanted ? 1 : 0);
  return (x) => {
    const s = x.spr32;
    let lo = s[CTR_LO]!;
    if (lo === 0) s[CTR_LO + 1] = s[CTR_LO + 1]! - 1;
    lo = (lo - 1) >>> 0;
    s[CTR_LO] = lo;
    const zero = (lo | s[CTR_LO + 1]!) === 0;
    if (zero !== ctrZeroWanted) return 0;
    return ignoreCond || ((x.cpu.cr >>> crShift) & 1) === condWanted ? 1 : 0;
  };
}

/** B-form bc family. */
const bc: Builder = (w, _p, off) => {
  const bo = (w >>> 21) & 31;
  const bi = (w >>> 16) & 31;
  const bd = ((w << 16) >> 16) & ~3;
  const aa = (w & 2) !== 0;
  const lk = (w & 1) !== 0;
  const test = boTest(bo, bi);
  const lr = BigInt(off + 4);
  const t = off + bd;
  let taken: Handler;
  if (aa) {
    const target = BigInt.asUintN(64, BigInt(bd));
    taken = (x) => {
      x.npc = target;
      return JUMP;
    };
  } else if (t >= 0 && t < 4096) {
    const nidx = t >> 2;
    taken = (x) => {
      x.nidx = nidx;
      return LOCAL;
    };
  } else {
    const rel = BigInt(t);
    taken = (x) => {
      x.npc = BigInt.asUintN(64, x.pageBase + rel);
      return JUMP;
    };
  }
  if (!lk && !aa && t >= 0 && t < 4096) {
    const nidx = t >> 2;
    const crShift = 31 - bi;
    const want = (bo >>> 3) & 1;
    if ((bo & 0x14) === 0x4) {
      // bt/bf (beq, bne, blt ...): the condition only, inline.
      return (x) => {
        if (((x.cpu.cr >>> crShift) & 1) !== want) return 1;
        x.nidx = nidx;
        return LOCAL;
      };
    }
    if ((bo & 0x16) === 0x10) {
      // bdnz: decrement CTR, branch while it is not zero.
      return (x) => {
        const s = x.spr32;
        const lo = s[CTR_LO]!;
        if (lo === 0) s[CTR_LO + 1] = s[CTR_LO + 1]! - 1;
        s[CTR_LO] = lo - 1;
        if (lo === 1 && s[CTR_LO + 1] === 0) return 1;
        x.nidx = nidx;
        return LOCAL;
      };
    }
    return (x) => {
      if (test(x) === 0) return 1;
      x.nidx = nidx;
      return LOCAL;
    };
  }
  return (x) => {
    const go = test(x);
    if (lk) x.cpu.spr[Spr.LR] = x.pageBase + lr;
    return go ? taken(x) : 1;
  };
};

/** Continue at the address in SPR pair `lo` (LR or CTR), low two bits cleared. */
function toRegister(x: ExecContext, lo: number, spr: number): number {
  const s = x.spr32;
  const tlo = s[lo]! & ~3;
  if (s[lo + 1] === x.pageHi && (tlo & ~0xfff) >>> 0 === x.pageLo) {
    x.nidx = (tlo & 0xfff) >>> 2;
    return LOCAL;
  }
  x.npc = x.cpu.spr[spr]! & ~3n;
  return JUMP;
}

/** TAR (SPR 815), kept with the machine's miscellaneous SPRs. */
const SPR_TAR = 815;

/** bctar[l] (v2.07): branch to TAR & ~3 under the BO/BI condition. */
const bctar: Builder = (w, _p, off) => {
  const bo = (w >>> 21) & 31;
  const bi = (w >>> 16) & 31;
  const lk = (w & 1) !== 0;
  if ((bo & 4) === 0) return null;
  const test = boTest(bo, bi);
  const lr = BigInt(off + 4);
  return (x) => {
    const go = test(x);
    const target = (x.cpu.sprMisc.get(SPR_TAR) ?? 0n) & ~3n;
    if (lk) x.cpu.spr[Spr.LR] = x.pageBase + lr;
    if (!go) return 1;
    x.npc = target;
    return JUMP;
  };
};

/** XL-form bclr / bcctr (LR is written after the target is read). */
function bcreg(ctr: boolean): Builder {
  return (w, _p, off) => {
    const bo = (w >>> 21) & 31;
    const bi = (w >>> 16) & 31;
    const lk = (w & 1) !== 0;
    // bcctr with a CTR-decrementing BO is an invalid form.
    if (ctr && (bo & 4) === 0) return null;
    const test = boTest(bo, bi);
    const lr = BigInt(off + 4);
    const lo = ctr ? CTR_LO : LR_LO;
    const spr = ctr ? Spr.CTR : Spr.LR;
    if (!lk) return (x) => (test(x) ? toRegister(x, lo, spr) : 1);
    return (x) => {
      if (!test(x)) {
        x.cpu.spr[Spr.LR] = x.pageBase + lr;
        return 1;
      }
      x.npc = x.cpu.spr[spr]! & ~3n;
      x.cpu.spr[Spr.LR] = x.pageBase + lr;
      return JUMP;
    };
  };
}

/** XL-form CR logical: CR[BT] = f(CR[BA], CR[BB]). */
function crLogic(f: (a: number, b: number) => number): Builder {
  return (w) => {
    const bt = 31 - ((w >>> 21) & 31);
    const ba = 31 - ((w >>> 16) & 31);
    const bb = 31 - ((w >>> 11) & 31);
    return (x) => {
      const cr = x.cpu.cr;
      const v = f((cr >>> ba) & 1, (cr >>> bb) & 1) & 1;
      x.cpu.cr = ((cr & ~(1 << bt)) | (v << bt)) >>> 0;
      return 1;
    };
  };
}

/** mcrf BF,BFA: copy a CR field. */
const mcrf: Builder = (w) => {
  const bf = (w >>> 23) & 7;
  const bfa = (w >>> 18) & 7;
  return (x) => {
    const v = (x.cpu.cr >>> (28 - 4 * bfa)) & 0xf;
    const sh = 28 - 4 * bf;
    x.cpu.cr = ((x.cpu.cr & ~(0xf << sh)) | (v << sh)) >>> 0;
    return 1;
  };
};

export function branchExec(): Readonly<Record<string, Builder>> {
  return {
    b,
    bc,
    bclr: bcreg(false),
    bcctr: bcreg(true),
    bctar,
    crand: crLogic((a, b) => a & b),
    crnand: crLogic((a, b) => ~(a & b)),
    cror: crLogic((a, b) => a | b),
    crnor: crLogic((a, b) => ~(a | b)),
    crxor: crLogic((a, b) => a ^ b),
    creqv: crLogic((a, b) => ~(a ^ b)),
    crandc: crLogic((a, b) => a & ~b),
    crorc: crLogic((a, b) => a | ~b),
    mcrf,
  };
}

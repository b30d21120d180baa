/**
 * Processor control (Power ISA v3.1 Book I "System Call", Book III "Processor
 * Control", "Move To/From System Register"): sc/scv, rfid/hrfid, the MSR and
 * SPR moves, addpcis, darn. Privileged instructions in problem state raise a
 * program interrupt with SRR1[PROGPRIV].
 */
import { Spr } from "../cpu.ts";
import { rfid, systemCall } from "../exceptions.ts";
import {
  MSR_EE,
  MSR_HI_HV,
  MSR_ME,
  MSR_RI,
  MSR_S,
  SRR1_CAUSE_MASK_LO,
  SRR1_PROGPRIV,
} from "../registers.ts";
import { type Builder, CTX, type ExecContext, type Handler, REVALIDATE } from "./context.ts";
import { XER_CA, XER_CA32, XER_OV, XER_OV32, XER_SO } from "./flags.ts";

const RT = (w: number): number => (w >>> 21) & 31;

/** Wrap a privileged instruction: problem state → program interrupt (privileged). */
export function privileged(h: Handler): Handler {
  return (x) => (x.cpu.pr ? x.program(SRR1_PROGPRIV) : h(x));
}

/** The bits of XER an mtxer writes: SO, OV, CA, OV32, CA32 and the byte count. */
const XER_MASK = (XER_SO | XER_OV | XER_CA | XER_OV32 | XER_CA32 | 0x7f) >>> 0;

/** Processor Version Register values of the modelled CPUs (as qemu reports them). */
const PVR_POWER9 = 0x004e_1202n;
const PVR_POWER10 = 0x0080_0200n;

interface SprAccess {
  /** Readable and writable in problem state. */
  readonly user: boolean;
  readonly read?: (x: ExecContext) => bigint;
  readonly write?: (x: ExecContext, v: bigint) => number;
}

function plain(index: number, user: boolean): SprAccess {
  return {
    user,
    read: (x) => x.cpu.spr[index]!,
    write: (x, v) => {
      x.cpu.spr[index] = v;
      return 1;
    },
  };
}

/** An SPR the machine keeps no state for: reads its last written value (0 at reset). */
function misc(n: number, user: boolean): SprAccess {
  return {
    user,
    read: (x) => x.cpu.sprMisc.get(n) ?? 0n,
    write: (x, v) => {
      x.cpu.sprMisc.set(n, v);
      return 1;
    },
  };
}

/**
 * The SPRs this machine has, by number (Book III "SPR list"; isa.md §9).
 * Numbers with the 0x10 bit set are privileged: in problem state they raise a
 * privileged-instruction program interrupt; an unknown SPR is an illegal
 * instruction (hypervisor emulation assistance).
 * SIMPLIFICATION: hypervisor-privileged SPRs are accessible at PR=0 whatever MSR[HV] is.
 */
const SPRS: ReadonlyMap<number, SprAccess> = new Map<number, SprAccess>([
  [
    1,
    {
      user: true,
      read: (x) => BigInt(x.cpu.xer >>> 0),
      write: (x, v) => {
        x.cpu.xer = Number(v & BigInt(XER_MASK)) >>> 0;
        return 1;
      },
    },
  ],
  [3, misc(3, true)], // DSCR (problem-state alias)
  [8, plain(Spr.LR, true)],
  [9, plain(Spr.CTR, true)],
  [13, misc(13, true)], // AMR
  [17, misc(3, false)], // DSCR
  [
    18,
    {
      user: false,
      read: (x) => BigInt(x.cpu.dsisr >>> 0),
      write: (x, v) => {
        x.cpu.dsisr = Number(v & 0xffff_ffffn) >>> 0;
        return 1;
      },
    },
  ],
  [19, plain(Spr.DAR, false)],
  [
    22,
    {
      user: false,
      read: (x) => BigInt.asUintN(64, BigInt(x.cpu.readDec(x.m.tb))),
      write: (x, v) => {
        x.cpu.writeDec(x.m.tb, Number(v & 0xffff_ffffn) | 0);
        return 1;
      },
    },
  ],
  [26, plain(Spr.SRR0, false)],
  [27, plain(Spr.SRR1, false)],
  [29, misc(13, false)], // AMR
  [
    48,
    {
      user: false,
      read: (x) => BigInt(x.cpu.pidr >>> 0),
      write: (x, v) => {
        x.m.setPidr(x.cpu, Number(v & 0xffff_ffffn));
        return REVALIDATE;
      },
    },
  ],
  [256, misc(256, true)], // VRSAVE
  [259, { user: true, read: (x) => x.cpu.spr[Spr.SPRG3]! }], // SPRG3 user read
  [
    268,
    { user: true, read: (x) => BigInt(x.m.tb) }, // TB (mftb)
  ],
  [269, { user: true, read: (x) => BigInt(x.m.tb) >> 32n }], // TBU
  [272, plain(Spr.SPRG0, false)],
  [273, plain(Spr.SPRG1, false)],
  [274, plain(Spr.SPRG2, false)],
  [275, plain(Spr.SPRG3, false)],
  [287, { user: false, read: (x) => (x.power10 ? PVR_POWER10 : PVR_POWER9) }],
  [304, plain(Spr.HSPRG0, false)],
  [305, plain(Spr.HSPRG1, false)],
  [314, plain(Spr.HSRR0, false)],
  [315, plain(Spr.HSRR1, false)],
  [
    318,
    {
      user: false,
      read: (x) => x.cpu.lpcr,
      write: (x, v) => {
        x.cpu.lpcr = v;
        return REVALIDATE;
      },
    },
  ],
  [
    319,
    {
      user: false,
      read: (x) => BigInt(x.cpu.lpidr >>> 0),
      write: (x, v) => {
        x.cpu.lpidr = Number(v & 0xffff_ffffn) >>> 0;
        return REVALIDATE;
      },
    },
  ],
  [
    464,
    {
      user: false,
      read: (x) => x.cpu.ptcr,
      write: (x, v) => {
        x.cpu.ptcr = v;
        return REVALIDATE;
      },
    },
  ],
  [815, misc(815, true)], // TAR
  [896, misc(896, true)], // PPR
  [898, misc(896, true)], // PPR32
  [1023, { user: false, read: (x) => BigInt(x.cpu.pir) }],
]);

/** Is an SPR number privileged (its 0x10 bit, Book III "Move To/From SPR")? */
function sprPrivileged(n: number): boolean {
  return (n & 0x10) !== 0;
}

const mfspr: Builder = (w) => {
  const rt = RT(w);
  const n = ((w >>> 16) & 31) | (((w >>> 11) & 31) << 5);
  const a = SPRS.get(n);
  const priv = sprPrivileged(n) || (a !== undefined && !a.user);
  return (x) => {
    if (priv && x.cpu.pr) return x.program(SRR1_PROGPRIV);
    if (a?.read === undefined) return x.illegal();
    x.g[rt] = a.read(x);
    return 1;
  };
};

const mtspr: Builder = (w) => {
  const rs = RT(w);
  const n = ((w >>> 16) & 31) | (((w >>> 11) & 31) << 5);
  const a = SPRS.get(n);
  const priv = sprPrivileged(n) || (a !== undefined && !a.user);
  return (x) => {
    if (priv && x.cpu.pr) return x.program(SRR1_PROGPRIV);
    if (a?.write === undefined) return x.illegal();
    return a.write(x, x.g[rs]!);
  };
};

/** The SPR an mtspr word writes (for the stepping layer's yield kind). */
export function mtsprNumber(w: number): number {
  return ((w >>> 16) & 31) | (((w >>> 11) & 31) << 5);
}

const mfmsr: Builder = (w) => {
  const rt = RT(w);
  return privileged((x) => {
    x.g[rt] = x.cpu.msr;
    return 1;
  });
};

/**
 * mtmsrd RS,L: L=1 moves only EE and RI; L=0 moves the MSR except HV, S and
 * (outside hypervisor state) ME, which keep their values. Not context
 * synchronising, but translation may change: continue revalidated.
 * mtmsr (the 32-bit form) is treated as mtmsrd of the low word.
 */
function mtmsr(wide: boolean): Builder {
  return (w) => {
    const rs = RT(w);
    const l = (w >>> 16) & 1;
    return privileged((x) => {
      const cpu = x.cpu;
      const vlo = x.g32[2 * rs]!;
      const vhi = x.g32[2 * rs + 1]!;
      if (l === 1) {
        cpu.msrLo = ((cpu.msrLo & ~(MSR_EE | MSR_RI)) | (vlo & (MSR_EE | MSR_RI))) >>> 0;
      } else {
        const keepLo = MSR_S | (cpu.hv ? 0 : MSR_ME);
        cpu.msrLo = ((vlo & ~keepLo) | (cpu.msrLo & keepLo)) >>> 0;
        if (wide) cpu.msrHi = ((vhi & ~MSR_HI_HV) | (cpu.msrHi & MSR_HI_HV)) >>> 0;
      }
      return REVALIDATE;
    });
  };
}

const rfidOp: Builder = () =>
  privileged((x) => {
    rfid(x.cpu);
    return CTX;
  });

/** hrfid: MSR ← HSRR1 (cause bits excluded), NIA ← HSRR0; hypervisor state only. */
const hrfid: Builder = () =>
  privileged((x) => {
    const cpu = x.cpu;
    if (!cpu.hv) return x.program(SRR1_PROGPRIV);
    const v = cpu.hsrr1;
    cpu.msrHi = Number((v >> 32n) & 0xffff_ffffn) >>> 0;
    cpu.msrLo = (Number(v & 0xffff_ffffn) & ~SRR1_CAUSE_MASK_LO) >>> 0;
    cpu.nia = cpu.hsrr0 & ~3n;
    cpu.icache?.contextSynchronize();
    return CTX;
  });

/**
 * sc / scv: with a user-mode emulation installed, it handles the call; else
 * the System Call interrupt (0xC00, SRR0 = next instruction).
 * SIMPLIFICATION: without an emulation, scv is delivered as sc would be.
 */
function sc(vectored: boolean): Builder {
  return () => (x) => {
    const h = x.hooks.syscall;
    if (h !== undefined) return h(x, vectored);
    systemCall(x.cpu, x.cia());
    return CTX;
  };
}

/** addpcis RT,D (v3.0; also lnia/subpcis): RT = NIA + (D << 16). */
const addpcis: Builder = (w, _p, off) => {
  const rt = RT(w);
  const d = (((w & 0xffc0) | ((w >>> 15) & 0x3e) | (w & 1)) << 16) >> 16;
  const rel = BigInt(off + 4) + (BigInt(d) << 16n);
  return (x) => {
    x.g[rt] = x.pageBase + rel;
    return 1;
  };
};

/**
 * darn RT,L (v3.0): deterministic runs cannot take hardware randomness, so it
 * always reports failure (0xFFFF_FFFF_FFFF_FFFF).
 * SIMPLIFICATION: no random number source.
 */
const darn: Builder = (w) => {
  const rt = RT(w);
  return (x) => {
    x.g[rt] = 0xffff_ffff_ffff_ffffn;
    return 1;
  };
};

export function processorCtrlExec(): Readonly<Record<string, Builder>> {
  return {
    mfspr,
    mtspr,
    mfmsr,
    mtmsrd: mtmsr(true),
    mtmsr: mtmsr(false),
    rfid: rfidOp,
    hrfid,
    sc: sc(false),
    scv: sc(true),
    addpcis,
    subpcis: addpcis,
    darn,
  };
}

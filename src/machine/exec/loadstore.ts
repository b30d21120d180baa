/**
 * Fixed-point loads and stores (Power ISA v3.1 Book I "Fixed-Point Load and
 * Store Instructions", "Load and Store with Byte Reversal", "Prefixed
 * Load/Store") and the atomic primitives (Book II "Load And Reserve and Store
 * Conditional Instructions"). Little-endian mode only (MSR[LE]=1).
 */
import { Access } from "../mmu/fault.ts";
import type { Builder, ExecContext, Handler } from "./context.ts";
import { eaIndexed, eaPrefixed } from "./ea.ts";

const RT = (w: number): number => (w >>> 21) & 31;
const RA = (w: number): number => (w >>> 16) & 31;
const RB = (w: number): number => (w >>> 11) & 31;
const D = (w: number): number => (w << 16) >> 16;
const DS = (w: number): number => ((w << 16) >> 16) & ~3;

/** How a loaded value lands in RT. */
type Ext = "zero" | "sign" | "rev";
type Size = 1 | 2 | 4 | 8;
type Form = "D" | "DS" | "X" | "P";

const bswap32 = (v: number): number =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/**
 * The EA of a D/DS/X form computed inline (no closure call on the hot path):
 * `base` is RA (0 = none), `index` RB for X-form (-1 otherwise), `disp` the
 * displacement. Prefixed forms use the shared closure.
 */
interface InlineEa {
  readonly base: number;
  readonly index: number;
  readonly disp: bigint;
}

function inlineEa(form: Form, w: number): InlineEa | null {
  if (form === "P") return null;
  const ra = RA(w);
  if (form === "X") return { base: ra, index: RB(w), disp: 0n };
  return { base: ra, index: -1, disp: BigInt.asUintN(64, BigInt(form === "D" ? D(w) : DS(w))) };
}

/**
 * EA into t[0] for an inline-EA form, computed on the 32-bit halves (a BigInt
 * add here would allocate). `disp` is split into `dlo`/`dhi`.
 */
function setEa(x: ExecContext, base: number, index: number, dlo: number, dhi: number): void {
  const g32 = x.g32;
  const t32 = x.t32;
  let lo: number;
  let hi: number;
  if (index >= 0) {
    lo = g32[2 * index]!;
    hi = g32[2 * index + 1]!;
  } else {
    lo = dlo;
    hi = dhi;
  }
  if (base !== 0) {
    const s = g32[2 * base]! + lo;
    hi = g32[2 * base + 1]! + hi + (s > 0xffff_ffff ? 1 : 0);
    lo = s;
  }
  t32[0] = lo;
  t32[1] = hi;
}

/**
 * How a load/store handler computes its EA, decided once at predecode:
 * D/DS/X forms inline (base, index, displacement halves; setEa is inlined by
 * V8), prefixed forms through a closure. Null when the form has no EA.
 */
function eaPlan(
  form: Form,
  w: number,
  prefix: number,
  off: number,
): {
  pre: ReturnType<typeof eaPrefixed>;
  base: number;
  index: number;
  dlo: number;
  dhi: number;
} | null {
  const i = inlineEa(form, w);
  const pre = i === null ? eaPrefixed(prefix, w, off) : null;
  if (i === null && pre === null) return null;
  const disp = i?.disp ?? 0n;
  return {
    pre,
    base: i?.base ?? 0,
    index: i?.index ?? -1,
    dlo: Number(disp & 0xffff_ffffn),
    dhi: Number(disp >> 32n),
  };
}

/** A load of `size` bytes into RT; `update` writes the EA back to RA. */
export function loadOp(size: Size, ext: Ext, form: Form, update = false): Builder {
  return (w, prefix, off) => {
    const rt = RT(w);
    const ra = RA(w);
    const plan = eaPlan(form, w, prefix, off);
    if (plan === null) return null;
    const { pre, base, index, dlo, dhi } = plan;
    const lo = 2 * rt;
    const hi = 2 * rt + 1;
    let h: Handler;
    switch (size) {
      case 1:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          const v = x.rd8();
          if (v < 0) return v;
          x.g32[lo] = v;
          x.g32[hi] = 0;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
        break;
      case 2:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          let v = x.rd16();
          if (v < 0) return v;
          if (ext === "rev") v = ((v >>> 8) | (v << 8)) & 0xffff;
          x.g32[lo] = ext === "sign" ? (v << 16) >> 16 : v;
          x.g32[hi] = ext === "sign" ? (v << 16) >> 31 : 0;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
        break;
      case 4:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          let v = x.rd32();
          if (v < 0) return v;
          if (ext === "rev") v = bswap32(v);
          x.g32[lo] = v;
          x.g32[hi] = ext === "sign" ? (v | 0) >> 31 : 0;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
        break;
      default:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          const r = x.rd64();
          if (r < 0) return r;
          if (ext === "rev") {
            const l = x.t32[2]!;
            x.g32[lo] = bswap32(x.t32[3]!);
            x.g32[hi] = bswap32(l);
          } else {
            x.g32[lo] = x.t32[2]!;
            x.g32[hi] = x.t32[3]!;
          }
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
    }
    if (form !== "P") return h;
    return (x) => {
      const r = h(x);
      return r > 0 ? 2 : r;
    };
  };
}

/** A store of RS's low `size` bytes; `update` writes the EA back to RA. */
export function storeOp(size: Size, rev: boolean, form: Form, update = false): Builder {
  return (w, prefix, off) => {
    const rs = RT(w);
    const ra = RA(w);
    const plan = eaPlan(form, w, prefix, off);
    if (plan === null) return null;
    const { pre, base, index, dlo, dhi } = plan;
    const lo = 2 * rs;
    const hi = 2 * rs + 1;
    let h: Handler;
    switch (size) {
      case 1:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          const r = x.wr8(x.g32[lo]!);
          if (r < 0) return r;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
        break;
      case 2:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          let v = x.g32[lo]! & 0xffff;
          if (rev) v = ((v >>> 8) | (v << 8)) & 0xffff;
          const r = x.wr16(v);
          if (r < 0) return r;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
        break;
      case 4:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          const r = x.wr32(rev ? bswap32(x.g32[lo]!) : x.g32[lo]!);
          if (r < 0) return r;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
        break;
      default:
        h = (x) => {
          if (pre === null) setEa(x, base, index, dlo, dhi);
          else pre(x);
          if (rev) {
            x.t32[2] = bswap32(x.g32[hi]!);
            x.t32[3] = bswap32(x.g32[lo]!);
          } else {
            x.t32[2] = x.g32[lo]!;
            x.t32[3] = x.g32[hi]!;
          }
          const r = x.wr64();
          if (r < 0) return r;
          if (update) x.g[ra] = x.t[0]!;
          return 1;
        };
    }
    if (form !== "P") return h;
    return (x) => {
      const r = h(x);
      return r > 0 ? 2 : r;
    };
  };
}

/** The EA's low bits as a number (alignment checks). */
function eaLow(x: ExecContext): number {
  return x.t32[0]!;
}

/**
 * lbarx/lharx/lwarx/ldarx: load and set this CPU's reservation on the
 * accessed bytes. An EA not aligned to the size → alignment interrupt.
 */
function larx(size: 1 | 2 | 4 | 8): Builder {
  const load = loadOp(size, "zero", "X");
  return (w, prefix, off, p10) => {
    const ea = eaIndexed(RA(w), RB(w));
    const h = load(w, prefix, off, p10)!;
    return (x) => {
      ea(x);
      if ((eaLow(x) & (size - 1)) !== 0) return x.alignment(x.t[0]!, false);
      const r = h(x);
      if (r < 0) return r;
      ea(x);
      const pa = x.realAddress(Access.LOAD);
      if (pa < 0) return pa;
      x.m.reserve(x.cpu, pa, size);
      return 1;
    };
  };
}

/**
 * stbcx./sthcx./stwcx./stdcx.: store only if this CPU still holds a
 * reservation for these bytes; CR0 = 0b00 || stored || SO. The reservation
 * is cleared either way.
 */
function stcx(size: 1 | 2 | 4 | 8): Builder {
  const st = storeOp(size, false, "X");
  return (w, prefix, off, p10) => {
    const ea = eaIndexed(RA(w), RB(w));
    const h = st(w, prefix, off, p10)!;
    return (x) => {
      ea(x);
      if ((eaLow(x) & (size - 1)) !== 0) return x.alignment(x.t[0]!, false);
      const pa = x.realAddress(Access.STORE);
      if (pa < 0) return pa;
      const ok = x.m.takeReservation(x.cpu, pa, size);
      if (ok) {
        const r = h(x);
        if (r < 0) return r;
      }
      const cpu = x.cpu;
      cpu.cr = ((cpu.cr & 0x0fff_ffff) | (((ok ? 2 : 0) | (cpu.xer >>> 31)) << 28)) >>> 0;
      return 1;
    };
  };
}

/**
 * lmw/stmw/lswi/lswx/stswi/stswx in little-endian mode take an alignment
 * interrupt (Book I: the multiple and string instructions are not supported
 * in LE mode; qemu behaves the same).
 */
const leAlignment: Builder = (w) => {
  const ra = RA(w);
  const d = D(w);
  return (x) => {
    x.t[0] = (ra === 0 ? 0n : x.g[ra]!) + BigInt(d);
    return x.alignment(x.t[0]!, false);
  };
};

export function loadStoreExec(): Readonly<Record<string, Builder>> {
  return {
    lbz: loadOp(1, "zero", "D"),
    lbzu: loadOp(1, "zero", "D", true),
    lhz: loadOp(2, "zero", "D"),
    lhzu: loadOp(2, "zero", "D", true),
    lha: loadOp(2, "sign", "D"),
    lhau: loadOp(2, "sign", "D", true),
    lwz: loadOp(4, "zero", "D"),
    lwzu: loadOp(4, "zero", "D", true),
    ld: loadOp(8, "zero", "DS"),
    ldu: loadOp(8, "zero", "DS", true),
    lwa: loadOp(4, "sign", "DS"),
    lbzx: loadOp(1, "zero", "X"),
    lbzux: loadOp(1, "zero", "X", true),
    lhzx: loadOp(2, "zero", "X"),
    lhzux: loadOp(2, "zero", "X", true),
    lhax: loadOp(2, "sign", "X"),
    lhaux: loadOp(2, "sign", "X", true),
    lwzx: loadOp(4, "zero", "X"),
    lwzux: loadOp(4, "zero", "X", true),
    lwax: loadOp(4, "sign", "X"),
    lwaux: loadOp(4, "sign", "X", true),
    ldx: loadOp(8, "zero", "X"),
    ldux: loadOp(8, "zero", "X", true),
    lhbrx: loadOp(2, "rev", "X"),
    lwbrx: loadOp(4, "rev", "X"),
    ldbrx: loadOp(8, "rev", "X"),
    stb: storeOp(1, false, "D"),
    stbu: storeOp(1, false, "D", true),
    sth: storeOp(2, false, "D"),
    sthu: storeOp(2, false, "D", true),
    stw: storeOp(4, false, "D"),
    stwu: storeOp(4, false, "D", true),
    std: storeOp(8, false, "DS"),
    stdu: storeOp(8, false, "DS", true),
    stbx: storeOp(1, false, "X"),
    stbux: storeOp(1, false, "X", true),
    sthx: storeOp(2, false, "X"),
    sthux: storeOp(2, false, "X", true),
    stwx: storeOp(4, false, "X"),
    stwux: storeOp(4, false, "X", true),
    stdx: storeOp(8, false, "X"),
    stdux: storeOp(8, false, "X", true),
    sthbrx: storeOp(2, true, "X"),
    stwbrx: storeOp(4, true, "X"),
    stdbrx: storeOp(8, true, "X"),
    lbarx: larx(1),
    lharx: larx(2),
    lwarx: larx(4),
    ldarx: larx(8),
    stbcx: stcx(1),
    sthcx: stcx(2),
    stwcx: stcx(4),
    stdcx: stcx(8),
    lmw: leAlignment,
    stmw: leAlignment,
    lswi: leAlignment,
    lswx: leAlignment,
    stswi: leAlignment,
    stswx: leAlignment,
    // Prefixed (v3.1) integer loads and stores: MLS/8LS forms.
    plbz: loadOp(1, "zero", "P"),
    plhz: loadOp(2, "zero", "P"),
    plha: loadOp(2, "sign", "P"),
    plwz: loadOp(4, "zero", "P"),
    plwa: loadOp(4, "sign", "P"),
    pld: loadOp(8, "zero", "P"),
    pstb: storeOp(1, false, "P"),
    psth: storeOp(2, false, "P"),
    pstw: storeOp(4, false, "P"),
    pstd: storeOp(8, false, "P"),
  };
}

/**
 * Prefixed instructions that are not loads/stores (Power ISA v3.1 Book I
 * "Prefixed Instructions"): paddi (pli, pla) and pnop. The prefixed loads
 * and stores live with their base forms (loadstore.ts, vsx.ts).
 */
import type { Builder } from "./context.ts";
import { d34, prefixR } from "./ea.ts";
import { vsxExec } from "./vsx.ts";

/** paddi RT,RA,SI,R: RT = (RA|0) + SI, or with R=1 CIA + SI (pla). */
const paddi: Builder = (w, prefix, off) => {
  const rt = (w >>> 21) & 31;
  const ra = (w >>> 16) & 31;
  const si = d34(prefix, w);
  if (prefixR(prefix)) {
    if (ra !== 0) return null;
    const rel = BigInt(off + si);
    return (x) => {
      x.g[rt] = x.pageBase + rel;
      return 2;
    };
  }
  const v = BigInt.asUintN(64, BigInt(si));
  if (ra === 0)
    return (x) => {
      x.g[rt] = v;
      return 2;
    };
  return (x) => {
    x.g[rt] = x.g[ra]! + v;
    return 2;
  };
};

export function prefixedExec(): Readonly<Record<string, Builder>> {
  return {
    paddi,
    pnop: () => () => 2,
    xxspltiw: vsxExec().xxspltiw!,
  };
}

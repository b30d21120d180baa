/**
 * The VMX element loads and stores and the LRU-hint quadword forms (Power ISA
 * v3.1 Book I ch. 6.7 "Vector Load/Store Instructions"): lvebx/lvehx/lvewx,
 * stvebx/stvehx/stvewx, lvxl/stvxl. In little-endian mode the element at EA
 * (aligned to its size) occupies the same byte offset, EA & 15, of the
 * register's little-endian image; the other elements of VRT are left as they
 * were (the ISA leaves them undefined; qemu-ppc64le keeps them).
 *
 * SIMPLIFICATION: big-endian mode is not modelled (as for the other vector loads).
 */
import type { Builder } from "./context.ts";
import { eaIndexed } from "./ea.ts";
import { RA, RB, VT } from "./vector-quad.ts";
import { vsxExec } from "./vsx.ts";

function loadElement(size: 1 | 2 | 4): Builder {
  return (w) => {
    const t = VT(w);
    const ea = eaIndexed(RA(w), RB(w));
    const align = BigInt(~(size - 1));
    return (x) => {
      ea(x);
      x.t[0] = x.t[0]! & align;
      const eb = x.t32[0]! & 15;
      const v = size === 1 ? x.rd8() : size === 2 ? x.rd16() : x.rd32();
      if (v < 0) return v;
      if (size === 1) x.v8[16 * t + eb] = v;
      else if (size === 2) x.v16[8 * t + eb / 2] = v;
      else x.v32[4 * t + eb / 4] = v;
      return 1;
    };
  };
}

function storeElement(size: 1 | 2 | 4): Builder {
  return (w) => {
    const t = VT(w);
    const ea = eaIndexed(RA(w), RB(w));
    const align = BigInt(~(size - 1));
    return (x) => {
      ea(x);
      x.t[0] = x.t[0]! & align;
      const eb = x.t32[0]! & 15;
      const r =
        size === 1
          ? x.wr8(x.v8[16 * t + eb]!)
          : size === 2
            ? x.wr16(x.v16[8 * t + eb / 2]!)
            : x.wr32(x.v32[4 * t + eb / 4]!);
      return r < 0 ? r : 1;
    };
  };
}

export function vectorMemoryExec(): Readonly<Record<string, Builder>> {
  return {
    lvebx: loadElement(1),
    lvehx: loadElement(2),
    lvewx: loadElement(4),
    stvebx: storeElement(1),
    stvehx: storeElement(2),
    stvewx: storeElement(4),
    // The LRU hint changes nothing architected.
    lvxl: vsxExec().lvx!,
    stvxl: vsxExec().stvx!,
  };
}

/**
 * alias-private: a CPU's patching alias is never in another CPU's TLB. The
 * temporary mm exists so that the writable alias of text is visible to the
 * patching CPU only; another CPU translating it could write kernel text.
 */
import { aliases, hex, translatesAlias } from "./alias.ts";
import type { Invariant } from "./invariant.ts";

/** TLB keys in a footprint: -1 - cpu. */
function tlbWritten(writes: readonly number[], cpus: number): number[] {
  const out: number[] = [];
  for (const w of writes) if (w <= -1 && w > -1 - cpus) out.push(-1 - w);
  return out;
}

export const aliasPrivate: Invariant = {
  name: "alias-private",
  summary: "a CPU's patching alias is never in another CPU's TLB",
  step(x, s) {
    const touched = tlbWritten(s.fp.writes, x.m.cpus.length);
    if (touched.length === 0) return;
    const all = aliases(x.k);
    for (const id of touched) {
      const tlb = x.m.cpus[id]!.tlb;
      if (tlb === null) continue;
      for (const a of all) {
        if (a.owner === id) continue;
        for (const e of tlb.entries()) {
          if (!translatesAlias(e, a, x.k.config.pageSize)) continue;
          x.fail(
            "alias-private",
            id,
            `CPU ${id}'s TLB translates CPU ${a.owner}'s patching alias ${hex(a.ea)} (PID ${a.pid}) to real ${hex(e.pa)} after ${s.fn}()`,
          );
          return;
        }
      }
    }
  },
};

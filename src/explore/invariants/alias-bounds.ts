/**
 * alias-bounds: every store through a patching alias stays inside the one
 * page the alias maps. `__patch_instruction()` stores at `text_poke_addr +
 * offset_in_page(addr)`; a store that runs off the end of the alias page
 * writes through whatever the next page translates to (or faults half way),
 * not the text it was meant for. Checked at every store step, with the size
 * the step announced.
 */
import { OpKind } from "../../machine/ops.ts";
import type { ExecState } from "../execution.ts";
import { aliases, hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";

/** The size each CPU's next operation announced (a step record has no size). */
function sizes(x: ExecState): number[] {
  let s = x.scratch.get("alias-bounds") as number[] | undefined;
  if (s === undefined) {
    s = x.m.cpus.map((c) => c.pending.size);
    x.scratch.set("alias-bounds", s);
  }
  return s;
}

export const aliasBounds: Invariant = {
  name: "alias-bounds",
  summary: "a store through a patching alias stays inside the page the alias maps",
  start(x) {
    sizes(x);
  },
  step(x, s) {
    const sz = sizes(x);
    const size = sz[s.cpu] ?? 0;
    // What this CPU announced for its next step, for when that step comes.
    sz[s.cpu] = x.m.cpus[s.cpu]!.pending.size;
    if (s.op !== OpKind.STORE || size === 0) return;
    const ps = BigInt(x.k.config.pageSize);
    const start = s.addr;
    const end = s.addr + BigInt(size);
    for (const a of aliases(x.k)) {
      const aEnd = a.ea + ps;
      if (!(start < aEnd && a.ea < end)) continue;
      if (start >= a.ea && end <= aEnd) continue;
      const past =
        end > aEnd ? `${end - aEnd} bytes past its end` : `${a.ea - start} bytes before its start`;
      x.fail(
        "alias-bounds",
        s.cpu,
        `CPU ${s.cpu}'s ${size}-byte store at ${hex(start)} in ${s.fn}() runs ${past}: CPU ${a.owner}'s patching alias maps only ${hex(a.ea)}..${hex(aEnd)}`,
      );
      return;
    }
  },
};

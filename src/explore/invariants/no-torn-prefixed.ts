/**
 * no-torn-prefixed: no CPU ever executes half of a prefixed instruction. A
 * prefixed instruction is two words that must change together: the fetch
 * takes both in one step, so the pair it gets must be one that stood whole
 * at that address at some time — the pair there before any patch of its page
 * began, a patch's own words, the pair left when a patch of either word
 * returned, or one word of that with the other word patched alone.
 * Checked at every executed prefixed instruction.
 */
import type { ExecState } from "../execution.ts";
import { hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";
import { backingReal, notePatchPage, pageCopies, where, words } from "./text.ts";

/** Pairs at an address when a patch of it (or of its second word) returned. */
function ends(x: ExecState): Map<bigint, Set<string>> {
  let m = x.scratch.get("no-torn-prefixed") as Map<bigint, Set<string>> | undefined;
  if (m === undefined) {
    m = new Map();
    x.scratch.set("no-torn-prefixed", m);
  }
  return m;
}

const key = (a: number, b: number) => `${a >>> 0}:${b >>> 0}`;

export const noTornPrefixed: Invariant = {
  name: "no-torn-prefixed",
  summary: "an executed prefixed instruction is a pair that stood whole at its address",
  patchStart(x, p) {
    notePatchPage(x, p);
  },
  patchEnd(x, p) {
    for (const a of [p.addr - 4n, p.addr]) {
      const pa = backingReal(x.k, a);
      if (pa === null || !x.m.mem.contains(pa, 8)) continue;
      let set = ends(x).get(a);
      if (set === undefined) {
        set = new Set();
        ends(x).set(a, set);
      }
      set.add(key(x.m.mem.read32(pa), x.m.mem.read32(pa + 4)));
    }
  },
  executed(x, e) {
    if (e.words.length !== 2) return;
    const pa = backingReal(x.k, e.addr);
    if (pa === null) return;
    const ps = x.k.config.pageSize;
    const copy = pageCopies(x).get(pa - (pa % ps));
    // No patch of this page has begun: what was fetched is what was always there.
    if (copy === undefined) return;
    const off = pa % ps;
    const view = new DataView(copy.bytes.buffer, copy.bytes.byteOffset, copy.bytes.byteLength);
    const whole = new Set<string>([key(view.getUint32(off, true), view.getUint32(off + 4, true))]);
    for (const k of ends(x).get(e.addr) ?? []) whole.add(k);
    const started = x.patches.filter((p) => p.startStep <= e.step);
    for (const p of started)
      if (p.addr === e.addr && p.words.length === 2) whole.add(key(p.words[0]!, p.words[1]!));
    // A single word patched alone, beside a word that stood whole.
    const firsts = [...whole].map((k) => Number(k.split(":")[0]));
    const seconds = [...whole].map((k) => Number(k.split(":")[1]));
    for (const p of started) {
      if (p.words.length !== 1) continue;
      if (p.addr === e.addr) for (const b of seconds) whole.add(key(p.words[0]!, b));
      if (p.addr === e.addr + 4n) for (const a of firsts) whole.add(key(a, p.words[0]!));
    }
    if (whole.has(key(e.words[0]!, e.words[1]!))) return;
    const patch = started.filter((p) => p.addr === e.addr && p.words.length === 2).at(-1);
    x.fail(
      "no-torn-prefixed",
      e.cpu,
      `CPU ${e.cpu} executed the prefixed pair ${words(e.words)} at ${where(x.k, e.addr)}, which never stood whole there (before: ${words([view.getUint32(off, true), view.getUint32(off + 4, true)])}${patch === undefined ? "" : `; patch_instruction on CPU ${patch.cpu} writes ${words(patch.words)}${patch.endStep === -1 ? ", still in progress" : ""}`}) at real ${hex(pa)}`,
    );
  },
};

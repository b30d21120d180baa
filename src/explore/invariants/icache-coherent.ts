/**
 * icache-coherent: once patch_instruction(addr) has returned, a CPU that
 * executes isync and then fetches addr gets the new instruction (or one a
 * later, overlapping patch of that address is writing). __patch_instruction
 * ends with `dcbst; sync; icbi; sync; isync`: the icbi invalidates the line
 * in every CPU's instruction cache, the sync waits for that, and a context
 * synchronisation on the other CPU then discards whatever it prefetched.
 * Executions come from the `execute` action and from every instruction the
 * interpreter fetches at a patched address (a `call` action's compiled
 * code). Checked at two points. When a patch returns: no CPU's instruction cache
 * may hold a line of the target that is not marked for invalidation and has
 * an old word in it — that CPU's next isync would not drop it. (Nothing
 * orders another CPU's isync after the return in the checker's dependency
 * relation, so this state check is what makes the property independent of
 * which equivalent schedule the search ran; the finding is held back until
 * the execution stops, so that an execution of the stale word, if one
 * follows, is the counterexample's witness.) And at every executed
 * instruction, against the patches of its address that had returned before
 * its isync.
 */
import type { ExecState, PatchRecord } from "../execution.ts";
import { hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";
import { backingReal, overlapping, where, words } from "./text.ts";

/** The words a CPU may still fetch at `p`'s target once `p` has returned. */
function allowed(x: ExecState, p: PatchRecord, i: number): Set<number> {
  const out = new Set<number>([p.words[i]! >>> 0]);
  const at = p.addr + BigInt(4 * i);
  for (const q of x.patches) {
    if (!overlapping(p, q)) continue;
    q.words.forEach((w, j) => {
      if (q.addr + BigInt(4 * j) === at) out.add(w >>> 0);
    });
  }
  return out;
}

/** The words at `addr` in memory now (empty if it has no memory behind it). */
function memoryWords(x: ExecState, addr: bigint, n: number): number[] {
  const pa = backingReal(x.k, addr);
  if (pa === null || !x.m.mem.contains(pa, 4 * n)) return [];
  return Array.from({ length: n }, (_, i) => x.m.mem.read32(pa + 4 * i));
}

/** Findings of the state check at a patch's return, not yet reported. */
function held(x: ExecState): { cpu: number; message: string }[] {
  let h = x.scratch.get("icache-coherent") as { cpu: number; message: string }[] | undefined;
  if (h === undefined) {
    h = [];
    x.scratch.set("icache-coherent", h);
  }
  return h;
}

const matches = (got: readonly number[], want: readonly number[]) =>
  want.length <= got.length && want.every((w, i) => got[i]! >>> 0 === w >>> 0);

export const icacheCoherent: Invariant = {
  name: "icache-coherent",
  summary:
    "after patch_instruction(addr) returns, an isync then a fetch of addr on any CPU sees the new instruction",
  patchEnd(x, p) {
    if (p.err !== 0) return;
    const pa = backingReal(x.k, p.addr);
    if (pa === null) return;
    for (let i = 0; i < p.words.length; i++) {
      const ok = allowed(x, p, i);
      for (const cpu of x.m.cpus) {
        const line = cpu.icache?.peek32(pa + 4 * i);
        if (line === undefined || line === null || line.stale || ok.has(line.word >>> 0)) continue;
        // Held back: if that CPU goes on to execute the word, that is the clearer witness.
        held(x).push({
          cpu: p.cpu,
          message: `patch_instruction(${where(x.k, p.addr)}, ${words(p.words)}) returned on CPU ${p.cpu}, but CPU ${cpu.id}'s instruction cache still holds ${words([line.word])} at real ${hex(pa + 4 * i)}, not marked for invalidation: its next isync keeps it`,
        });
        return;
      }
    }
  },
  flush(x) {
    const h = held(x)[0];
    if (h !== undefined) x.fail("icache-coherent", h.cpu, h.message, true);
  },
  executed(x, e) {
    let last: PatchRecord | undefined;
    for (const p of x.patches) {
      if (p.addr !== e.addr || p.err !== 0 || p.endStep === -1 || p.endStep >= e.isyncStep)
        continue;
      if (last === undefined || p.endStep > last.endStep) last = p;
    }
    if (last === undefined) return;
    if (matches(e.words, last.words)) return;
    // What memory holds now: the cache is coherent, whatever the patch wrote (patch-effect's concern).
    const now = memoryWords(x, e.addr, e.words.length);
    if (now.length !== 0 && matches(e.words, now)) return;
    // A patch of the same address that did not finish before `last` began may have landed last.
    for (const p of x.patches) {
      if (p === last || p.addr !== e.addr || p.startStep > e.step) continue;
      if (p.err !== null && p.err !== 0) continue;
      if (p.endStep !== -1 && p.endStep < last.startStep) continue;
      if (matches(e.words, p.words)) return;
    }
    x.fail(
      "icache-coherent",
      e.cpu,
      `CPU ${e.cpu} executed ${words(e.words)} at ${where(x.k, e.addr)} after its isync at step ${e.isyncStep}, but patch_instruction(${words(last.words)}) there had returned on CPU ${last.cpu} at step ${last.endStep}: a stale instruction`,
    );
  },
};

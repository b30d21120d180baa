/**
 * patch-effect: a patch changes exactly the bytes it is for, and its return
 * value says whether it did. When patch_instruction returns 0 the word (or
 * the two words of a prefixed instruction) at the target are the
 * instruction; when it returns an error they are what they were; and at the
 * end of an execution no byte of the pages holding patch targets differs from
 * what it was when the first patch of that page began, except at patched
 * addresses. Checked when each patch returns (skipped while another patch of
 * an overlapping range runs at the same time: either may land last) and at
 * the end, on pages that are still live text.
 */
import type { ExecState, PatchRecord } from "../execution.ts";
import { hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";
import {
  backingReal,
  notePatchPage,
  overlapping,
  pageCopies,
  where,
  words,
  wordsAt,
} from "./text.ts";

function before(x: ExecState): Map<PatchRecord, number[] | null> {
  let m = x.scratch.get("patch-effect") as Map<PatchRecord, number[] | null> | undefined;
  if (m === undefined) {
    m = new Map();
    x.scratch.set("patch-effect", m);
  }
  return m;
}

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((w, i) => w >>> 0 === b[i]! >>> 0);

/** Is the page at `ea` (real `pa`) still the live text it was? */
function stillLive(x: ExecState, ea: bigint, pa: number): boolean {
  const k = x.k;
  const img = k.image;
  if (img !== undefined && ea >= img.initBegin && ea < img.initEnd && k.initMemIsFree) return false;
  return backingReal(k, ea) === pa;
}

export const patchEffect: Invariant = {
  name: "patch-effect",
  summary:
    "patch_instruction changes exactly the target's bytes, and returns 0 exactly when it did",
  patchStart(x, p) {
    notePatchPage(x, p);
    const pa = backingReal(x.k, p.addr);
    before(x).set(p, pa === null ? null : wordsAt(x.m, pa, p.words.length));
  },
  patchEnd(x, p) {
    const pre = before(x).get(p);
    const pa = backingReal(x.k, p.addr);
    if (pre === undefined || pre === null || pa === null) return;
    if (x.patches.some((q) => overlapping(p, q))) return;
    const now = wordsAt(x.m, pa, p.words.length);
    const target = where(x.k, p.addr);
    if (p.err === 0 && !same(now, p.words)) {
      x.fail(
        "patch-effect",
        p.cpu,
        `patch_instruction(${target}, ${words(p.words)}) returned 0 on CPU ${p.cpu}, but the target holds ${words(now)}${same(now, pre) ? " (unchanged)" : ` (was ${words(pre)})`}`,
      );
    } else if (p.err !== 0 && !same(now, pre)) {
      x.fail(
        "patch-effect",
        p.cpu,
        `patch_instruction(${target}, ${words(p.words)}) returned ${p.err} on CPU ${p.cpu}, but changed the target from ${words(pre)} to ${words(now)}`,
      );
    }
  },
  end(x) {
    const ps = x.k.config.pageSize;
    for (const copy of pageCopies(x).values()) {
      if (!stillLive(x, copy.ea, copy.pa)) continue;
      const patched = new Uint8Array(ps);
      for (const p of x.patches) {
        const off = p.addr - copy.ea;
        if (off < 0n || off >= BigInt(ps)) continue;
        patched.fill(1, Number(off), Math.min(ps, Number(off) + 4 * p.words.length));
      }
      const now = x.m.mem.readBytes(copy.pa, ps);
      for (let i = 0; i < ps; i++) {
        if (patched[i] === 1 || now[i] === copy.bytes[i]) continue;
        let n = 0;
        for (let j = i; j < ps; j++) if (patched[j] !== 1 && now[j] !== copy.bytes[j]) n++;
        const w = i - (i % 4);
        const view = new DataView(copy.bytes.buffer, copy.bytes.byteOffset, copy.bytes.byteLength);
        const was = view.getUint32(w, true);
        const ea = copy.ea + BigInt(w);
        x.fail(
          "patch-effect",
          0,
          `${n} byte${n === 1 ? "" : "s"} of a page holding patch targets changed where nothing was patched: first at ${where(x.k, ea)} (real ${hex(copy.pa + w)}), ${words([was])} became ${words([x.m.mem.read32(copy.pa + w)])}`,
          true,
        );
        return;
      }
    }
  },
};

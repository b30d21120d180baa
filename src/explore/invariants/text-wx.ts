/**
 * text-wx: no CPU writes kernel text (the image's `_stext`..`_etext`, its
 * init text while not freed, listed modules' text) except through its own
 * patching alias while it is inside patch_instruction — or through
 * raw_patch_instruction while that is the kernel's way (before poking_init
 * is done, or without CONFIG_STRICT_KERNEL_RWX). STRICT_KERNEL_RWX maps text
 * read-only; the alias is the one writable view of it, and it exists only
 * for the duration of one patch on one CPU. Checked at every step that wrote
 * real memory, on the real addresses it wrote.
 */
import { pokingInitDone } from "../../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { TaskStruct } from "../../linux/include/linux/sched.ts";
import { loadedModules } from "../../linux/kernel/module/list.ts";
import { OpKind } from "../../machine/ops.ts";
import { type ExecState, opName, type StepRecord } from "../execution.ts";
import { GRANULE, keyAddress } from "../footprint.ts";
import { aliases, hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";
import { inspectReal, type RealRange, textRanges, where } from "./text.ts";

interface Cache {
  /** What the ranges were computed for: the module list and the init-memory state. */
  key: string;
  ranges: RealRange[];
}

function ranges(x: ExecState): RealRange[] {
  const k = x.k;
  const key = `${k.initMemIsFree ? 1 : 0}:${loadedModules(k)
    .map((m) => m.base.toString(16))
    .join(",")}`;
  let c = x.scratch.get("text-wx") as Cache | undefined;
  if (c === undefined || c.key !== key) {
    c = { key, ranges: textRanges(k) };
    x.scratch.set("text-wx", c);
  }
  return c.ranges;
}

/** Why the write `s` made to text is not allowed, or null if it is. */
function forbidden(x: ExecState, s: StepRecord, pa: number): string | null {
  const k = x.k;
  const inRaw =
    s.fn === "raw_patch_instruction" ||
    ((x.m.cpus[s.cpu]?.kernelTask as TaskStruct | null)?.stack.some(
      (f) => f.fn.name === "raw_patch_instruction",
    ) ??
      false);
  const strict = k.config.bool("STRICT_KERNEL_RWX");
  if (inRaw) {
    if (!strict || !pokingInitDone(k)) return null;
    return "after poking_init was done: from then on only the patching alias may write text";
  }
  if (x.inPatch[s.cpu]!.length === 0) return `outside patch_instruction (a ${opName(s.op)} step)`;
  const ps = k.config.pageSize;
  const mine = aliases(k).find((a) => a.owner === s.cpu);
  const through = mine === undefined ? null : inspectReal(x.m, s.cpu, mine.ea);
  if (through === null || Math.floor(through / ps) !== Math.floor(pa / ps))
    return `inside patch_instruction, but not through its patching alias${
      mine === undefined
        ? " (it has none)"
        : ` ${hex(mine.ea)}, which maps ${through === null ? "nothing" : `real ${hex(through)}`}`
    }`;
  // A step where the interrupt arrived is labelled with the op it interrupted, and
  // the step that resumes it with none: only a store the step really made has an EA to check.
  if (s.op === OpKind.STORE && !s.irq && !(s.addr >= mine!.ea && s.addr < mine!.ea + BigInt(ps)))
    return `inside patch_instruction, by a store to ${hex(s.addr)} rather than its patching alias ${hex(mine!.ea)}`;
  return null;
}

export const textWx: Invariant = {
  name: "text-wx",
  summary:
    "kernel text is written only through the patching alias inside patch_instruction (or raw_patch_instruction before poking_init)",
  step(x, s) {
    const ws = s.fp.writes;
    let any = false;
    for (const w of ws) {
      if (w >= 0) {
        any = true;
        break;
      }
    }
    if (!any) return;
    const rs = ranges(x);
    for (const w of ws) {
      if (w < 0) continue;
      const pa = keyAddress(w);
      const r = rs.find((t) => pa + GRANULE > t.start && pa < t.end);
      if (r === undefined) continue;
      const why = forbidden(x, s, pa);
      if (why === null) return;
      const at = Math.max(pa, r.start);
      const ea = r.ea + BigInt(at - r.start);
      x.fail(
        "text-wx",
        s.cpu,
        `CPU ${s.cpu} wrote ${r.what} at real ${hex(at)} (${where(x.k, ea)}) in ${s.fn}() ${why}`,
      );
      return;
    }
  },
};

/**
 * no-reentry: a CPU's patching context is never used re-entrantly. Each CPU
 * has one alias, one PTE and (on Radix) one temporary mm; patch_instruction
 * runs with interrupts masked (local_irq_save) so that nothing on the same
 * CPU can start a second patch while the first holds the context. Checked
 * when a patch starts on a CPU where another is in progress: that is a
 * violation if the outer patch holds the context at that moment — the CPU
 * is in its patching mm, holds a lock it took during the outer patch, has a
 * PTE it wrote during the outer patch still set, or has its alias in its
 * TLB. An interrupt taken at the outer patch's final local_irq_restore(),
 * with the context released, is not re-entry. Patches before poking_init is
 * done (or without STRICT_KERNEL_RWX) take the raw path, with no context to
 * share, and are exempt.
 */
import { patchContext, pokingInitDone } from "../../linux/arch/powerpc/lib/code-patching-ops.ts";
import { OpKind } from "../../machine/ops.ts";
import type { ExecState, PatchRecord } from "../execution.ts";
import { aliases, hex, translatesAlias } from "./alias.ts";
import type { Invariant } from "./invariant.ts";
import { where } from "./text.ts";

/** How `outer` still holds its CPU's patching context now, or null if it does not. */
function holding(x: ExecState, outer: PatchRecord): string | null {
  const cpu = x.m.cpus[outer.cpu]!;
  const ctx = patchContext(x.k, outer.cpu);
  if (ctx.mm !== null && cpu.pidr === ctx.mm.context.id && cpu.pidr !== 0)
    return `CPU ${outer.cpu} is in its patching mm (PID ${cpu.pidr})`;
  let pte = -1;
  const locks = new Set<{ owner: number; name?: string }>();
  for (const s of x.steps.slice(outer.startStep)) {
    if (s.cpu !== outer.cpu) continue;
    if (s.op === OpKind.PTE_WRITE) pte = Number(s.addr);
    const o = s.object as { owner?: unknown } | null;
    if (s.op === OpKind.LOCK && o !== null && typeof o === "object" && typeof o.owner === "number")
      locks.add(o as { owner: number; name?: string });
  }
  for (const l of locks)
    if (l.owner === outer.cpu) return `CPU ${outer.cpu} holds ${l.name ?? "a lock"} it took for it`;
  if (pte >= 0 && x.m.mem.contains(pte, 8) && x.m.mem.read64(pte) !== 0n)
    return `the PTE it set at real ${hex(pte)} is still set`;
  const tlb = cpu.tlb;
  if (tlb !== null) {
    for (const a of aliases(x.k)) {
      if (a.owner !== outer.cpu) continue;
      for (const e of tlb.entries())
        if (translatesAlias(e, a, x.k.config.pageSize))
          return `CPU ${outer.cpu}'s TLB still translates its alias ${hex(a.ea)}`;
    }
  }
  return null;
}

export const noReentry: Invariant = {
  name: "no-reentry",
  summary: "a patch_instruction never starts on a CPU whose patching context another one holds",
  patchStart(x, p) {
    if (!p.nested) return;
    if (!x.k.config.bool("STRICT_KERNEL_RWX") || !pokingInitDone(x.k)) return;
    const stack = x.inPatch[p.cpu]!;
    const outer = stack[stack.length - 2];
    if (outer === undefined) return;
    const how = holding(x, outer);
    if (how === null) return;
    const irq = x.steps.slice(outer.startStep).some((s) => s.irq && s.cpu === p.cpu);
    x.fail(
      "no-reentry",
      p.cpu,
      `patch_instruction(${where(x.k, p.addr)}) began on CPU ${p.cpu}${irq ? " in an interrupt" : ""} while its patch_instruction(${where(x.k, outer.addr)}) was using the CPU's one patching context: ${how}`,
    );
  },
};

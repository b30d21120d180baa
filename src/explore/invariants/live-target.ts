/**
 * live-target: a patch lands on live text, and on the page that really backs
 * it. The target is core kernel text, init text while init memory is not yet
 * freed, or text in a live vm area (a loaded module, a module_alloc'd page
 * such as kprobes' instruction slots) — never freed init memory, never the
 * memory of a module that is gone. And the alias store writes the real page
 * the kernel has behind the target: for vmalloc and module addresses the
 * frame init_mm maps there (get_patch_pfn's vmalloc_to_pfn), for the
 * linear map __pa(addr). Checked when a patch starts (the target) and at the
 * store through the alias (the page it reached).
 */
import { PAGE_OFFSET } from "../../linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { loadedModules } from "../../linux/kernel/module/list.ts";
import { isVmallocOrModuleAddr } from "../../linux/mm/vmalloc.ts";
import { OpKind } from "../../machine/ops.ts";
import type { ExecState, PatchRecord } from "../execution.ts";
import { aliases, hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";
import { backingReal, inspectReal, vmAreaOf, where } from "./text.ts";

/** Modules seen in this execution, by base address: to name a freed one. */
function seenModules(x: ExecState): Map<bigint, { name: string; size: number }> {
  let m = x.scratch.get("live-target") as Map<bigint, { name: string; size: number }> | undefined;
  if (m === undefined) {
    m = new Map();
    x.scratch.set("live-target", m);
  }
  for (const mod of loadedModules(x.k)) m.set(mod.base, { name: mod.name, size: mod.size });
  return m;
}

/** Why `addr` is not live text, or null if it is. */
function notLive(x: ExecState, addr: bigint): string | null {
  const k = x.k;
  const img = k.image;
  if (img !== undefined) {
    if (addr >= img.stext && addr < img.etext) return null;
    if (addr >= img.initBegin && addr < img.initEnd)
      return k.initMemIsFree ? "init text, freed by free_initmem()" : null;
  }
  if (isVmallocOrModuleAddr(addr)) {
    const seen = seenModules(x);
    if (vmAreaOf(k, addr) !== undefined) {
      const mod = loadedModules(k).find((m) => addr >= m.base && addr < m.base + BigInt(m.size));
      if (mod !== undefined && addr >= mod.base + BigInt(mod.textSize))
        return `module ${mod.name}'s data, not its text`;
      return null;
    }
    for (const [base, m] of seen)
      if (addr >= base && addr < base + BigInt(m.size))
        return `the memory of module ${m.name}, freed when it was unloaded`;
    return "a vmalloc address with no live vm area";
  }
  if (addr >= PAGE_OFFSET) return "kernel memory that is not text";
  return "not a kernel address";
}

export const liveTarget: Invariant = {
  name: "live-target",
  summary:
    "a patch targets live kernel or module text, and its alias maps the page that really backs it",
  start(x) {
    seenModules(x);
  },
  patchStart(x, p) {
    const why = notLive(x, p.addr);
    if (why === null) return;
    x.fail(
      "live-target",
      p.cpu,
      `patch_instruction(${where(x.k, p.addr)}) on CPU ${p.cpu} targets ${why}`,
    );
  },
  step(x, s) {
    if (s.op !== OpKind.STORE || s.irq) return;
    const stack = x.inPatch[s.cpu]!;
    const p: PatchRecord | undefined = stack.at(-1);
    if (p === undefined) return;
    const ps = x.k.config.pageSize;
    const mine = aliases(x.k).find((a) => a.owner === s.cpu);
    if (mine === undefined || s.addr < mine.ea || s.addr >= mine.ea + BigInt(ps)) return;
    const want = backingReal(x.k, p.addr);
    if (want === null) return;
    const got = inspectReal(x.m, s.cpu, s.addr);
    if (got === null) return;
    if (Math.floor(got / ps) === Math.floor(want / ps)) return;
    const how = isVmallocOrModuleAddr(p.addr) ? "its vm area's page, mapped in init_mm" : "__pa()";
    x.fail(
      "live-target",
      s.cpu,
      `CPU ${s.cpu}'s alias store for patch_instruction(${where(x.k, p.addr)}) went to real ${hex(got)}, but the target is backed by real ${hex(want)} (${how})`,
    );
  },
};

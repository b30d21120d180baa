/**
 * no-leak: an execution that ends where it began (every CPU that went down
 * came back, every module loaded was unloaded) leaves the kernel's
 * allocations where they were: page frames by allocation site, slab objects
 * (mm_struct, vm areas) by cache, vmalloc areas. Page-table frames are told
 * apart from lost objects, since a leaked mmu_gather batch (the fix's own
 * put_patching_mm, docs/findings.md) is a different finding from a lost mm.
 */

import { PMD_INDEX, PTE_INDEX } from "../../linux/arch/powerpc/include/asm/book3s/64/pgalloc.ts";
import type { Kernel } from "../../linux/core/kernel.ts";
import { type PendingGather, pendingGathers } from "../../linux/mm/mmu_gather.ts";
import { frameAllocator, slabCaches } from "../../linux/mm/page_alloc.ts";
import { vmAreas } from "../../linux/mm/vmalloc.ts";
import type { ExecState } from "../execution.ts";
import type { Invariant } from "./invariant.ts";

/** Live allocations by kind: `frames:SITE`, `slab:CACHE`, `vmalloc`. */
export function liveCounts(k: Kernel): Map<string, number> {
  const out = new Map<string, number>();
  for (const [site, c] of frameAllocator(k).perSite) {
    // SIMPLIFICATION: the model never frees a kernel thread's stack (no reaping), so
    // thread stacks are not counted.
    if (site !== "thread_stack") out.set(`frames:${site}`, c.liveFrames);
  }
  for (const [cache, c] of slabCaches(k)) out.set(`slab:${cache}`, c.live);
  out.set("vmalloc", vmAreas({ k }).length);
  return out;
}

/** The allocation site of a table kind (`pgtable_free`'s index). */
function siteOfTable(index: number): string {
  return index === PTE_INDEX ? "pte_alloc" : index === PMD_INDEX ? "pmd_alloc" : "pud_alloc";
}

/** What the allocation sites are, for a reader: page-table pages, or objects. */
function kindOf(key: string): string {
  if (/frames:.*(pte|pmd|pud|pgd|pgtable|frag|tlb|gather|batch)/i.test(key))
    return "page-table frames";
  if (key.startsWith("slab:mm_struct")) return "a lost mm_struct";
  if (key.startsWith("slab:")) return "slab objects";
  if (key === "vmalloc") return "a lost vm area";
  return "page frames";
}

function balanced(x: ExecState): boolean {
  // A boot allocates what the running kernel keeps: nothing to compare with.
  if (x.scenario.boot) return false;
  // A failed action's expected state: only hotplug is repaired (ExecState.repair).
  if (x.failedActions.some((f) => !/^cpu_(up|down)/.test(f.what))) return false;
  // A scenario that leaves a CPU down or a module loaded does not end where it began.
  const downs = new Map<number, number>();
  let modules = 0;
  for (const t of x.scenario.threads) {
    for (const a of t.actions) {
      if (a.op === "cpu-down") downs.set(a.cpu, (downs.get(a.cpu) ?? 0) + 1);
      if (a.op === "cpu-up") downs.set(a.cpu, (downs.get(a.cpu) ?? 0) - 1);
      if (a.op === "module-load") modules++;
      if (a.op === "module-unload") modules--;
    }
  }
  return modules === 0 && [...downs.values()].every((d) => d === 0);
}

export const noLeak: Invariant = {
  name: "no-leak",
  summary: "an execution that ends where it began leaves the allocation counts as they were",
  start(x) {
    x.scratch.set("no-leak", liveCounts(x.k));
    x.scratch.set("no-leak/gathers", new Set(pendingGathers(x.k)));
  },
  end(x) {
    if (!balanced(x)) return;
    const before = x.scratch.get("no-leak") as Map<string, number>;
    const after = liveCounts(x.k);
    // Frames stuck on an mmu_gather nobody finished: one finding per gather,
    // named by where the gather was filled; the replacement tables a CPU
    // coming back up allocates are not leaks of their own.
    const seen = x.scratch.get("no-leak/gathers") as Set<PendingGather>;
    const stuckBySite = new Map<string, number>();
    const leaks: string[] = [];
    const functions = new Set<string>();
    const report = (line: string, fns: readonly string[]) => {
      if (x.isSuppressed("no-leak", new Set(fns))) {
        x.noteSuppressed("no-leak", 0, line);
        return;
      }
      for (const f of fns) functions.add(f);
      leaks.push(line);
    };
    for (const g of pendingGathers(x.k)) {
      if (seen.has(g)) continue;
      const sites = [
        "frames:mmu_gather_batch",
        ...g.tlb.tables.map((t) => `frames:${siteOfTable(t.index)}`),
      ];
      for (const site of sites) stuckBySite.set(site, (stuckBySite.get(site) ?? 0) + 1);
      const what = g.tlb.tables.map((t) => siteOfTable(t.index).replace("_alloc", "")).join(", ");
      report(
        `${sites.length} page-table frames (the batch page; tables: ${what}) queued on an mmu_gather under ${g.stack.slice(-3).join(" < ")} and never freed: the gather was never finished (no tlb_finish_mmu)`,
        g.stack,
      );
    }
    for (const [key, n] of after) {
      const d = n - (before.get(key) ?? 0) - (stuckBySite.get(key) ?? 0);
      if (d <= 0) continue;
      const site = key.replace(/^(frames|slab):/, "");
      const fns = [...(x.allocStacks.get(site) ?? [])];
      report(
        `${d} more live ${key} (${kindOf(key)}${fns.length ? `; allocated under ${fns.slice(-3).join(" < ")}` : ""})`,
        fns,
      );
    }
    if (leaks.length !== 0) x.fail("no-leak", 0, leaks.join("\n"), true, [...functions]);
  },
};

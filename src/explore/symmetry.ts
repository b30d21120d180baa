/**
 * Symmetry over identical CPUs: two secondary CPUs online at the start whose
 * threads perform the same actions (on the same targets: no per-thread
 * stride), and that no action or interrupt names, play the same role. The
 * booted kernel treats them alike — start_secondary, the hotplug callbacks
 * and the patching area are set up by the same code for each, differing only
 * in per-CPU addresses — so an execution that starts with one of them is a
 * mirror image of one that starts with the other, with the two CPUs' names
 * swapped. The search explores only the lowest-numbered CPU of a group
 * first (docs/checker.md, "Symmetry", says why that is sound and for which
 * invariants). CPU 0, the boot CPU, is never in a group: poking_init set up
 * its patching area during boot, not a hotplug callback.
 */
import type { Scenario } from "./scenario.ts";

/** Groups (of two or more, ascending) of interchangeable CPUs; none for a boot scenario. */
export function symmetryGroups(scenario: Scenario, online: readonly number[]): number[][] {
  // CPU sets are bit masks of doubles in the search (exact to 2^52).
  if (scenario.boot || online.some((c) => c > 52)) return [];
  const named = new Set<number>();
  const all = [...scenario.threads.flatMap((t) => t.actions), ...(scenario.irq?.actions ?? [])];
  for (const a of all) if (a.op === "cpu-down" || a.op === "cpu-up") named.add(a.cpu);
  if (scenario.irq !== null) named.add(scenario.irq.cpu);
  const strided = (t: Scenario["threads"][number]) =>
    t.actions.some((a) => "stride" in a && a.stride !== 0);
  const byRole = new Map<string, number[]>();
  for (const t of scenario.threads) {
    if (t.cpu === 0 || named.has(t.cpu) || !online.includes(t.cpu) || strided(t)) continue;
    if (scenario.threads.filter((u) => u.cpu === t.cpu).length !== 1) continue;
    const role = JSON.stringify(t.actions);
    const g = byRole.get(role) ?? [];
    g.push(t.cpu);
    byRole.set(role, g);
  }
  return [...byRole.values()].filter((g) => g.length > 1).map((g) => g.sort((a, b) => a - b));
}

/**
 * no-stale-alias: once patch_instruction returns, no TLB on any CPU holds a
 * translation of that CPU's patching alias — a cached writable alias of
 * kernel text outlives the PTE that was cleared, and any later access
 * through it writes text with no patching in progress (or, at the next
 * patch, writes the page the previous one mapped). Checked when a patch
 * returns, and when one begins (an alias left in a TLB before the execution
 * started, by the boot's patches, shows there first).
 */
import type { ExecState, PatchRecord } from "../execution.ts";
import { aliases, hex, translatesAlias } from "./alias.ts";
import type { Invariant } from "./invariant.ts";

function check(x: ExecState, p: PatchRecord, when: string): void {
  if (x.inPatch[p.cpu]!.length !== (when === "returned" ? 0 : 1)) return;
  const mine = aliases(x.k).filter((a) => a.owner === p.cpu);
  for (const cpu of x.m.cpus) {
    const tlb = cpu.tlb;
    if (tlb === null) continue;
    for (const e of tlb.entries()) {
      for (const a of mine) {
        if (!translatesAlias(e, a, x.k.config.pageSize)) continue;
        x.fail(
          "no-stale-alias",
          p.cpu,
          `patch_instruction(${hex(p.addr)}) ${when} on CPU ${p.cpu}, but CPU ${cpu.id}'s TLB still translates its alias ${hex(a.ea)} (PID ${a.pid}) to real ${hex(e.pa)}, PTE ${hex(e.pte)}`,
        );
        return;
      }
    }
  }
}

export const noStaleAlias: Invariant = {
  name: "no-stale-alias",
  summary: "between patches, no TLB holds a patching alias",
  patchStart(x, p) {
    check(x, p, "began");
  },
  patchEnd(x, p) {
    check(x, p, "returned");
  },
};

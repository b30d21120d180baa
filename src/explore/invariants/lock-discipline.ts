/**
 * lock-discipline: a PTE of a non-init mm is written only with its
 * page-table lock held by the writing CPU — what CONFIG_DEBUG_VM's
 * assert_pte_locked() checks in pte_update()/set_pte_at() paths, here
 * always on and checked at the write itself (the seed bug: c28c15b6d28a
 * wrote the patching mm's PTE without it).
 */
import { lookupPtPage, pageBase } from "../../linux/mm/page_alloc.ts";
import { OpKind } from "../../machine/ops.ts";
import { hex } from "./alias.ts";
import type { Invariant } from "./invariant.ts";

export const lockDiscipline: Invariant = {
  name: "lock-discipline",
  summary: "a PTE of a non-init mm is written only with its page-table lock held",
  step(x, s) {
    if (s.op !== OpKind.PTE_WRITE) return;
    const pa = Number(s.addr);
    const page = lookupPtPage(x.k, pageBase(x.k, pa));
    // Kernel (init_mm) tables have no split lock: init_mm is exempt, as in assert_pte_locked.
    if (page === undefined || page.ptl === null) return;
    if (page.ptl.owner === s.cpu) return;
    const held = page.ptl.owner === -1 ? "not held" : `held by CPU ${page.ptl.owner}`;
    x.fail(
      "lock-discipline",
      s.cpu,
      `CPU ${s.cpu} wrote the PTE at real address ${hex(pa)} in ${s.fn}() with its page-table lock (${page.ptl.name}) ${held}`,
    );
  },
};

/**
 * `VM_BUG_ON` / `VM_WARN_ON` (include/linux/mmdebug.h, v6.2): BUG_ON and
 * WARN_ON under CONFIG_DEBUG_VM, nothing (the condition not even
 * evaluated for its effect) without it.
 */
import { type BugSite, bugOn, warnOn } from "../../arch/powerpc/include/asm/bug.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";

/** Models `VM_BUG_ON(cond)`. */
export function* vmBugOn(c: Ctx, cond: boolean, site: BugSite): KGen<void> {
  if (c.k.config.bool("DEBUG_VM")) yield* bugOn(c, cond, site);
}

/** Models `VM_WARN_ON(cond)`; returns whether it warned. */
export function* vmWarnOn(c: Ctx, cond: boolean, site: BugSite): KGen<boolean> {
  if (!c.k.config.bool("DEBUG_VM")) return false;
  return yield* warnOn(c, cond, site);
}

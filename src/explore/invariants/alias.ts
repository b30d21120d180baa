/** Where a CPU's patching alias lives, and which TLB entries translate it. */
import { patchContexts } from "../../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../../linux/core/kernel.ts";
import type { TlbEntry } from "../../machine/tlb.ts";

export interface Alias {
  /** The CPU whose patching context it is. */
  readonly owner: number;
  /** The alias page's effective address. */
  readonly ea: bigint;
  /** The PID its translations are tagged with (the patching mm's, or 0 in init_mm). */
  readonly pid: number;
}

const EA_NO_QUADRANT = 0x3fff_ffff_ffff_ffffn;

/** Every CPU's patching alias as the patching contexts hold them now. */
export function aliases(k: Kernel): Alias[] {
  const out: Alias[] = [];
  const pageMask = ~BigInt(k.config.pageSize - 1);
  for (const [cpu, ctx] of patchContexts(k)) {
    if (ctx.addr === 0n) continue;
    const pid = ctx.mm !== null ? ctx.mm.context.id : 0;
    out.push({ owner: cpu, ea: ctx.addr & pageMask, pid });
  }
  return out;
}

/** Does `e` translate (part of) the alias page? */
export function translatesAlias(e: TlbEntry, a: Alias, pageSize: number): boolean {
  if (e.pid !== a.pid) return false;
  const ea = Number(a.ea & EA_NO_QUADRANT);
  const size = 2 ** e.shift;
  return ea < e.ea + size && e.ea < ea + pageSize;
}

/** `0x…` */
export function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

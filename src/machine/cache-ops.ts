/**
 * Instruction-cache maintenance: `icbi` (broadcast: marks a line stale in
 * every CPU's icache) and `isync` (context synchronisation: the issuing CPU
 * drops its stale lines). A patched instruction is fetched only after both,
 * which is the sequence code patching must get right. For a checker, each
 * writes an icache only where it changes it, and reads every other it looks at.
 */
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";

/** `isync`: context synchronisation; drops this CPU's stale icache lines. */
export function isync(m: Machine, cpu: Cpu): void {
  // An icache not yet created holds nothing: isync only reads it (the icache reports itself).
  if (cpu.icache === null) m.footprint?.icache(cpu.id, false);
  else cpu.icache.contextSynchronize();
}

/** `icbi` at real address `pa`: marks the line stale in every CPU's icache (broadcast). */
export function icbi(m: Machine, pa: number): void {
  for (const c of m.cpus) {
    if (c.icache === null) m.footprint?.icache(c.id, false);
    else c.icache.markStale(pa);
  }
}

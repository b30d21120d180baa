/**
 * Instruction-cache maintenance: `icbi` (broadcast: marks a line stale in
 * every CPU's icache) and `isync` (context synchronisation: the issuing CPU
 * drops its stale lines). A patched instruction is fetched only after both,
 * which is the sequence code patching must get right; each reports its
 * footprint for a checker.
 */
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";

/** `isync`: context synchronisation; drops this CPU's stale icache lines. */
export function isync(m: Machine, cpu: Cpu): void {
  m.footprint?.icache(cpu.id, true);
  cpu.icache?.contextSynchronize();
}

/** `icbi` at real address `pa`: marks the line stale in every CPU's icache (broadcast). */
export function icbi(m: Machine, pa: number): void {
  m.footprint?.icache(-1, true);
  for (const c of m.cpus) c.icache?.markStale(pa);
}

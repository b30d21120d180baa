/**
 * Load-and-reserve reservations (`lwarx`/`ldarx` & co. and their
 * store-conditional): each CPU holds at most one, on real bytes; a store by
 * another CPU to overlapping bytes clears it. The machine counts the CPUs
 * holding one (`Machine.reservationCount`), so a store with none held
 * anywhere — nearly every store — costs one comparison.
 */
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";

/** Reserve `size` bytes at real address `pa` for `cpu` (replacing its old reservation). */
export function reserve(m: Machine, cpu: Cpu, pa: number, size: number): void {
  if (cpu.reservation < 0) m.reservationCount++;
  cpu.reservation = pa;
  cpu.reservationSize = size;
}

/** Drop `cpu`'s reservation; returns whether it held one for exactly (pa, size). */
export function takeReservation(m: Machine, cpu: Cpu, pa: number, size: number): boolean {
  if (cpu.reservation < 0) return false;
  const ok = cpu.reservation === pa && cpu.reservationSize === size;
  cpu.reservation = -1;
  m.reservationCount--;
  return ok;
}

/** A store by `by` to real bytes pa..pa+size-1 clears other CPUs' overlapping reservations. */
export function clearReservations(m: Machine, by: Cpu, pa: number, size: number): void {
  for (const c of m.cpus) {
    if (c === by || c.reservation < 0) continue;
    if (pa < c.reservation + c.reservationSize && c.reservation < pa + size) {
      c.reservation = -1;
      m.reservationCount--;
    }
  }
}

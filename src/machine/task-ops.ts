import { fetch, icbi, load, store } from "./access.ts";
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";
import type { Fault } from "./mmu/fault.ts";
import { OpKind, type TaskOp } from "./ops.ts";

/**
 * Yield-then-act wrappers for tasks: each announces the operation (kind and
 * address in `cpu.pending`), yields, and performs it when the scheduler
 * resumes this CPU. Use with `yield*`.
 */
function announce(cpu: Cpu, kind: OpKind, ea: bigint, size: number, object: unknown): OpKind {
  const p = cpu.pending;
  p.kind = kind;
  p.ea = ea;
  p.size = size;
  p.object = object;
  return kind;
}

export function* ld(m: Machine, cpu: Cpu, ea: bigint, size: 1 | 2 | 4 | 8): TaskOp<bigint | Fault> {
  yield announce(cpu, OpKind.LOAD, ea, size, null);
  return load(m, cpu, ea, size);
}

export function* st(
  m: Machine,
  cpu: Cpu,
  ea: bigint,
  size: 1 | 2 | 4 | 8,
  value: bigint,
): TaskOp<Fault | null> {
  yield announce(cpu, OpKind.STORE, ea, size, null);
  return store(m, cpu, ea, size, value);
}

export function* ifetch(m: Machine, cpu: Cpu, ea: bigint): TaskOp<number | Fault> {
  yield announce(cpu, OpKind.IFETCH, ea, 4, null);
  return fetch(m, cpu, ea);
}

export function* ptesync(m: Machine, cpu: Cpu): TaskOp<void> {
  yield announce(cpu, OpKind.PTESYNC, 0n, 0, null);
  m.ptesync(cpu);
}

export function* isync(m: Machine, cpu: Cpu): TaskOp<void> {
  yield announce(cpu, OpKind.ISYNC, 0n, 0, null);
  m.isync(cpu);
}

export function* icbiOp(m: Machine, cpu: Cpu, ea: bigint): TaskOp<Fault | null> {
  yield announce(cpu, OpKind.ICBI, ea, 0, null);
  return icbi(m, cpu, ea);
}

export function* tlbiel(
  m: Machine,
  cpu: Cpu,
  rb: bigint,
  rs: bigint,
  ric: number,
  prs: boolean,
  r: boolean,
): TaskOp<void> {
  yield announce(cpu, OpKind.TLBIEL, rb, 0, null);
  m.tlbiel(cpu, rb, rs, ric, prs, r);
}

export function* tlbie(
  m: Machine,
  cpu: Cpu,
  rb: bigint,
  rs: bigint,
  ric: number,
  prs: boolean,
  r: boolean,
): TaskOp<void> {
  yield announce(cpu, OpKind.TLBIE, rb, 0, null);
  m.tlbie(cpu, rb, rs, ric, prs, r);
}

export function* storePte(m: Machine, cpu: Cpu, pa: number, value: bigint): TaskOp<void> {
  yield announce(cpu, OpKind.PTE_WRITE, BigInt(pa), 8, null);
  m.storePte(cpu, pa, value);
}

export function* loadPte(m: Machine, cpu: Cpu, pa: number): TaskOp<bigint> {
  yield announce(cpu, OpKind.PTE_READ, BigInt(pa), 8, null);
  return m.loadPte(pa);
}

export function* switchPidr(m: Machine, cpu: Cpu, pid: number): TaskOp<void> {
  yield announce(cpu, OpKind.SWITCH_MM, BigInt(pid), 0, null);
  m.setPidr(cpu, pid);
}

/**
 * Block until `condition()` holds: the CPU is not runnable meanwhile. When it
 * returns, the condition held at the start of this (atomic) step.
 */
export function* waitUntil(
  cpu: Cpu,
  condition: () => boolean,
  object: unknown = null,
): TaskOp<void> {
  while (!condition()) {
    cpu.waitUntil = condition;
    yield announce(cpu, OpKind.WAIT, 0n, 0, object);
  }
}

/**
 * Announce a shared-state operation performed by a higher layer (a lock
 * acquire or release, an allocation, ...) and yield; the caller performs it
 * when this returns.
 */
export function* visible(cpu: Cpu, kind: OpKind, object: unknown, ea = 0n): TaskOp<void> {
  yield announce(cpu, kind, ea, 0, object);
}

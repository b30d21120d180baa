import { fetch, icbi, load, store } from "./access.ts";
import type { Cpu } from "./cpu.ts";
import type { Machine } from "./machine.ts";
import type { Fault } from "./mmu/fault.ts";
import { OpKind, type TaskOp } from "./ops.ts";

/**
 * Yield-then-act wrappers for tasks: each announces the operation (kind and
 * address in `cpu.pending`), yields, and performs it when the scheduler
 * resumes this CPU. Use with `yield*`. When the machine would resume this
 * same task at once (Machine.stepInPlace), the step is taken without the
 * yield, which saves resuming every generator of the call chain.
 */
function announce(cpu: Cpu, kind: OpKind, ea: bigint, size: number, object: unknown): OpKind {
  const p = cpu.pending;
  p.kind = kind;
  p.ea = ea;
  p.size = size;
  p.object = object;
  return kind;
}

/**
 * Take the step in place if the machine allows it (the caller must then not
 * yield), else announce the op in `cpu.pending` and return false (the caller
 * yields). An op taken in place is not announced: `pending` is what step
 * hooks and Choices see at a yield, and while either is present no step is
 * taken in place.
 */
function inPlace(cpu: Cpu, kind: OpKind, ea: bigint, size: number, object: unknown): boolean {
  if (cpu.stepper?.stepInPlace(cpu) === true) return true;
  announce(cpu, kind, ea, size, object);
  return false;
}

/** `inPlace` for an op on a real address given as a number (page-table entries). */
function inPlaceReal(cpu: Cpu, kind: OpKind, pa: number, size: number, object: unknown): boolean {
  if (cpu.stepper?.stepInPlace(cpu) === true) return true;
  const p = cpu.pending;
  p.kind = kind;
  p.setRealAddress(pa);
  p.size = size;
  p.object = object;
  return false;
}

export function* ld(m: Machine, cpu: Cpu, ea: bigint, size: 1 | 2 | 4 | 8): TaskOp<bigint | Fault> {
  if (!inPlace(cpu, OpKind.LOAD, ea, size, null)) yield OpKind.LOAD;
  return load(m, cpu, ea, size);
}

export function* st(
  m: Machine,
  cpu: Cpu,
  ea: bigint,
  size: 1 | 2 | 4 | 8,
  value: bigint | number,
): TaskOp<Fault | null> {
  if (!inPlace(cpu, OpKind.STORE, ea, size, null)) yield OpKind.STORE;
  return store(m, cpu, ea, size, value);
}

export function* ifetch(m: Machine, cpu: Cpu, ea: bigint): TaskOp<number | Fault> {
  if (!inPlace(cpu, OpKind.IFETCH, ea, 4, null)) yield OpKind.IFETCH;
  return fetch(m, cpu, ea);
}

export function* ptesync(m: Machine, cpu: Cpu): TaskOp<void> {
  if (!inPlace(cpu, OpKind.PTESYNC, 0n, 0, null)) yield OpKind.PTESYNC;
  m.ptesync(cpu);
}

export function* isync(m: Machine, cpu: Cpu): TaskOp<void> {
  if (!inPlace(cpu, OpKind.ISYNC, 0n, 0, null)) yield OpKind.ISYNC;
  m.isync(cpu);
}

export function* icbiOp(m: Machine, cpu: Cpu, ea: bigint): TaskOp<Fault | null> {
  if (!inPlace(cpu, OpKind.ICBI, ea, 0, null)) yield OpKind.ICBI;
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
  if (!inPlace(cpu, OpKind.TLBIEL, rb, 0, null)) yield OpKind.TLBIEL;
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
  if (!inPlace(cpu, OpKind.TLBIE, rb, 0, null)) yield OpKind.TLBIE;
  m.tlbie(cpu, rb, rs, ric, prs, r);
}

export function* storePte(m: Machine, cpu: Cpu, pa: number, value: bigint): TaskOp<void> {
  if (!inPlaceReal(cpu, OpKind.PTE_WRITE, pa, 8, null)) yield OpKind.PTE_WRITE;
  m.storePte(cpu, pa, value);
}

export function* loadPte(m: Machine, cpu: Cpu, pa: number): TaskOp<bigint> {
  if (!inPlaceReal(cpu, OpKind.PTE_READ, pa, 8, null)) yield OpKind.PTE_READ;
  return m.loadPte(pa);
}

export function* switchPidr(m: Machine, cpu: Cpu, pid: number): TaskOp<void> {
  // The PID rides in the address field, as a number until someone reads it.
  if (!inPlaceReal(cpu, OpKind.SWITCH_MM, pid, 0, null)) yield OpKind.SWITCH_MM;
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
  if (!inPlace(cpu, kind, ea, 0, object)) yield kind;
}

/** `visible` for an operation on a real address given as a number (a page-table entry). */
export function* visibleReal(cpu: Cpu, kind: OpKind, object: unknown, pa: number): TaskOp<void> {
  if (!inPlaceReal(cpu, kind, pa, 0, object)) yield kind;
}

/**
 * Snapshots of a booted system, for the checker: boot once, then start every
 * execution from an independent copy of the booted machine and kernel (a
 * fork) instead of booting again. A warm boot of two CPUs takes thousands of
 * steps; a fork copies a few hundred objects and shares the rest.
 *
 * What a fork shares with the snapshot and its siblings: code (functions),
 * what is immutable after boot (the configuration, the image layout, the
 * code-patching variant, marked with `markShared`), and physical memory and
 * the symbol table copy-on-write (their FORK methods). Everything else is
 * copied (src/util/clone.ts).
 *
 * The snapshot is frozen: it holds its own copy of the kernel, which nothing
 * ever runs, so every fork starts from the same state however many are taken
 * and whatever they do. The kernel it was taken from may go on running: its
 * memory became copy-on-write too.
 */

import type { Kernel } from "../linux/core/kernel.ts";
import { slotName } from "../linux/core/kernel.ts";
import { auditClone, type CloneAudit, Cloner, deepClone } from "../util/clone.ts";

/** What one fork costs, counted (no clock below the CLI): the same for every fork of a snapshot. */
export interface ForkCost {
  /** Objects a fork copies (plain objects, arrays, Maps, typed arrays ...). */
  readonly objects: number;
  /** Memory chunks (4 KiB) a fork shares with the snapshot instead of copying. */
  readonly sharedChunks: number;
}

/** A frozen copy of a quiescent booted kernel, to fork executions from. */
export class KernelSnapshot {
  private readonly template: Kernel;
  /** What each fork copies and shares. */
  readonly cost: ForkCost;
  /** Forks taken so far. */
  forks = 0;

  constructor(template: Kernel) {
    this.template = template;
    const c = new Cloner();
    c.run(template);
    this.cost = { objects: c.copied, sharedChunks: template.machine.mem.chunkCount };
  }

  /** CPUs of the snapshot (for callers choosing where to spawn). */
  get cpus(): number {
    return this.template.machine.cpus.length;
  }

  /**
   * An independent kernel and machine in the snapshot's state, ready for new
   * tasks: running it changes neither the snapshot nor any other fork.
   */
  fork(): Kernel {
    this.forks++;
    return deepClone(this.template, { rootName: "snapshot" });
  }
}

/**
 * Why `k` cannot be snapshotted now, or null. A snapshot copies state, not
 * running code: no CPU may have a task (a suspended generator cannot be
 * copied) or wait for a condition, the machine must not be inside `run`, and
 * nothing may observe its steps (an observer belongs to whoever installed it).
 */
export function notQuiescent(k: Kernel): string | null {
  const m = k.machine;
  if (m.choices !== null) return "the machine is running (inside Machine.run)";
  if (m.stepHookCount !== 0) return `${m.stepHookCount} step hook(s) are registered`;
  if (m.footprint !== null) return "a footprint sink is installed";
  for (const cpu of m.cpus) {
    if (cpu.tasks.length !== 0) return `CPU ${cpu.id} has ${cpu.tasks.length} unfinished task(s)`;
    if (cpu.waitUntil !== null) return `CPU ${cpu.id} is waiting for a condition`;
  }
  if (m.activeCount !== 0) return `${m.activeCount} CPU(s) are still active`;
  return null;
}

/**
 * Take a snapshot of `k` (booted, quiescent: see `notQuiescent`). `k` itself
 * may go on being used; the snapshot does not change with it.
 */
export function snapshotKernel(k: Kernel): KernelSnapshot {
  const why = notQuiescent(k);
  if (why !== null) throw new Error(`snapshotKernel: cannot snapshot this kernel: ${why}`);
  return new KernelSnapshot(deepClone(k, { rootName: "k" }));
}

/** Kernel slots by name in paths (`k.slots[18]` → `k.slot(cpuhp)`). */
function slotPath(path: string): string {
  return path.replace(/^k\.slots\[(\d+)\]/, (all, id: string) => {
    const name = slotName(Number(id));
    return name === undefined ? all : `k.slot(${name})`;
  });
}

/**
 * Every function value a copy of `k` would share, with its path (slots by
 * name), and the objects a fast copy would get wrong: for reviewing that a
 * kernel's state holds no closure over mutable state.
 */
export function auditKernel(k: Kernel): CloneAudit {
  const a = auditClone(k, "k");
  return {
    functions: a.functions.map((f) => ({ path: slotPath(f.path), fn: f.fn })),
    irregular: a.irregular.map(slotPath),
  };
}

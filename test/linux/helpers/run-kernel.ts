// Running kernel code on a booted kernel (src/api/boot.ts): boot, then spawn
// a kernel thread on a chosen CPU that runs a generator, and run the machine
// until it is idle again. Plus an ISA-level Radix walker (Power ISA Book III
// "Radix Tree Translation") so tests read page-table slots without the
// kernel's own walkers.
import assert from "node:assert/strict";
import { type BootRequest, createKernel, runBoot } from "../../../src/api/boot.ts";
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { runKernelThread } from "../../../src/linux/kernel/exit.ts";
import { createKthread } from "../../../src/linux/kernel/kthread.ts";
import type { PhysMemory } from "../../../src/machine/memory.ts";
import type { Choices } from "../../../src/util/choices.ts";

export const PAGE_OFFSET = 0xc000_0000_0000_0000n;

/** createKernel + runBoot; the boot must reach /init. `prepare` runs before the boot. */
export function bootKernel(req: BootRequest = {}): Kernel {
  const k = createKernel(req);
  const r = runBoot(k);
  assert.equal(r.exitCode, 0, r.dmesg);
  return k;
}

/** Replace the kernel's Choices (allocation failures, random numbers) — tests only. */
export function setChoices(k: Kernel, choices: Choices): void {
  (k as { choices: Choices }).choices = choices;
}

/**
 * Run `fn` as a new kernel thread on `cpu` until the machine is idle; returns
 * its result. `schedule` picks CPUs when several run (default: the kernel's).
 */
export function runOn<T>(
  k: Kernel,
  cpu: number,
  fn: (c: Ctx) => KGen<T>,
  schedule: Choices = k.choices,
): T {
  const box: { v?: T; done: boolean } = { done: false };
  spawnOn(k, cpu, function* (c) {
    box.v = yield* fn(c);
    box.done = true;
  });
  const r = k.machine.run(schedule, { maxSteps: 5_000_000 });
  assert.equal(r.status, "done", `machine stopped: ${r.status}`);
  assert.ok(box.done, "the kernel thread did not finish (it died)");
  return box.v as T;
}

/** Spawn `fn` as a new kernel thread on `cpu` without running the machine. */
export function spawnOn(k: Kernel, cpu: number, fn: (c: Ctx) => KGen<void>): void {
  const current = createKthread(k, `test/${cpu}`);
  const c: Ctx = { k, cpu: k.machine.cpu(cpu), current };
  k.machine.spawn(
    cpu,
    (function* () {
      yield* runKernelThread(c, fn);
    })(),
  );
}

/** dmesg lines without timestamps. */
export function dmesgLines(k: Kernel): string[] {
  return k.printk.lines().map((l) => l.replace(/^\[\s*\d+\.\d{6}\] /, ""));
}

/** A leaf or the empty slot found by `radixSlot`. */
export interface RadixSlot {
  /** Physical address of the entry. */
  readonly pa: number;
  readonly value: bigint;
  /** log2 of the size of the region the slot maps (the base page shift at the PTE level). */
  readonly shift: number;
}

const V = 1n << 63n;
const L = 1n << 62n;
const NLB = 0x0fff_ffff_ffff_ff00n;
const NLS = 0x1fn;

/**
 * The PTE slot for `ea` in the Radix tree rooted at `root` (physical) with a
 * `rootBits`-bit top index over a 52-bit EA, following each directory entry's
 * NLB/NLS fields down to a leaf or an invalid entry (at any level: see `shift`).
 * Entries are big-endian doublewords.
 */
export function radixSlot(
  mem: PhysMemory,
  root: number,
  rootBits: number,
  ea: bigint,
): RadixSlot | null {
  const ea52 = ea & ((1n << 52n) - 1n);
  let table = BigInt(root);
  let bits = BigInt(rootBits);
  let remaining = 52n;
  for (;;) {
    remaining -= bits;
    const index = (ea52 >> remaining) & ((1n << bits) - 1n);
    const pa = Number(table + index * 8n);
    const value = mem.readBe64(pa);
    if ((value & V) === 0n || (value & L) !== 0n) return { pa, value, shift: Number(remaining) };
    if (remaining === 0n) return null;
    table = value & NLB;
    bits = value & NLS;
  }
}

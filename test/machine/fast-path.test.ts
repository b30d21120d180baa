/**
 * The machine's fast paths must not change a run: Machine.stepInPlace (a
 * step taken without unwinding the generator chain when the run loop would
 * resume the same task anyway) and the sync twins (plain-function copies of
 * the generator functions, run in Machine.runSync regions that step the
 * machine inline at every boundary). Each run is made four ways: the
 * reference, observed by a step hook (which turns stepInPlace off) with the
 * twins switched off — the generators alone, every step through the run
 * loop; observed with the twins on; unobserved with the twins off;
 * unobserved with everything on. The step count, the timebase, the recorded
 * schedule and the dmesg bytes must be the same, and both observed runs must
 * see the same steps (CPU and next op of each, hashed). The reference also
 * checks that every step is accounted for (the hook fired once per step),
 * and the runs with twins on must really have run them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootRequest, createKernel, runBoot } from "../../src/api/boot.ts";
import { ppcInst } from "../../src/isa/powerpc/inst.ts";
import { pacaIrq } from "../../src/linux/arch/powerpc/include/asm/hw_irq.ts";
import { patchingOps } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../src/linux/image/build.ts";
import { runKernelThread } from "../../src/linux/kernel/exit.ts";
import { createKthread } from "../../src/linux/kernel/kthread.ts";
import { RandomChoices } from "../../src/machine/choices/random.ts";
import { RecordingChoices } from "../../src/machine/choices/recording.ts";
import type { Machine } from "../../src/machine/machine.ts";
import { VEC } from "../../src/machine/registers.ts";
import type { Choices } from "../../src/util/choices.ts";
import { setSyncTwinsEnabled } from "../../src/util/sync-twins.ts";
import { findVariant } from "../../src/variants/code-patching/index.ts";

/** FNV-1a over 32-bit words. */
class Fnv {
  h = 0x811c9dc5;
  word(x: number): void {
    for (let i = 0; i < 4; i++)
      this.h = Math.imul(this.h ^ ((x >>> (8 * i)) & 0xff), 0x01000193) >>> 0;
  }
  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }
}

interface Fingerprint {
  /** Steps of the observed run. */
  steps: number;
  /** The machine's step count and timebase at the end (boot included). */
  machineSteps: number;
  tb: number;
  /** Step-hook calls, and a hash of each step's CPU and next op (observed runs only; -1 otherwise). */
  hookCalls: number;
  stepHash: number;
  scheduleLength: number;
  scheduleHash: number;
  dmesgLength: number;
  dmesgHash: number;
}

/** How a run is made (see the file comment). */
type Mode = "hooked" | "hooked-twins" | "no-twins" | "fast";

/** What the last run's `go` returned. */
let lastText = "";

/** Sync regions the machine of the last run entered, and their inline scheduler calls. */
let lastSync = { regions: 0, yields: 0 };

/** Run `go` with the twins switched as `mode` says, restoring them afterwards. */
function withMode<T>(mode: Mode, go: () => T): T {
  setSyncTwinsEnabled(mode === "fast" || mode === "hooked-twins");
  try {
    return go();
  } finally {
    setSyncTwinsEnabled(true);
  }
}

/**
 * Record the choices of the run `go` performs on `k` and, when `hooked`,
 * every step (the unhooked run reports -1 as its step hash).
 */
function observe(k: Kernel, mode: Mode, go: () => string): Fingerprint {
  const hooked = mode === "hooked" || mode === "hooked-twins";
  const stepHash = new Fnv();
  const rec = new RecordingChoices(k.choices);
  (k as { choices: Choices }).choices = rec;
  let hookCalls = 0;
  const before = k.machine.steps;
  if (hooked) {
    k.machine.addStepHook((_m: Machine, cpu, next) => {
      hookCalls++;
      stepHash.word(cpu.id);
      stepHash.word(next);
    });
  }
  const sync0 = { ...k.machine.syncStats };
  const dmesg = withMode(mode, go);
  lastText = dmesg;
  lastSync = {
    regions: k.machine.syncStats.regions - sync0.regions,
    yields: k.machine.syncStats.yields - sync0.yields,
  };
  const sched = new Fnv();
  for (const x of rec.schedule) sched.word(x);
  const d = new Fnv();
  d.text(dmesg);
  return {
    steps: k.machine.steps - before,
    machineSteps: k.machine.steps,
    tb: k.machine.tb,
    hookCalls: hooked ? hookCalls : -1,
    stepHash: hooked ? stepHash.h : -1,
    scheduleLength: rec.schedule.length,
    scheduleHash: sched.h,
    dmesgLength: dmesg.length,
    dmesgHash: d.h,
  };
}

function bootFingerprint(req: BootRequest, mode: Mode): Fingerprint {
  const k = createKernel(req);
  return observe(k, mode, () => runBoot(k).dmesg);
}

/** 200 patch_instruction calls on CPU 0 after a 2-CPU boot (what bench/patch.bench.ts runs). */
function patchFingerprint(mode: Mode): Fingerprint {
  const k = createKernel({ cpus: 2 });
  runBoot(k);
  return observe(k, mode, () => {
    const sym = imageSymbol(k, "do_one_initcall");
    if (sym === undefined) throw new Error("no do_one_initcall");
    const at = sym.address + 0x40n;
    const words = [ppcInst(0x6000_0000), ppcInst(0x7fe0_0008)];
    const current = createKthread(k, "guard");
    const c = { k, cpu: k.machine.cpu(0), current };
    k.machine.spawn(
      0,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          const ops = patchingOps(k);
          for (let i = 0; i < 200; i++) {
            const err = yield* ops.patchInstruction(cc, at, words[i & 1]!);
            if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
          }
        });
      })(),
    );
    const r = k.machine.run(k.choices);
    assert.equal(r.status, "done");
    return k.printk.dmesg();
  });
}

/**
 * Both CPUs patch words of do_one_initcall 20 times each, scheduled by
 * RandomChoices(seed); with `maxSteps` the run stops early.
 */
function concurrentFingerprint(
  seed: number,
  mode: Mode,
  maxSteps?: number,
  slices?: number,
): Fingerprint {
  const k = createKernel({ cpus: 2, seed });
  runBoot(k);
  (k as { choices: Choices }).choices = new RandomChoices(seed);
  return observe(k, mode, () => {
    spawnPatchers(k);
    if (slices !== undefined) {
      // Stepped in slices of `slices` steps, each run continuing the last.
      let r = k.machine.run(k.choices, { maxSteps: slices, resumable: true });
      while (r.status === "max-steps") {
        r = k.machine.run(k.choices, { maxSteps: slices, resumable: true });
      }
      assert.equal(r.status, "done");
      return `${r.status} ${r.unfinished.join(",")}\n${k.printk.dmesg()}`;
    }
    const r = k.machine.run(k.choices, maxSteps === undefined ? {} : { maxSteps });
    assert.equal(r.status, maxSteps === undefined ? "done" : "max-steps");
    return `${r.status} ${r.unfinished.join(",")}\n${k.printk.dmesg()}`;
  });
}

/** Both CPUs patch words of do_one_initcall 20 times each (not run yet). */
function spawnPatchers(k: Kernel): void {
  const sym = imageSymbol(k, "do_one_initcall");
  if (sym === undefined) throw new Error("no do_one_initcall");
  for (const cpu of [0, 1]) {
    const current = createKthread(k, `patch${cpu}`);
    const c = { k, cpu: k.machine.cpu(cpu), current };
    k.machine.spawn(
      cpu,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          for (let i = 0; i < 20; i++) {
            const at = sym.address + BigInt(0x40 + 0x10 * cpu + 4 * (i % 4));
            const word = ppcInst(i & 1 ? 0x6000_0000 : 0x7fe0_0008);
            const err = yield* patchingOps(k).patchInstruction(cc, at, word);
            if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
          }
        });
      })(),
    );
  }
}

/**
 * 60 patch_instruction calls on CPU 0 with the decrementer re-armed before
 * each to fire a few steps later: interrupts arrive inside sync regions,
 * hard-enabled or soft-masked (and replayed) depending on where they land.
 * The run's text records how many the handler saw.
 */
function interruptedFingerprint(delay: number, mode: Mode): Fingerprint {
  const k = createKernel({ cpus: 2 });
  runBoot(k);
  return observe(k, mode, () => {
    const sym = imageSymbol(k, "do_one_initcall");
    if (sym === undefined) throw new Error("no do_one_initcall");
    const cpu = k.machine.cpu(0);
    const current = createKthread(k, "irq");
    const c = { k, cpu, current };
    k.machine.spawn(
      0,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          for (let i = 0; i < 60; i++) {
            cpu.writeDec(k.machine.tb, delay * k.machine.tbTicksPerStep * (1 + (i % 5)));
            const word = ppcInst(i & 1 ? 0x6000_0000 : 0x7fe0_0008);
            const err = yield* patchingOps(k).patchInstruction(cc, sym.address + 0x40n, word);
            if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
          }
        });
      })(),
    );
    const r = k.machine.run(k.choices);
    assert.equal(r.status, "done");
    const handled = pacaIrq(k, 0).handled.get(VEC.DECREMENTER) ?? 0;
    return `decrementer interrupts handled: ${handled}\n${k.printk.dmesg()}`;
  });
}

function check(run: (mode: Mode) => Fingerprint): { regions: number; yields: number } {
  const observed = run("hooked");
  assert.equal(lastSync.regions, 0, "switched off, no twin runs");
  const observedTwins = run("hooked-twins");
  assert.ok(lastSync.regions > 0, "the twins ran under a step hook");
  const generators = run("no-twins");
  assert.equal(lastSync.regions, 0, "switched off, no twin runs");
  const fast = run("fast");
  const sync = lastSync;
  assert.ok(sync.regions > 0, "the twins ran");
  assert.ok(observed.steps > 0);
  assert.equal(observed.hookCalls, observed.steps, "the hook sees every step");
  assert.deepEqual(observedTwins, observed);
  const unobserved = { ...observed, hookCalls: -1, stepHash: -1 };
  assert.deepEqual(generators, unobserved);
  assert.deepEqual(fast, unobserved);
  return sync;
}

describe("the fast paths change nothing", () => {
  it("the seed boot (c28c15b6d28a, DEBUG_VM, 2 CPUs)", () => {
    const req = { variant: findVariant("c28c15b6d28a"), sets: ["CONFIG_DEBUG_VM=y"], cpus: 2 };
    check((mode) => bootFingerprint(req, mode));
  });

  it("a 4-CPU boot with one hotplug cycle", () => {
    check((mode) => bootFingerprint({ cpus: 4, hotplug: 1 }, mode));
  });

  it("200 patch_instruction calls on the default variant", () => {
    check(patchFingerprint);
  });

  it("two CPUs patching at once under random schedules: twins step the other CPU inline", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const sync = check((mode) => concurrentFingerprint(seed, mode));
      assert.ok(sync.yields > 0, `seed ${seed}: the scheduler ran inside a sync region`);
    }
  });

  it("decrementer interrupts landing inside sync regions run where the generators take them", () => {
    let handled = 0;
    for (const delay of [1, 2, 3, 7]) {
      const sync = check((mode) => interruptedFingerprint(delay, mode));
      assert.ok(sync.yields > 0, `delay ${delay}: an interrupt made a region yield`);
      handled += Number(/handled: (\d+)/.exec(lastText)?.[1] ?? 0);
    }
    assert.ok(handled > 0, "some interrupts were taken (not all soft-masked)");
  });

  it("a resumable run stepped in slices ends exactly as the run made in one go", () => {
    const whole = concurrentFingerprint(9, "fast");
    for (const slices of [1, 13, 250]) {
      const sliced = concurrentFingerprint(9, "fast", undefined, slices);
      assert.equal(lastSync.regions, 0, "a resumable run opens no sync region");
      assert.deepEqual(sliced, whole, `slices of ${slices}`);
    }
  });

  it("a run stopped inside a sync region says, when resumed, that it needed { resumable: true }", () => {
    const k = createKernel({ cpus: 2 });
    runBoot(k);
    spawnPatchers(k);
    const before = k.machine.syncStats.regions;
    assert.equal(k.machine.run(k.choices, { maxSteps: 500 }).status, "max-steps");
    assert.ok(k.machine.syncStats.regions > before);
    assert.throws(() => k.machine.run(k.choices), /resumable: true/);
  });

  it("a run stopped by its step bound inside a sync region stops at the same step", () => {
    for (const maxSteps of [1, 7, 40, 333]) {
      check((mode) => concurrentFingerprint(9, mode, maxSteps));
    }
  });
});

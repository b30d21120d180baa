/**
 * The machine's single-CPU fast path (Machine.stepInPlace: a step taken
 * without unwinding the generator chain when the run loop would resume the
 * same task anyway) must not change a run. Each run is made twice: observed
 * by a step hook, which turns the fast path off, and unobserved, with the
 * fast path on. The step count, the timebase, the recorded schedule and the
 * dmesg bytes must be the same. The observed run also checks that every step
 * is accounted for: the hook fired once per step.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootRequest, createKernel, runBoot } from "../../src/api/boot.ts";
import { ppcInst } from "../../src/isa/powerpc/inst.ts";
import { patchingOps } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../src/linux/image/build.ts";
import { runKernelThread } from "../../src/linux/kernel/exit.ts";
import { createKthread } from "../../src/linux/kernel/kthread.ts";
import { RecordingChoices } from "../../src/machine/choices/recording.ts";
import type { Machine } from "../../src/machine/machine.ts";
import type { Choices } from "../../src/util/choices.ts";
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
  /** Step-hook calls (observed runs only; -1 otherwise). */
  hookCalls: number;
  scheduleLength: number;
  scheduleHash: number;
  dmesgLength: number;
  dmesgHash: number;
}

/**
 * Record the choices of the run `go` performs on `k` and, when `hooked`,
 * every step (the unhooked run reports -1 as its step hash).
 */
function observe(k: Kernel, hooked: boolean, go: () => string): Fingerprint {
  const rec = new RecordingChoices(k.choices);
  (k as { choices: Choices }).choices = rec;
  let hookCalls = 0;
  const before = k.machine.steps;
  if (hooked) {
    k.machine.addStepHook((_m: Machine) => {
      hookCalls++;
    });
  }
  const dmesg = go();
  const sched = new Fnv();
  for (const x of rec.schedule) sched.word(x);
  const d = new Fnv();
  d.text(dmesg);
  return {
    steps: k.machine.steps - before,
    machineSteps: k.machine.steps,
    tb: k.machine.tb,
    hookCalls: hooked ? hookCalls : -1,
    scheduleLength: rec.schedule.length,
    scheduleHash: sched.h,
    dmesgLength: dmesg.length,
    dmesgHash: d.h,
  };
}

function bootFingerprint(req: BootRequest, hooked: boolean): Fingerprint {
  const k = createKernel(req);
  return observe(k, hooked, () => runBoot(k).dmesg);
}

/** 200 patch_instruction calls on CPU 0 after a 2-CPU boot (what bench/patch.bench.ts runs). */
function patchFingerprint(hooked: boolean): Fingerprint {
  const k = createKernel({ cpus: 2 });
  runBoot(k);
  return observe(k, hooked, () => {
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

function check(run: (hooked: boolean) => Fingerprint): void {
  const observed = run(true);
  const fast = run(false);
  assert.ok(observed.steps > 0);
  assert.equal(observed.hookCalls, observed.steps, "the hook sees every step");
  assert.deepEqual(fast, { ...observed, hookCalls: -1 });
}

describe("the single-CPU fast path changes nothing", () => {
  it("the seed boot (c28c15b6d28a, DEBUG_VM, 2 CPUs)", () => {
    const req = { variant: findVariant("c28c15b6d28a"), sets: ["CONFIG_DEBUG_VM=y"], cpus: 2 };
    check((hooked) => bootFingerprint(req, hooked));
  });

  it("a 4-CPU boot with one hotplug cycle", () => {
    check((hooked) => bootFingerprint({ cpus: 4, hotplug: 1 }, hooked));
  });

  it("200 patch_instruction calls on the default variant", () => {
    check(patchFingerprint);
  });
});

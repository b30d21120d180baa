/**
 * How the machine resumes tasks must not change a run: the trampoline
 * (src/machine/frames.ts: calls suspended across a step are kept on the
 * CPU's frame stack, and a step resumes only the innermost) and
 * RunLoop.stepInPlace (a step taken without yielding when the run loop
 * would resume the same task anyway). Each run is made four ways: the
 * reference — every task one chain of nested generators resumed from its
 * outermost frame (`trampoline.flatten = false`), observed by a step hook
 * (which turns stepInPlace off), so every step goes through the run loop;
 * the same observed with the trampoline; unobserved nested; unobserved
 * with both. The step count, the timebase, the recorded schedule and the
 * dmesg bytes must be the same, and both observed runs must see the same
 * steps: the CPU and next op of each, and the kernel task's shadow call
 * stack after it, hashed. The reference also checks that every step is
 * accounted for (the hook fired once per step), and the observed run with
 * the trampoline must really have resumed calls as frames of their own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootRequest, createKernel, runBoot } from "../../src/api/boot.ts";
import { ppcInst } from "../../src/isa/powerpc/inst.ts";
import { pacaIrq } from "../../src/linux/arch/powerpc/include/asm/hw_irq.ts";
import { patchingOps } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../src/linux/image/build.ts";
import type { TaskStruct } from "../../src/linux/include/linux/sched.ts";
import { runKernelThread } from "../../src/linux/kernel/exit.ts";
import { createKthread } from "../../src/linux/kernel/kthread.ts";
import { RandomChoices } from "../../src/machine/choices/random.ts";
import { RecordingChoices } from "../../src/machine/choices/recording.ts";
import type { Cpu } from "../../src/machine/cpu.ts";
import type { Machine, RunResult } from "../../src/machine/machine.ts";
import { OpKind } from "../../src/machine/ops.ts";
import { VEC } from "../../src/machine/registers.ts";
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
  /** Step-hook calls, and a hash of each step's CPU, next op and call stack (observed runs only; -1 otherwise). */
  hookCalls: number;
  stepHash: number;
  scheduleLength: number;
  scheduleHash: number;
  dmesgLength: number;
  dmesgHash: number;
}

/** How a run is made (see the file comment). */
type Mode = "nested-hooked" | "hooked" | "nested" | "fast";

/** What the last run's `go` returned. */
let lastText = "";

/** The most frames above its task any CPU had at a step of the last observed run. */
let lastDetached = 0;

/** The kernel function names of the shadow call stack `cpu` runs on, outermost first. */
function stackOf(cpu: Cpu): string[] {
  const t = cpu.kernelTask as TaskStruct | null;
  return t === null ? [] : t.stack.map((f) => f.fn.name);
}

/** A kernel whose machine resumes tasks as `mode` says. */
function kernelFor(mode: Mode, req: BootRequest = { cpus: 2 }): Kernel {
  const k = createKernel(req);
  k.machine.trampoline.flatten = mode === "hooked" || mode === "fast";
  return k;
}

/**
 * Record the choices of the run `go` performs on `k` and, when `hooked`,
 * every step (the unhooked run reports -1 as its step hash).
 */
function observe(k: Kernel, mode: Mode, go: () => string): Fingerprint {
  const hooked = mode === "hooked" || mode === "nested-hooked";
  const stepHash = new Fnv();
  const rec = new RecordingChoices(k.choices);
  (k as { choices: Choices }).choices = rec;
  let hookCalls = 0;
  let detached = 0;
  const before = k.machine.steps;
  if (hooked) {
    k.machine.addStepHook((_m: Machine, cpu, next) => {
      hookCalls++;
      stepHash.word(cpu.id);
      stepHash.word(next);
      for (const name of stackOf(cpu)) stepHash.text(name);
      detached = Math.max(detached, cpu.frames.length - cpu.tasks.length);
    });
  }
  const dmesg = go();
  lastText = dmesg;
  lastDetached = detached;
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
  const k = kernelFor(mode, req);
  return observe(k, mode, () => runBoot(k).dmesg);
}

/** 200 patch_instruction calls on CPU 0 after a 2-CPU boot (what bench/patch.bench.ts runs). */
function patchFingerprint(mode: Mode): Fingerprint {
  const k = kernelFor(mode);
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
 * RandomChoices(seed); with `maxSteps` the run stops early, and with
 * `slices` it is made of runs of that many steps, each continuing the last.
 */
function concurrentFingerprint(
  seed: number,
  mode: Mode,
  maxSteps?: number,
  slices?: number,
): Fingerprint {
  const k = kernelFor(mode, { cpus: 2, seed });
  runBoot(k);
  (k as { choices: Choices }).choices = new RandomChoices(seed);
  return observe(k, mode, () => {
    spawnPatchers(k);
    let r: RunResult;
    if (slices !== undefined) {
      r = k.machine.run(k.choices, { maxSteps: slices });
      while (r.status === "max-steps") r = k.machine.run(k.choices, { maxSteps: slices });
      assert.equal(r.status, "done");
    } else {
      r = k.machine.run(k.choices, maxSteps === undefined ? {} : { maxSteps });
      assert.equal(r.status, maxSteps === undefined ? "done" : "max-steps");
    }
    const stacks = k.machine.cpus.map((cpu) => stackOf(cpu).join(" < ")).join("\n");
    return `${r.status} ${r.unfinished.join(",")}\n${stacks}\n${k.printk.dmesg()}`;
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
 * each to fire a few steps later: interrupts arrive with calls suspended on
 * the frame stack, hard-enabled or soft-masked (and replayed) depending on
 * where they land. The run's text records how many the handler saw.
 */
function interruptedFingerprint(delay: number, mode: Mode): Fingerprint {
  const k = kernelFor(mode);
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

function check(run: (mode: Mode) => Fingerprint): void {
  const reference = run("nested-hooked");
  assert.equal(lastDetached, 0, "nested: no call is resumed as a frame of its own");
  const hooked = run("hooked");
  assert.ok(lastDetached > 0, "the trampoline resumed calls as frames of their own");
  const nested = run("nested");
  const fast = run("fast");
  assert.ok(reference.steps > 0);
  assert.equal(reference.hookCalls, reference.steps, "the hook sees every step");
  assert.deepEqual(hooked, reference);
  const unobserved = { ...reference, hookCalls: -1, stepHash: -1 };
  assert.deepEqual(nested, unobserved);
  assert.deepEqual(fast, unobserved);
}

/**
 * CPU 0 patches once, and the lock `__get_locked_pte` is about to take is
 * made to look held by CPU 1 (by the step hook, just before the step that
 * takes it): the run deadlocks with CPU 0 spinning inside it.
 */
function deadlockedStack(mode: Mode): { status: string; stack: string[]; frames: number } {
  const k = kernelFor(mode);
  runBoot(k);
  const sym = imageSymbol(k, "do_one_initcall");
  if (sym === undefined) throw new Error("no do_one_initcall");
  const cpu = k.machine.cpu(0);
  const current = createKthread(k, "stuck");
  const c = { k, cpu, current };
  k.machine.spawn(
    0,
    (function* () {
      yield* runKernelThread(c, function* (cc) {
        yield* patchingOps(k).patchInstruction(cc, sym.address + 0x40n, ppcInst(0x6000_0000));
      });
    })(),
  );
  let held = false;
  k.machine.addStepHook((_m, stepped, next) => {
    if (held || next !== OpKind.LOCK || stackOf(stepped).at(-1) !== "__get_locked_pte") return;
    (stepped.pending.object as { owner: number }).owner = 1;
    held = true;
  });
  const r = k.machine.run(k.choices, { maxSteps: 10_000 });
  return { status: r.status, stack: stackOf(cpu), frames: cpu.frames.length };
}

describe("resuming tasks through the trampoline changes nothing", () => {
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

  it("two CPUs patching at once under random schedules", () => {
    for (const seed of [1, 2, 3, 4, 5]) check((mode) => concurrentFingerprint(seed, mode));
  });

  it("decrementer interrupts run where the nested generators take them", () => {
    let handled = 0;
    for (const delay of [1, 2, 3, 7]) {
      check((mode) => interruptedFingerprint(delay, mode));
      handled += Number(/handled: (\d+)/.exec(lastText)?.[1] ?? 0);
    }
    assert.ok(handled > 0, "some interrupts were taken (not all soft-masked)");
  });

  it("a run stopped by its step bound stops at the same step, with the same call stacks", () => {
    for (const maxSteps of [1, 7, 40, 333]) {
      check((mode) => concurrentFingerprint(9, mode, maxSteps));
      assert.match(lastText, /patch_instruction/, `${maxSteps} steps: a stack was printed`);
    }
  });

  it("a run stepped in slices ends exactly as the run made in one go", () => {
    const whole = concurrentFingerprint(9, "fast");
    for (const slices of [1, 13, 250]) {
      assert.deepEqual(concurrentFingerprint(9, "fast", undefined, slices), whole, `${slices}`);
    }
  });

  it("a deadlocked CPU keeps its call stack, as the nested generators do", () => {
    const nested = deadlockedStack("nested");
    const flat = deadlockedStack("fast");
    assert.equal(flat.status, "deadlock");
    assert.deepEqual(flat.stack, nested.stack);
    assert.ok(flat.stack.includes("patch_instruction"), flat.stack.join(" < "));
    assert.equal(flat.stack.at(-1), "__get_locked_pte");
    assert.equal(nested.frames, 1, "nested: the task is the only frame");
    assert.ok(flat.frames > 1, "the calls are suspended on the frame stack");
  });

  it("an exception in a call suspended on the frame stack leaves `run` as it was thrown", () => {
    for (const mode of ["nested", "fast"] as const) {
      const k = kernelFor(mode);
      runBoot(k);
      const sym = imageSymbol(k, "do_one_initcall");
      if (sym === undefined) throw new Error("no do_one_initcall");
      const cpu = k.machine.cpu(0);
      const c = { k, cpu, current: createKthread(k, "bug") };
      k.machine.spawn(
        0,
        (function* () {
          yield* runKernelThread(c, function* (cc) {
            yield* patchingOps(k).patchInstruction(cc, sym.address + 0x40n, ppcInst(0x6000_0000));
          });
        })(),
      );
      const bug = new Error("simulator bug");
      k.machine.addStepHook((_m, stepped, next) => {
        // The lock __get_locked_pte takes next cannot be read: a bug deep in suspended calls.
        if (next === OpKind.LOCK && stackOf(stepped).at(-1) === "__get_locked_pte") {
          Object.defineProperty(stepped.pending.object, "owner", {
            get() {
              throw bug;
            },
          });
        }
      });
      assert.throws(
        () => k.machine.run(k.choices),
        (e) => e === bug,
        mode,
      );
    }
  });
});

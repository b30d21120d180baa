/**
 * Calling compiled kernel functions (fixtures/kernel) on the simulated CPU:
 * set up the ELFv2 call (r12 = global entry, r1 = a frame on the task's
 * stack, r2 = the kernel TOC and r13 = the CPU's paca as kernel code always
 * has them, r3.. = arguments, LR = the return address), run the guest until
 * it returns there, and read r3.
 */
import { fillPaca } from "../arch/powerpc/include/asm/paca.ts";
import { functionAddress } from "../arch/powerpc/kernel/stacktrace.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { callSiteOffset } from "../core/kfunc.ts";
import { imageLayout, imageSymbol } from "./build.ts";

/**
 * Provided by the interpreter. An object keeping its options as fields (not
 * a closure), so a fork of the kernel holds its own copy (src/util/clone.ts).
 */
export interface GuestRunner {
  /**
   * Run guest code on `c.cpu` from its current registers until NIA equals
   * `returnTo`; false if the guest did not get there (a fault the kernel
   * model took over, a bound).
   */
  run(c: Ctx, returnTo: bigint): KGen<boolean>;
}

const RUNNER = defineSlot<{ run: GuestRunner | null }>("guest-runner", () => ({ run: null }));

/** Install the interpreter for this kernel. */
export function setGuestRunner(k: Kernel, run: GuestRunner): void {
  k.slot(RUNNER).run = run;
}

/** The minimum ELFv2 frame the caller leaves below the stack pointer. */
const STACK_FRAME = 112n;

/**
 * Call the compiled function `name` with integer arguments; returns r3, or
 * null when no interpreter is installed or the call did not return.
 * SIMPLIFICATION: without an interpreter (`setGuestRunner`) compiled code is
 * not executed and the caller decides what that means.
 */
export function* callCompiled(c: Ctx, name: string, args: readonly bigint[]): KGen<bigint | null> {
  const sym = imageSymbol(c.k, name);
  if (sym === undefined || !sym.func) throw new Error(`callCompiled: no compiled function ${name}`);
  return yield* callCompiledAt(c, sym.address, args, returnAddress(c, name));
}

/**
 * Where a call of the compiled function `name` from the running modelled
 * code returns: right after the `bl` in the innermost modelled frame, the
 * return address the image gives that call (`callSiteOffset`, as the
 * unwinder computes it). A frame named like the compiled function stands for
 * it (an initcall wrapper): then the frame below is the caller. So a
 * compiled function sees a real parent in LR (what the function tracer
 * records as parent_ip). The sentinel `_stext` when no modelled frame calls.
 */
function returnAddress(c: Ctx, name: string): bigint {
  const stack = c.current.stack;
  let i = stack.length - 1;
  if (i >= 0 && stack[i]!.fn.name === name) i--;
  const caller = stack[i]?.fn;
  if (caller === undefined || c.k.kallsyms.lookupName(caller.name) === undefined)
    return c.k.image!.stext;
  return functionAddress(c.k, caller) + BigInt(callSiteOffset(caller, name));
}

/**
 * Call compiled code at `entry` (a global entry point: kernel text or a
 * module's) with integer arguments, as the kernel calls through a function
 * pointer; returns r3, or null when no interpreter is installed or the call
 * did not return. The caller's registers are restored afterwards.
 */
export function* callCompiledAt(
  c: Ctx,
  entry: bigint,
  args: readonly bigint[],
  returnTo?: bigint,
): KGen<bigint | null> {
  const runner = c.k.slot(RUNNER).run;
  if (runner === null) return null;
  const cpu = c.cpu;
  const saved = {
    gpr: cpu.gpr.slice(),
    lr: cpu.lr,
    nia: cpu.nia,
    cr: cpu.cr,
    ctr: cpu.ctr,
    xer: cpu.xer,
  };
  // Return into the modelled caller, else to the entry of the image's head:
  // addresses no compiled code branches to.
  const sentinel = returnTo ?? c.k.image!.stext;
  args.forEach((a, i) => {
    cpu.gpr[3 + i] = BigInt.asUintN(64, a);
  });
  cpu.gpr[1] = c.current.stackTop - STACK_FRAME;
  cpu.gpr[2] = imageLayout(c.k).toc;
  cpu.gpr[12] = entry;
  // The CPU's paca where the kernel has one in memory (0 otherwise, as before).
  cpu.gpr[13] = fillPaca(c);
  cpu.lr = sentinel;
  cpu.nia = entry;
  const ok = yield* runner.run(c, sentinel);
  const r3 = cpu.gpr[3]!;
  cpu.gpr.set(saved.gpr);
  cpu.lr = saved.lr;
  cpu.nia = saved.nia;
  cpu.cr = saved.cr;
  cpu.ctr = saved.ctr;
  cpu.xer = saved.xer;
  return ok ? r3 : null;
}

/**
 * A scenario's actions as kernel code: each runs in a kernel thread (or an
 * interrupt handler) on its CPU, through the same functions the kernel's own
 * callers use, so every visible step is the model's.
 */
import { type PpcInst, ppcInst, ppcInstPrefix } from "../isa/powerpc/inst.ts";
import type { InterruptRegs } from "../linux/arch/powerpc/kernel/interrupt.ts";
import { patchBranch } from "../linux/arch/powerpc/lib/code-patching.ts";
import { patchingOps } from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../linux/core/ctx.ts";
import type { Kernel } from "../linux/core/kernel.ts";
import { callCompiled } from "../linux/image/call-compiled.ts";
import {
  type Kprobe,
  type Kretprobe,
  type KretprobeInstance,
  newKprobe,
  newKretprobe,
} from "../linux/include/linux/kprobes.ts";
import { cpuDown, cpuUp } from "../linux/kernel/cpu.ts";
import { staticKeyDisable, staticKeyEnable, staticKeys } from "../linux/kernel/jump_label.ts";
import {
  registerKprobe,
  registerKretprobe,
  unregisterKprobe,
  unregisterKretprobe,
} from "../linux/kernel/kprobes.ts";
import { builtinModule } from "../linux/kernel/module/builtin.ts";
import { findModule } from "../linux/kernel/module/list.ts";
import { loadModule, unloadModule } from "../linux/kernel/module/load.ts";
import { ftraceConfigured, ftraceSiteFunctions } from "../linux/kernel/trace/ftrace.ts";
import { ftraceDisableFunction, ftraceEnableFunction } from "../linux/kernel/trace/trace.ts";
import { fetch } from "../machine/access.ts";
import { OpKind } from "../machine/ops.ts";
import { isync, visible } from "../machine/task-ops.ts";
import { UserError } from "../util/user-error.ts";
import type { Action } from "./scenario.ts";

/** What actions tell the checker (the invariants' inputs beyond the steps themselves). */
export interface ActionObserver {
  /** CPU `cpu` executed the instruction at `addr`: `words` as fetched in one step. */
  executed(cpu: number, addr: bigint, words: readonly number[], isyncStep: number): void;
  /** CPU `cpu` performed a context synchronisation (the isync before a call). */
  contextSynchronised(cpu: number): void;
  /** An action's kernel call returned an error the scenario did not expect. */
  actionFailed(cpu: number, what: string, ret: number): void;
  /** The machine's current step (for ordering). */
  readonly step: number;
}

/** A module target whose module is not loaded (now). */
export class ModuleNotLoaded extends Error {
  override readonly name = "ModuleNotLoaded";
  readonly module: string;
  constructor(spec: string, module: string) {
    super(`target '${spec}': module ${module} is not loaded`);
    this.module = module;
  }
}

/** Resolve `SYMBOL[+OFF]` or `MODULE:SYMBOL[+OFF]` now (a module's symbols exist once it is loaded). */
export function resolveTarget(k: Kernel, spec: string, stride: number, index: number): bigint {
  const m = /^(?:([A-Za-z_]\w*):)?([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(spec);
  if (m === null) throw new UserError(`bad target '${spec}'`);
  const off = BigInt(m[3] === undefined ? 0 : Number(m[3])) + BigInt(stride * index);
  if (m[1] !== undefined) {
    const mod = findModule(k, m[1]);
    const sym = mod?.symbols.get(m[2]!);
    if (mod === undefined) throw new ModuleNotLoaded(spec, m[1]);
    if (sym === undefined)
      throw new UserError(`target '${spec}': no symbol ${m[2]} in module ${m[1]}`);
    return sym.address + off;
  }
  const addr = k.kallsyms.lookupName(m[2]!);
  if (addr === undefined)
    throw new UserError(`target '${spec}': no symbol '${m[2]}' in the kernel`);
  return addr + off;
}

/** `0xWORD` or `0xPREFIX:0xSUFFIX`. */
export function parseInsn(s: string): PpcInst {
  const [a, b] = s.split(":");
  return b === undefined ? ppcInst(Number(a)) : ppcInstPrefix(Number(a), Number(b));
}

/**
 * Execute the instruction at `addr` on this CPU as the interpreter's fetch
 * does: `isync` (context synchronisation: a stale icache line is dropped),
 * then one fetch step through the ITLB and icache — both words of a
 * prefixed instruction in that one step, as the hardware fetches it whole.
 */
function* execute(c: Ctx, addr: bigint, obs: ActionObserver): KGen<void> {
  const m = c.k.machine;
  yield* isync(m, c.cpu);
  const isyncStep = obs.step;
  yield* visible(c.cpu, OpKind.IFETCH, null, addr);
  const w0 = fetch(m, c.cpu, addr);
  if (typeof w0 !== "number") {
    obs.actionFailed(c.cpu.id, `fetch of 0x${addr.toString(16)}`, -14);
    return;
  }
  const words = [w0];
  if (w0 >>> 26 === 1) {
    const w1 = fetch(m, c.cpu, addr + 4n);
    if (typeof w1 === "number") words.push(w1);
  }
  obs.executed(c.cpu.id, addr, words, isyncStep);
}

/**
 * The `kretprobe` action's return handler: nothing (__kretprobe_trampoline_handler
 * counts the returns in `Kretprobe.hits`).
 */
// biome-ignore lint/correctness/useYield: a kretprobe handler is a generator by contract
function* countedReturn(_c: Ctx, _ri: KretprobeInstance, _regs: InterruptRegs): KGen<number> {
  return 0;
}

/** A thread's actions in order; kprobes and kretprobes it registered are unregistered at the end. */
export function* runActions(
  c: Ctx,
  actions: readonly Action[],
  index: number,
  obs: ActionObserver,
): KGen<void> {
  const armed: (Kprobe | Kretprobe)[] = [];
  for (const a of actions) {
    try {
      yield* runAction(c, a, index, obs, armed);
    } catch (e) {
      // The scenario loads it, but the load failed (an injected failure): this action fails too.
      const loads =
        e instanceof ModuleNotLoaded &&
        actions.some((b) => b.op === "module-load" && b.module === e.module);
      if (!loads) throw e instanceof ModuleNotLoaded ? new UserError(e.message) : e;
      obs.actionFailed(c.cpu.id, (e as Error).message, -2);
    }
  }
  for (const p of armed.reverse()) {
    if ("kp" in p) yield* unregisterKretprobe(c, p);
    else yield* unregisterKprobe(c, p);
  }
}

/** Run one action on `c`'s CPU; `index` is the thread's index (for strides). */
function* runAction(
  c: Ctx,
  a: Action,
  index: number,
  obs: ActionObserver,
  armed: (Kprobe | Kretprobe)[],
): KGen<void> {
  const k = c.k;
  switch (a.op) {
    case "patch": {
      const addr = resolveTarget(k, a.target, a.stride, index);
      const err = yield* patchingOps(k).patchInstruction(c, addr, parseInsn(a.insn));
      if (err !== 0) obs.actionFailed(c.cpu.id, `patch_instruction(${a.target})`, err);
      return;
    }
    case "patch-branch": {
      const addr = resolveTarget(k, a.target, 0, index);
      const to = resolveTarget(k, a.to, 0, index);
      // Through the variant's table when it overrides patch_branch.
      const ops = patchingOps(k) as { patchBranch?: typeof patchBranch };
      const err = yield* (ops.patchBranch ?? patchBranch)(c, addr, to, 0);
      if (err !== 0) obs.actionFailed(c.cpu.id, `patch_branch(${a.target})`, err);
      return;
    }
    case "execute":
      return yield* execute(c, resolveTarget(k, a.target, a.stride, index), obs);
    case "cpu-down": {
      const err = yield* cpuDown(c, a.cpu);
      if (err !== 0) obs.actionFailed(c.cpu.id, `cpu_down(${a.cpu})`, err);
      return;
    }
    case "cpu-up": {
      const err = yield* cpuUp(c, a.cpu);
      if (err !== 0) obs.actionFailed(c.cpu.id, `cpu_up(${a.cpu})`, err);
      return;
    }
    case "module-load": {
      const bytes = builtinModule(a.module);
      if (bytes === undefined) throw new UserError(`scenario: no built-in module '${a.module}'`);
      const r = yield* loadModule(c, a.module, bytes);
      if (typeof r === "number") obs.actionFailed(c.cpu.id, `load_module(${a.module})`, r);
      return;
    }
    case "module-unload": {
      const err = yield* unloadModule(c, a.module);
      if (err !== 0) obs.actionFailed(c.cpu.id, `delete_module(${a.module})`, err);
      return;
    }
    case "kprobe": {
      const p = newKprobe({ symbolName: a.symbol });
      const err = yield* registerKprobe(c, p);
      if (err !== 0) obs.actionFailed(c.cpu.id, `register_kprobe(${a.symbol})`, err);
      else armed.push(p);
      return;
    }
    case "kretprobe": {
      const rp = newKretprobe({ symbolName: a.symbol, handler: countedReturn });
      const err = yield* registerKretprobe(c, rp);
      if (err !== 0) obs.actionFailed(c.cpu.id, `register_kretprobe(${a.symbol})`, err);
      else armed.push(rp);
      return;
    }
    case "static-key-enable":
    case "static-key-disable": {
      const key = staticKeys(k).find((s) => s.name === a.key);
      if (key === undefined)
        throw new UserError(
          `scenario: '${a.key}' is not a static key of the kernel (keys: ${staticKeys(k)
            .map((s) => s.name)
            .join(", ")})`,
        );
      yield* (a.op === "static-key-enable" ? staticKeyEnable : staticKeyDisable)(c, key.address);
      return;
    }
    case "ftrace-enable":
    case "ftrace-disable": {
      if (!ftraceConfigured(k))
        throw new UserError(`scenario: ${a.op} needs CONFIG_FUNCTION_TRACER=y`);
      if (!ftraceSiteFunctions(k).includes(a.function))
        throw new UserError(
          `scenario: '${a.function}' has no ftrace call site (traceable: ${ftraceSiteFunctions(k).join(", ")})`,
        );
      const on = a.op === "ftrace-enable";
      const err = yield* (on ? ftraceEnableFunction : ftraceDisableFunction)(c, a.function);
      if (err !== 0) obs.actionFailed(c.cpu.id, `${a.op}(${a.function})`, err);
      return;
    }
    case "call": {
      const args = a.args.map((x) =>
        typeof x === "number" ? BigInt(x) : resolveTarget(k, x, 0, index),
      );
      // As `execute` does: what the call fetches is checked against the
      // patches that returned before this context synchronisation.
      yield* isync(k.machine, c.cpu);
      obs.contextSynchronised(c.cpu.id);
      const r = yield* callCompiled(c, a.symbol, args);
      if (r === null) obs.actionFailed(c.cpu.id, `${a.symbol}() did not return`, -1);
      return;
    }
  }
}

/**
 * The machine side of one patch_instruction, alone: every operation the
 * patch performs on the simulated machine (page-table entry reads and
 * writes, ptesync/isync, PID switches, the two stores, icbi, tlbiel),
 * recorded from a real patch and replayed in order as plain calls, with no
 * kernel model, no locks and no step boundaries around them. Its rate is the
 * ceiling on patch_instruction's for this machine model: the kernel model
 * and the scheduler can only add to it.
 */
import { ppcInst } from "../src/isa/powerpc/inst.ts";
import { patchingOps } from "../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Kernel } from "../src/linux/core/kernel.ts";
import { runKernelThread } from "../src/linux/kernel/exit.ts";
import { createKthread } from "../src/linux/kernel/kthread.ts";
import { icbi, store } from "../src/machine/access.ts";
import type { Cpu } from "../src/machine/cpu.ts";
import type { Machine } from "../src/machine/machine.ts";
import { OpKind } from "../src/machine/ops.ts";

/** The Machine methods a patch calls for its effects on the hardware. */
const METHODS = ["loadPte", "storePte", "ptesync", "isync", "setPidr", "tlbiel"] as const;
type Method = (typeof METHODS)[number];

/** One recorded operation: a Machine method with its arguments, or a store / icbi at an EA. */
type MachineOp =
  | { kind: "method"; name: Method; args: unknown[] }
  | { kind: "store"; ea: bigint; size: 4 | 8 }
  | { kind: "icbi"; ea: bigint };

/**
 * Patch `at` once on CPU 0 (warm), then once more while recording the
 * machine operations in the order they take effect. Stores and icbi are
 * module functions, not Machine methods: they are seen at their step
 * boundary, just before they take effect.
 */
export function recordPatchMachineOps(k: Kernel, at: bigint): MachineOp[] {
  const m = k.machine;
  const ops: MachineOp[] = [];
  let recording = false;
  const shadow = m as unknown as Record<Method, (...a: unknown[]) => unknown>;
  for (const name of METHODS) {
    const method = shadow[name].bind(m);
    shadow[name] = (...args: unknown[]) => {
      if (recording) ops.push({ kind: "method", name, args });
      return method(...args);
    };
  }
  const removeHook = m.addStepHook((_m, cpu) => {
    if (!recording) return;
    const p = cpu.pending;
    if (p.kind === OpKind.STORE) ops.push({ kind: "store", ea: p.ea, size: p.size as 4 | 8 });
    else if (p.kind === OpKind.ICBI) ops.push({ kind: "icbi", ea: p.ea });
  });
  try {
    const c = { k, cpu: m.cpu(0), current: createKthread(k, "record") };
    const word = ppcInst(0x6000_0000);
    m.spawn(
      0,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          const patching = patchingOps(k);
          yield* patching.patchInstruction(cc, at, word);
          recording = true;
          const err = yield* patching.patchInstruction(cc, at, word);
          recording = false;
          if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
        });
      })(),
    );
    const r = m.run(k.choices);
    if (r.status !== "done") throw new Error(`run: ${r.status}`);
  } finally {
    removeHook();
    for (const name of METHODS) delete (shadow as Partial<typeof shadow>)[name];
  }
  return ops;
}

/**
 * The recorded operations as one closure each, with their arguments bound,
 * so a replay makes plain calls (no lookup of the method by name, no spread).
 */
function compile(m: Machine, ops: readonly MachineOp[]): ((word: number) => void)[] {
  const cpu: Cpu = m.cpu(0);
  return ops.map((op): ((word: number) => void) => {
    if (op.kind === "store") {
      const { ea, size } = op;
      return (word) => {
        if (store(m, cpu, ea, size, word) !== null)
          throw new Error(`store to 0x${ea.toString(16)} faulted`);
      };
    }
    if (op.kind === "icbi") {
      const ea = op.ea;
      return () => {
        if (icbi(m, cpu, ea) !== null) throw new Error(`icbi of 0x${ea.toString(16)} faulted`);
      };
    }
    const a = op.args as [never, never, never, never, never, never];
    switch (op.name) {
      case "loadPte":
        return () => void m.loadPte(a[0]);
      case "storePte":
        return () => m.storePte(a[0], a[1], a[2]);
      case "ptesync":
        return () => m.ptesync(a[0]);
      case "isync":
        return () => m.isync(a[0]);
      case "setPidr":
        return () => m.setPidr(a[0], a[1]);
      case "tlbiel":
        return () => void m.tlbiel(a[0], a[1], a[2], a[3], a[4], a[5]);
      default:
        throw new Error(`no replay for Machine.${op.name satisfies never}`);
    }
  });
}

/** Replay the recorded operations `times` times, storing `words` in turn. */
export function replayMachineOps(
  m: Machine,
  ops: readonly MachineOp[],
  words: readonly number[],
  times: number,
): void {
  const steps = compile(m, ops);
  for (let i = 0; i < times; i++) {
    const word = words[i % words.length]!;
    for (const step of steps) step(word);
  }
}

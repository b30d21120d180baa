// The variant API as a user's module uses it (test/variants/modules/*.mjs,
// loaded the way `--variant FILE` loads them): a copy of a built-in function
// written against `tp` must behave exactly as the built-in, overrides must be
// reached by callers through the table, a variant's own WARN sites must
// print, and a variant's state must belong to one kernel.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootRequest, createKernel, runBoot } from "../../src/api/boot.ts";
import { variantFromModule } from "../../src/api/variants.ts";
import { loadVariant } from "../../src/cli/load-variant.ts";
import { type PpcInst, ppcInst, ppcInstPrefix } from "../../src/isa/powerpc/inst.ts";
import { moduleAlloc } from "../../src/linux/arch/powerpc/kernel/module.ts";
import { patchingOps } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import { setMemoryRox } from "../../src/linux/arch/powerpc/mm/pageattr.ts";
import type { Kernel } from "../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../src/linux/image/build.ts";
import type { Machine } from "../../src/machine/machine.ts";
import { ld } from "../../src/machine/task-ops.ts";
import { UserError } from "../../src/util/user-error.ts";
import { defineVariant, type StateKey, variantApi } from "../../src/variants/api.ts";
import { bootKernel, dmesgLines, runOn } from "../linux/helpers/run-kernel.ts";

const MODULES = new URL("./modules/", import.meta.url).pathname;

/** A variant module of ./modules, imported as `--variant` imports a .mjs file. */
async function load<T>(name: string): Promise<T & { default: unknown }> {
  return (await import(`${MODULES}${name}`)) as T & { default: unknown };
}

interface WarnOwnLine {
  FILE: string;
  LINE: number;
  SUSPICIOUS: number;
}
const NOP = 0x6000_0000;
const TRAP = 0x7fe0_0008;
/** Linux's ERANGE (include/uapi/asm-generic/errno-base.h). */
const ERANGE = 34;

function textAddr(k: Kernel, name = "do_one_initcall", offset = 0x40n): bigint {
  const sym = imageSymbol(k, name);
  assert.ok(sym !== undefined, name);
  return sym.address + offset;
}

/** Every step the machine takes from now on: CPU, operation, address, size. */
function recordSteps(m: Machine): string[] {
  const steps: string[] = [];
  m.addStepHook((_m, cpu, next) => {
    steps.push(`${cpu.id} ${next} ${cpu.pending.ea.toString(16)} ${cpu.pending.size}`);
  });
  return steps;
}

describe("a copy of __patch_instruction and get_patch_pfn through the API", () => {
  /** Boot, then patch kernel text, a prefixed pair and module text, recording every step. */
  function run(req: BootRequest): { steps: string[]; dmesg: string; words: number[] } {
    const k = createKernel({ cpus: 2, ...req });
    const steps = recordSteps(k.machine);
    const r = runBoot(k);
    assert.equal(r.exitCode, 0, r.dmesg);
    const text = textAddr(k);
    const page = runOn(k, 0, function* (c) {
      const p = yield* moduleAlloc(c, k.config.pageSize);
      assert.ok(p !== null);
      assert.equal(yield* setMemoryRox(c, p, 1), 0);
      return p;
    });
    const patches: [number, bigint, PpcInst][] = [
      [0, text, ppcInst(TRAP)],
      [1, text + 8n, ppcInstPrefix(0x0400_0000, NOP)],
      [1, page + 0x100n, ppcInst(TRAP)],
      [0, text, ppcInst(NOP)],
    ];
    for (const [cpu, at, instr] of patches) {
      assert.equal(
        runOn(k, cpu, (c) => patchingOps(k).patchInstruction(c, at, instr)),
        0,
      );
    }
    const read = (va: bigint) =>
      runOn(k, 0, function* (c) {
        return yield* ld(k.machine, c.cpu, va, 4);
      });
    const words = [text, text + 8n, text + 12n, page + 0x100n].map((va) => Number(read(va)));
    return { steps, dmesg: r.dmesg, words };
  }

  it("takes exactly the steps of the built-in, in the same order, boot included", async () => {
    const copy = await loadVariant(`${MODULES}copy-patch-instruction.mjs`);
    assert.notEqual(copy.ops.__patchInstruction, variantApi.base.__patchInstruction);
    assert.notEqual(copy.ops.getPatchPfn, variantApi.base.getPatchPfn);
    const builtin = run({});
    const mine = run({ variant: copy });
    assert.deepEqual(mine.words, [NOP, 0x0400_0000, NOP, TRAP]);
    assert.deepEqual(mine.words, builtin.words);
    assert.equal(mine.dmesg, builtin.dmesg);
    assert.ok(builtin.steps.length > 1000);
    assert.equal(mine.steps.length, builtin.steps.length);
    const first = mine.steps.findIndex((s, i) => s !== builtin.steps[i]);
    assert.equal(first, -1, `first different step: #${first}`);
  });

  it("without the spill (the gap tp.spillVal closes) it is one store short per patch", () => {
    const gappy = defineVariant({
      commit: "980411a4d1bb",
      subject: "no spill",
      overrides: {
        *__patchInstruction(c, execAddr, instr, patchAddr) {
          const m = c.k.machine;
          const fault = variantApi.ppcInstPrefixed(instr)
            ? yield* variantApi.st(m, c.cpu, patchAddr, 8, variantApi.ppcInstAsUlong(instr))
            : yield* variantApi.st(m, c.cpu, patchAddr, 4, variantApi.ppcInstVal(instr));
          if (fault !== null) return -variantApi.EPERM;
          yield* variantApi.visible(c.cpu, variantApi.OpKind.DCBST, "dcbst", patchAddr);
          yield* variantApi.visible(c.cpu, variantApi.OpKind.SYNC, "sync");
          yield* variantApi.icbiOp(m, c.cpu, execAddr);
          yield* variantApi.visible(c.cpu, variantApi.OpKind.SYNC, "sync");
          yield* variantApi.isync(m, c.cpu);
          return 0;
        },
      },
    });
    const count = (variant?: typeof gappy) => {
      const k = bootKernel({ cpus: 2, ...(variant ? { variant } : {}) });
      const steps = recordSteps(k.machine);
      runOn(k, 0, (c) => patchingOps(k).patchInstruction(c, textAddr(k), ppcInst(TRAP)));
      return steps.length;
    };
    assert.equal(count(gappy), count() - 1);
  });
});

describe("patch_branch is one of the table's functions", () => {
  it("an override is what callers going through the table reach, with per-kernel state", async () => {
    const mod = await load<{ calls: StateKey<{ n: number; targets: bigint[] }> }>(
      "patch-branch.mjs",
    );
    const variant = variantFromModule(mod, "patch-branch.mjs");
    const calls = mod.calls;
    const k = bootKernel({ cpus: 2, variant });
    const at = textAddr(k);
    const target = textAddr(k, "kernel_init", 0n);
    const before = variantApi.state(k, calls).n;
    assert.equal(
      runOn(k, 1, (c) => patchingOps(k).patchBranch(c, at, target, variantApi.BRANCH_SET_LINK)),
      0,
    );
    // bl kernel_init: I-form, LK=1, the displacement in LI.
    const word = k.machine.mem.read32(Number(at - 0xc000_0000_0000_0000n));
    assert.equal(word, (0x4800_0001 | Number((target - at) & 0x03ff_fffcn)) >>> 0);
    // Out of reach: -ERANGE, nothing written.
    assert.equal(
      runOn(k, 0, (c) => patchingOps(k).patchBranch(c, at, at + 0x200_0000n, 0)),
      -ERANGE,
    );
    const s = variantApi.state(k, calls);
    assert.equal(s.n - before, 2);
    assert.deepEqual(s.targets.slice(-2), [target, at + 0x200_0000n]);
  });

  it("the built-in table has it, and defineVariant accepts it as an override", () => {
    assert.equal(variantApi.baseOps.patchBranch, variantApi.base.patchBranch);
    const v = defineVariant({
      commit: "980411a4d1bb",
      subject: "s",
      overrides: { patchBranch: variantApi.base.patchBranch },
    });
    assert.equal(v.ops.patchBranch, variantApi.base.patchBranch);
  });
});

describe("a variant's own WARN sites", () => {
  it("a WARN at a line no built-in function has prints a WARNING with that file:line", async () => {
    const warnOwnLine = await load<WarnOwnLine>("warn-own-line.mjs");
    const variant = variantFromModule(warnOwnLine, "warn-own-line.mjs");
    assert.deepEqual(variant.bugSites, [
      { fn: "patch_instruction", file: warnOwnLine.FILE, line: warnOwnLine.LINE, kind: "warn-on" },
    ]);
    const k = bootKernel({ cpus: 2, variant });
    const at = textAddr(k);
    assert.equal(
      runOn(k, 0, (c) => patchingOps(k).patchInstruction(c, at, ppcInst(warnOwnLine.SUSPICIOUS))),
      0,
    );
    const lines = dmesgLines(k);
    const header = lines.find((l) => l.startsWith("WARNING:"));
    assert.ok(header !== undefined, lines.join("\n"));
    assert.match(
      header,
      new RegExp(
        `^WARNING: CPU: 0 PID: \\d+ at ${warnOwnLine.FILE.replaceAll(".", "\\.")}:${warnOwnLine.LINE} patch_instruction\\+0x[0-9a-f]+/0x6d0$`,
      ),
    );
    // The patch itself went through; a WARN continues.
    assert.equal(k.machine.mem.read32(Number(at - 0xc000_0000_0000_0000n)), 0);
  });

  it("the sites are only in the images of kernels running the variant", async () => {
    const warnOwnLine = await load<WarnOwnLine>("warn-own-line.mjs");
    const variant = variantFromModule(warnOwnLine, "warn-own-line.mjs");
    const withSite = createKernel({ cpus: 2, variant });
    const without = createKernel({ cpus: 2 });
    const words = (k: Kernel) => {
      const sym = imageSymbol(k, "patch_instruction")!;
      const base = Number(sym.address - 0xc000_0000_0000_0000n);
      return Array.from({ length: sym.size / 4 }, (_, i) => k.machine.mem.read32(base + 4 * i));
    };
    const a = words(withSite);
    const b = words(without);
    const differ = a.flatMap((w, i) => (w !== b[i] ? [i] : []));
    assert.equal(differ.length, 1);
    // tdnei r9,0: the trap of a WARN_ON.
    assert.equal(a[differ[0]!], 0x0b09_0000);
  });

  it("the same WARN without the declaration is a simulator error naming the site", async () => {
    const warnOwnLine = await load<WarnOwnLine>("warn-own-line.mjs");
    const undeclared = defineVariant({
      commit: "980411a4d1bb",
      subject: "undeclared",
      overrides: {
        *__doPatchInstructionMm(c, addr, instr) {
          const suspicious = variantApi.ppcInstVal(instr) === warnOwnLine.SUSPICIOUS;
          yield* variantApi.warnOn(c, suspicious, {
            file: warnOwnLine.FILE,
            line: warnOwnLine.LINE,
          });
          return yield* variantApi.base.__doPatchInstructionMm(c, addr, instr);
        },
      },
    });
    const k = bootKernel({ cpus: 2, variant: undeclared });
    assert.throws(
      () =>
        runOn(k, 0, (c) =>
          patchingOps(k).patchInstruction(c, textAddr(k), ppcInst(warnOwnLine.SUSPICIOUS)),
        ),
      /code-patching-check\.c:42 in patch_instruction has no trap word.*bugSites, with fn 'patch_instruction'/,
    );
  });

  it("bad declarations are UserErrors", () => {
    const def = (bugSites: unknown) => () =>
      defineVariant({
        commit: "980411a4d1bb",
        subject: "s",
        overrides: {},
        bugSites: bugSites as never,
      });
    assert.throws(def({}), UserError);
    assert.throws(def([{ fn: "no_such_function", file: "a.c", line: 1 }]), /'fn' must name/);
    assert.throws(def([{ fn: "patch_instruction", file: "a.c", line: 0 }]), /'line'/);
    assert.throws(def([{ fn: "patch_instruction", file: "", line: 3 }]), /'file'/);
    assert.throws(
      def([{ fn: "patch_instruction", file: "a.c", line: 3, kind: "oops" }]),
      /'kind' must be one of/,
    );
  });
});

describe("per-kernel state", () => {
  it("two kernels booted in one process each count their own patches", async () => {
    const countPatches = await load<{
      patches: StateKey<{ n: number; byCpu: Map<number, number> }>;
      shared: { n: number };
    }>("count-patches.mjs");
    const variant = variantFromModule(countPatches, "count-patches.mjs");
    const key = countPatches.patches;
    const shared0 = countPatches.shared.n;
    const a = bootKernel({ cpus: 2, variant });
    const afterBootA = variantApi.state(a, key).n;
    const b = bootKernel({ cpus: 4, variant });
    const afterBootB = variantApi.state(b, key).n;
    assert.equal(variantApi.state(a, key).n, afterBootA, "b's boot did not count in a");
    for (let i = 0; i < 3; i++) {
      runOn(a, 1, (c) => patchingOps(a).patchInstruction(c, textAddr(a), ppcInst(NOP)));
    }
    for (let i = 0; i < 5; i++) {
      runOn(b, 3, (c) => patchingOps(b).patchInstruction(c, textAddr(b), ppcInst(NOP)));
    }
    const sa = variantApi.state(a, key);
    const sb = variantApi.state(b, key);
    assert.notEqual(sa, sb);
    assert.equal(sa.n, afterBootA + 3);
    assert.equal(sb.n, afterBootB + 5);
    assert.equal(sa.byCpu.get(3), undefined);
    assert.equal(sb.byCpu.get(3), 5);
    // The module global is one counter for both.
    assert.equal(countPatches.shared.n - shared0, sa.n + sb.n);
  });

  it("state must be plain data, new for every kernel", () => {
    const k1 = createKernel({ cpus: 1 });
    const k2 = createKernel({ cpus: 1 });
    const fn = variantApi.defineState("with-a-function", () => ({ f: () => 1 }));
    assert.throws(() => variantApi.state(k1, fn), /state 'with-a-function'\.f is a function/);
    class Box {
      v = 1;
    }
    const inst = variantApi.defineState("with-an-instance", () => ({ box: new Box() }));
    assert.throws(() => variantApi.state(k1, inst), /instance of Box/);
    const one = { n: 0 };
    const sharedValue = variantApi.defineState("shared", () => one);
    assert.equal(variantApi.state(k1, sharedValue), one);
    assert.throws(() => variantApi.state(k2, sharedValue), /already gave another kernel/);
    const ok = variantApi.defineState("plain", () => ({
      n: 1,
      big: 2n,
      list: [1, "two", null],
      map: new Map([[1, { x: [3n] }]]),
      set: new Set([4]),
    }));
    assert.equal(variantApi.state(k1, ok).big, 2n);
    assert.notEqual(variantApi.state(k1, ok), variantApi.state(k2, ok));
    assert.throws(() => variantApi.defineState("", () => 0), UserError);
    assert.throws(() => variantApi.defineState("x", 0 as never), UserError);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootRequest, boot } from "../../src/api/boot.ts";
import { auditKernel, notQuiescent, snapshotKernel } from "../../src/explore/snapshot.ts";
import { ppcInst } from "../../src/isa/powerpc/inst.ts";
import { __pa } from "../../src/linux/arch/powerpc/kernel/vmlinux.ts";
import { patchingOps } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../../src/linux/core/ctx.ts";
import type { Kernel } from "../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../src/linux/image/build.ts";
import { cpuDown, cpuOnline, cpuUp } from "../../src/linux/kernel/cpu.ts";
import { runKernelThread } from "../../src/linux/kernel/exit.ts";
import { Kallsyms } from "../../src/linux/kernel/kallsyms.ts";
import { createKthread } from "../../src/linux/kernel/kthread.ts";
import { builtinModule } from "../../src/linux/kernel/module/builtin.ts";
import { loadModule } from "../../src/linux/kernel/module/load.ts";
import { RandomChoices } from "../../src/machine/choices/random.ts";
import { PhysMemory } from "../../src/machine/memory.ts";
import { HashMmu } from "../../src/machine/mmu/hash.ts";
import { PredecodedPage } from "../../src/machine/predecode.ts";
import { isShared } from "../../src/util/clone.ts";

const REQ: BootRequest = { cpus: 2 };
const NOP = 0x6000_0000;
const TRAP = 0x7fe0_0008;

function booted(req: BootRequest = REQ): Kernel {
  const r = boot(req);
  assert.equal(r.exitCode, 0, "the boot reaches /init");
  return r.kernel;
}

/** The words the workload patches: one per CPU, in one page of do_one_initcall's text. */
function targets(k: Kernel): bigint[] {
  const sym = imageSymbol(k, "do_one_initcall");
  assert.ok(sym !== undefined);
  return [sym.address + 0x40n, sym.address + 0x80n];
}

function spawnThread(k: Kernel, cpu: number, body: (c: Ctx) => KGen<void>): void {
  const current = createKthread(k, `test${cpu}`);
  const c = { k, cpu: k.machine.cpu(cpu), current };
  k.machine.spawn(
    cpu,
    (function* () {
      yield* runKernelThread(c, body);
    })(),
  );
}

function* patchLoop(c: Ctx, at: bigint, n: number): KGen<void> {
  const ops = patchingOps(c.k);
  for (let i = 0; i < n; i++) {
    const err = yield* ops.patchInstruction(c, at, ppcInst((i & 1) === 0 ? TRAP : NOP));
    if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
  }
}

/**
 * Both CPUs patch a word each (`patches` times) under random scheduling;
 * then CPU 0 takes CPU 1 down, brings it back up and patches once more.
 * Returns every step as "cpu op ea".
 */
function workload(k: Kernel, seed: number, patches: number): string[] {
  const steps: string[] = [];
  const remove = k.machine.addStepHook((_m, cpu, next) => {
    steps.push(`${cpu.id} ${next} ${cpu.pending.ea.toString(16)}`);
  });
  const [a, b] = targets(k) as [bigint, bigint];
  spawnThread(k, 0, (c) => patchLoop(c, a, patches));
  spawnThread(k, 1, (c) => patchLoop(c, b, patches));
  assert.equal(k.machine.run(new RandomChoices(seed)).status, "done");
  spawnThread(k, 0, function* (c) {
    assert.equal(yield* cpuDown(c, 1), 0, "cpu_down(1)");
    assert.equal(cpuOnline(c.k, 1), false, "CPU 1 went offline");
    assert.equal(yield* cpuUp(c, 1), 0, "cpu_up(1)");
    yield* patchLoop(c, a, 1);
    c.k.printk.prInfo(`test: ${c.k.machine.steps} steps\n`, c.current.pid);
  });
  assert.equal(k.machine.run(new RandomChoices(seed + 1)).status, "done");
  remove();
  return steps;
}

function word(k: Kernel, va: bigint): number {
  return k.machine.mem.read32(__pa(va));
}

/** The first index where two step traces differ, for a readable failure. */
function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `step ${i}: ${a[i]} vs ${b[i]} (lengths ${a.length}, ${b.length})`;
  }
  return null;
}

/** FNV-1a over the contents of the memory's chunks at `addrs`. */
function memoryDigest(m: PhysMemory, addrs: readonly number[]): string {
  let h = 0x811c9dc5;
  for (const pa of addrs) {
    const bytes = m.readBytes(pa, 4096);
    h = Math.imul(h ^ pa, 0x0100_0193) >>> 0;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x0100_0193) >>> 0;
  }
  return h.toString(16);
}

interface DumpOptions {
  /** Chunk addresses to digest a PhysMemory over (its contents; its layout is not compared). */
  readonly chunks: readonly number[];
}

/**
 * Everything reachable from `root` as text, objects numbered in the order
 * first met: two dumps are equal when the graphs have the same shape and
 * values. Physical memory is compared by content; the bookkeeping of what is
 * shared copy-on-write (a predecoded page's owner, Kallsyms' shared flag, the
 * hash MMU's layers, compared by its translations) is
 * left out, as it differs between a fork and a fresh boot by design.
 */
function dump(root: unknown, o: DumpOptions): string {
  const ids = new Map<object, number>();
  const lines: string[] = [];
  const visit = (v: unknown): string => {
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "function") return `fn ${v.name}`;
    if (typeof v === "symbol") return v.toString();
    if (typeof v !== "object" || v === null) return JSON.stringify(v) ?? "undefined";
    const known = ids.get(v);
    if (known !== undefined) return `#${known}`;
    const id = ids.size;
    ids.set(v, id);
    let body: string;
    if (v instanceof PhysMemory) body = `size ${v.size} ${memoryDigest(v, o.chunks)}`;
    else if (v instanceof HashMmu)
      body = v
        .translations()
        .map((t) => t.join(":"))
        .join(",");
    else if (ArrayBuffer.isView(v)) {
      body = Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).join(",");
    } else if (v instanceof ArrayBuffer) body = Array.from(new Uint8Array(v)).join(",");
    else if (v instanceof Map)
      body = [...v].map(([a, b]) => `${visit(a)} => ${visit(b)}`).join("; ");
    else if (v instanceof Set) body = [...v].map(visit).join("; ");
    else {
      const parts: string[] = [];
      for (const key of Reflect.ownKeys(v)) {
        if (v instanceof PredecodedPage && key === "owner") continue;
        if (v instanceof Kallsyms && key === "sharedTables") continue;
        const d = Object.getOwnPropertyDescriptor(v, key)!;
        parts.push(`${String(key)}: ${"value" in d ? visit(d.value) : "accessor"}`);
      }
      body = parts.join(", ");
    }
    lines.push(`#${id} ${v.constructor?.name ?? "null"} {${body}}`);
    return `#${id}`;
  };
  visit(root);
  return lines.join("\n");
}

/** Chunk addresses both kernels' memories hold. */
function chunksOf(...ks: Kernel[]): number[] {
  const all = new Set<number>();
  for (const k of ks) for (const pa of k.machine.mem.chunkAddresses()) all.add(pa);
  return [...all].sort((x, y) => x - y);
}

describe("snapshotKernel: a fork runs as the booted kernel would", () => {
  for (const [mmu, patches] of [
    ["radix", 150],
    ["hash", 30],
  ] as const) {
    it(`fork-then-run equals boot-then-run step for step (${mmu}: patches on both CPUs, a hotplug cycle)`, () => {
      const req: BootRequest = { ...REQ, mmu };
      const a = booted(req);
      const snap = snapshotKernel(a);
      const b = snap.fork();
      const c = booted(req);
      assert.equal(
        dump(b, { chunks: chunksOf(b, c) }),
        dump(c, { chunks: chunksOf(b, c) }),
        "after boot: the fork's whole state is the fresh boot's",
      );
      const tb = workload(b, 7, patches);
      const tc = workload(c, 7, patches);
      assert.ok(tb.length > 20 * patches, `the workload takes many steps (${tb.length})`);
      assert.equal(firstDifference(tb, tc), null, "the same steps: CPU, operation, address");
      assert.equal(b.printk.dmesg(), c.printk.dmesg(), "the same kernel log");
      for (const va of targets(b)) assert.equal(word(b, va), word(c, va), "the same patched words");
      assert.equal(word(b, targets(b)[0]!), TRAP, "CPU 0's last patch wrote a trap");
      assert.match(b.printk.dmesg(), /test: \d+ steps\n$/, "the workload's own line");
      assert.equal(b.machine.kernel, b, "the fork's machine runs the fork's kernel");
      assert.equal(b.machine.steps, c.machine.steps);
      assert.equal(b.machine.tb, c.machine.tb);
      assert.equal(
        dump(b, { chunks: chunksOf(b, c) }),
        dump(c, { chunks: chunksOf(b, c) }),
        "after the workload: the same whole state",
      );
    });
  }
});

describe("snapshotKernel: forks are independent", () => {
  it("running a fork changes neither the snapshot nor a sibling fork", () => {
    const a = booted();
    const snap = snapshotKernel(a);
    const f1 = snap.fork();
    const f2 = snap.fork();
    const [t0] = targets(f1) as [bigint];
    const original = word(f1, t0);
    assert.notEqual(original, TRAP);
    const chunks = chunksOf(f2);
    const before = dump(f2, { chunks });
    const tlbBefore = JSON.stringify(
      f2.machine.cpus.map((c) => c.tlb),
      (_k, v) => (typeof v === "bigint" ? `${v}` : v instanceof Map ? [...v] : v),
    );

    workload(f1, 3, 40);
    assert.equal(word(f1, t0), TRAP, "fork 1 patched its text");
    const icache = f1.machine.cpus[0]!.icache!;
    const line = icache.lineAddresses()[0]!;
    f1.machine.icbi(line);
    assert.equal(icache.peek32(line)?.stale, true, "fork 1 has a stale icache line");
    assert.notEqual(dump(f1, { chunks }), before, "and its state moved on");

    assert.equal(word(f2, t0), original, "fork 2's text is unchanged");
    assert.equal(
      JSON.stringify(
        f2.machine.cpus.map((c) => c.tlb),
        (_k, v) => (typeof v === "bigint" ? `${v}` : v instanceof Map ? [...v] : v),
      ),
      tlbBefore,
      "fork 2's TLBs are unchanged",
    );
    assert.equal(
      dump(f2, { chunks }),
      before,
      "fork 2's whole state (mm refcounts included) is unchanged",
    );
    const f3 = snap.fork();
    assert.equal(word(f3, t0), original, "the snapshot's text is unchanged");
    assert.equal(dump(f3, { chunks }), before, "a new fork starts from the unchanged snapshot");
  });

  for (const mmu of ["radix", "hash"] as const) {
    it(`the kernel a snapshot was taken from may go on running; the snapshot does not move (${mmu})`, () => {
      const a = booted({ ...REQ, mmu });
      const snap = snapshotKernel(a);
      const [t0] = targets(a) as [bigint];
      const original = word(a, t0);
      const f1 = snap.fork();
      const before = dump(f1, { chunks: chunksOf(f1) });
      workload(a, 5, 20);
      assert.equal(word(a, t0), TRAP);
      const f2 = snap.fork();
      assert.equal(word(f2, t0), original);
      assert.equal(dump(f2, { chunks: chunksOf(f1) }), before);
    });
  }

  it("a module loaded in one fork is in neither the snapshot's nor a sibling's symbol table", () => {
    const snap = snapshotKernel(booted());
    const f1 = snap.fork();
    const f2 = snap.fork();
    const symbols = f2.kallsyms.count;
    spawnThread(f1, 0, function* (c) {
      const r = yield* loadModule(c, "textpoke_demo", builtinModule("textpoke_demo")!);
      assert.notEqual(typeof r, "number", "the module loads");
    });
    assert.equal(f1.machine.run(new RandomChoices(1)).status, "done");
    assert.ok(f1.kallsyms.count > symbols, "fork 1 has the module's symbols");
    assert.ok(f1.kallsyms.symbols().some((x) => x.module === "textpoke_demo"));
    assert.equal(f2.kallsyms.count, symbols, "fork 2 does not");
    assert.equal(
      f2.kallsyms.symbols().some((x) => x.module === "textpoke_demo"),
      false,
    );
    assert.equal(snap.fork().kallsyms.count, symbols, "nor does the snapshot");
  });

  it("the logs are independent, a record still open at the snapshot included", () => {
    const k = booted();
    k.printk.printk("test: open");
    const snap = snapshotKernel(k);
    const f1 = snap.fork();
    f1.printk.prCont(" and continued\n");
    k.printk.prCont(" in the original\n");
    assert.match(f1.printk.dmesg(), /test: open and continued\n$/);
    assert.match(k.printk.dmesg(), /test: open in the original\n$/);
    assert.match(snap.fork().printk.dmesg(), /test: open\n$/);
  });

  it("counts what a fork copies and shares", () => {
    const snap = snapshotKernel(booted());
    assert.ok(snap.cost.objects > 50 && snap.cost.objects < 2000, `objects: ${snap.cost.objects}`);
    assert.ok(snap.cost.sharedChunks > 10, `shared chunks: ${snap.cost.sharedChunks}`);
    snap.fork();
    snap.fork();
    assert.equal(snap.forks, 2);
  });
});

describe("snapshotKernel: what can be snapshotted", () => {
  it("refuses a kernel with a task on a CPU, naming the CPU", () => {
    const k = booted();
    spawnThread(k, 1, function* (c) {
      yield* patchLoop(c, targets(k)[1]!, 1);
    });
    assert.match(notQuiescent(k) ?? "", /CPU 1 has 1 unfinished task/);
    assert.throws(
      () => snapshotKernel(k),
      /cannot snapshot this kernel: CPU 1 has 1 unfinished task/,
    );
  });

  it("refuses a machine with a step hook", () => {
    const k = booted();
    const remove = k.machine.addStepHook(() => {});
    assert.throws(() => snapshotKernel(k), /step hook/);
    remove();
    assert.doesNotThrow(() => snapshotKernel(k));
  });
});

describe("a booted kernel's state holds no closure over mutable state", () => {
  /**
   * Every function value a booted kernel holds (shared objects' included),
   * reviewed: each is a module function or a kfunc wrapper ("call", which
   * captures only its immutable frame and body), capturing no kernel state.
   * A new entry needs the same review before it is added here.
   */
  const REVIEWED = [
    "k.machine.interruptEntry: powerpcInterruptEntry",
    "k.slot(kprobes).table.<kprobe>.preHandler: trampolineProbeHandler",
    "k.slot(mmu-boot-ops).ops.earlyInitMmu: earlyInitMmu",
    "k.slot(mmu-boot-ops).ops.earlyInitMmuSecondary: earlyInitMmuSecondary",
    "k.slot(mmu-boot-ops).ops.pagingInit: pagingInit",
    "k.slot(mmu-boot-ops).ops.markRodataRo: markRodataRo",
    "k.slot(mmu-boot-ops).ops.freeInitmem: call",
    "k.slot(cpuhp).steps[1].startup: smpbootCreateThreads",
    "k.slot(cpuhp).steps[26].startup: call",
    "k.slot(cpuhp).steps[32].teardown: call",
    "k.slot(cpuhp).steps[37].startup: textPokeMmOnline",
    "k.slot(cpuhp).steps[37].teardown: textPokeMmOffline",
    "k.slot(cpuhp).steps[68].startup: schedCpuActivate",
    "k.slot(cpuhp).steps[68].teardown: schedCpuDeactivate",
    "k.slot(cpuhp).arch.cpuUp: cpuUp",
    "k.slot(cpuhp).arch.cpuDisable: cpuDisable",
    "k.slot(cpuhp).arch.cpuDie: cpuDie",
    "k.slot(code-patching).variant.ops.pokingInit: call",
    "k.slot(code-patching).variant.ops.mmPatchEnabled: mmPatchEnabled",
    "k.slot(code-patching).variant.ops.textAreaCpuUp: call",
    "k.slot(code-patching).variant.ops.textAreaCpuDown: call",
    "k.slot(code-patching).variant.ops.textAreaCpuUpMm: call",
    "k.slot(code-patching).variant.ops.textAreaCpuDownMm: call",
    "k.slot(code-patching).variant.ops.getPatchPfn: getPatchPfn",
    "k.slot(code-patching).variant.ops.mapPatchArea: mapPatchArea",
    "k.slot(code-patching).variant.ops.unmapPatchArea: unmapPatchArea",
    "k.slot(code-patching).variant.ops.putPatchingMm: putPatchingMm",
    "k.slot(code-patching).variant.ops.__patchInstruction: __patchInstruction",
    "k.slot(code-patching).variant.ops.__doPatchInstruction: __doPatchInstruction",
    "k.slot(code-patching).variant.ops.__doPatchInstructionMm: __doPatchInstructionMm",
    "k.slot(code-patching).variant.ops.rawPatchInstruction: call",
    "k.slot(code-patching).variant.ops.patchInstruction: call",
    "k.slot(code-patching).variant.ops.patchBranch: call",
  ];

  it("every function value reachable from a booted kernel is a reviewed stateless one", () => {
    const a = auditKernel(booted());
    const found = a.functions.map(
      (f) => `${f.path.replace(/\.get\(\d+n\)/, ".<kprobe>")}: ${f.fn.name}`,
    );
    // The review is a set: the walk's order follows slot creation, which boot changes may move.
    assert.deepEqual([...found].sort(), [...REVIEWED].sort());
    assert.deepEqual(a.irregular, [], "and every object's properties are copied right");
  });

  it("everything two independently booted kernels share is marked shared", () => {
    // An object reachable from two kernels lives at module scope: a fork
    // copying it would break its identity with the module's references, and
    // if it changes, it is state shared across kernels.
    const reach = (root: unknown): Map<object, string> => {
      const seen = new Map<object, string>();
      const stack: [unknown, string][] = [[root, "k"]];
      while (stack.length !== 0) {
        const [v, path] = stack.pop()!;
        if (typeof v !== "object" || v === null || seen.has(v)) continue;
        seen.set(v, path);
        if (isShared(v)) continue;
        if (v instanceof Map) {
          for (const [x, y] of v) stack.push([x, `${path}.<key>`], [y, `${path}.get()`]);
        } else if (v instanceof Set) for (const x of v) stack.push([x, `${path}.<element>`]);
        else if (!ArrayBuffer.isView(v)) {
          for (const key of Reflect.ownKeys(v)) {
            const d = Object.getOwnPropertyDescriptor(v, key)!;
            if ("value" in d) stack.push([d.value, `${path}.${String(key)}`]);
          }
        }
      }
      return seen;
    };
    const ra = reach(booted());
    const rb = reach(booted());
    const common = [...ra].filter(([o]) => rb.has(o) && !isShared(o)).map(([, p]) => p);
    assert.deepEqual(common, []);
  });
});

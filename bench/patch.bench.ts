/**
 * patch_instruction throughput on the default variant (2 CPUs, default
 * scheduler) — resumed through the trampoline (the default,
 * src/machine/frames.ts) and, as the baseline in the same run, as nested
 * generators resumed from the task's outermost frame; under a step hook;
 * and with both CPUs patching under random scheduling choices, as the
 * interleaving checker runs; the machine operations of a patch replayed
 * alone, the ceiling the kernel model and the scheduler add to — and the
 * whole-process time of the seed demo command, with `node -e 0` and
 * `textpoke --version` measured in the same run as baselines.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { boot } from "../src/api/boot.ts";
import { ppcInst } from "../src/isa/powerpc/inst.ts";
import { patchingOps } from "../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import { imageSymbol } from "../src/linux/image/build.ts";
import { runKernelThread } from "../src/linux/kernel/exit.ts";
import { createKthread } from "../src/linux/kernel/kthread.ts";
import { RandomChoices } from "../src/machine/choices/random.ts";
import { type BenchRow, median, rate } from "./harness.ts";
import { recordPatchMachineOps, replayMachineOps } from "./patch-machine-ops.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PATCHES = 20_000;

/**
 * One booted kernel; each call patches one word PATCHES times on CPU 0.
 * `hooked`: a step hook observes the run (as a checker's invariants would),
 * so every step goes through the scheduler. `nested`: no call is resumed as
 * a frame of its own (Trampoline.flatten off).
 */
function patchLoop(hooked: boolean, nested: boolean): () => void {
  const k = boot({ cpus: 2 }).kernel;
  k.machine.trampoline.flatten = !nested;
  let observed = 0;
  if (hooked) k.machine.addStepHook(() => observed++);
  const sym = imageSymbol(k, "do_one_initcall");
  if (sym === undefined) throw new Error("no do_one_initcall");
  const at = sym.address + 0x40n;
  const words = [ppcInst(0x6000_0000), ppcInst(0x7fe0_0008)];
  return () => {
    const current = createKthread(k, "bench");
    const c = { k, cpu: k.machine.cpu(0), current };
    k.machine.spawn(
      0,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          const ops = patchingOps(k);
          for (let i = 0; i < PATCHES; i++) {
            const err = yield* ops.patchInstruction(cc, at, words[i & 1]!);
            if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
          }
        });
      })(),
    );
    const r = k.machine.run(k.choices);
    if (r.status !== "done") throw new Error(`run: ${r.status}`);
  };
}

/**
 * Both CPUs patch (a word each, in one page of text), PATCHES/2 times each,
 * with every step's CPU picked by a seeded RandomChoices: no step is taken
 * in place, every one goes through the scheduler and resumes the CPU's
 * innermost frame.
 */
function interleavedLoop(): () => void {
  const k = boot({ cpus: 2 }).kernel;
  const sym = imageSymbol(k, "do_one_initcall");
  if (sym === undefined) throw new Error("no do_one_initcall");
  const words = [ppcInst(0x6000_0000), ppcInst(0x7fe0_0008)];
  let seed = 1;
  return () => {
    for (const cpu of [0, 1]) {
      const at = sym.address + 0x40n + BigInt(cpu) * 0x40n;
      const current = createKthread(k, `bench${cpu}`);
      const c = { k, cpu: k.machine.cpu(cpu), current };
      k.machine.spawn(
        cpu,
        (function* () {
          yield* runKernelThread(c, function* (cc) {
            const ops = patchingOps(k);
            for (let i = 0; i < PATCHES / 2; i++) {
              const err = yield* ops.patchInstruction(cc, at, words[i & 1]!);
              if (err !== 0) throw new Error(`patch_instruction returned ${err}`);
            }
          });
        })(),
      );
    }
    const r = k.machine.run(new RandomChoices(seed++));
    if (r.status !== "done") throw new Error(`run: ${r.status}`);
  };
}

/**
 * The machine operations of one patch (patch-machine-ops.ts), recorded on a
 * booted kernel and replayed PATCHES times: the ceiling for the model.
 */
function machineOpsLoop(): () => void {
  const k = boot({ cpus: 2 }).kernel;
  const sym = imageSymbol(k, "do_one_initcall");
  if (sym === undefined) throw new Error("no do_one_initcall");
  const ops = recordPatchMachineOps(k, sym.address + 0x40n);
  const words = [0x6000_0000, 0x7fe0_0008];
  return () => replayMachineOps(k.machine, ops, words, PATCHES);
}

/** Median wall time in ms of `runs` executions of a command (after one warm-up). */
function processMs(cmd: string, args: readonly string[], runs: number, okCodes = [0]): number {
  const run = () => {
    try {
      execFileSync(cmd, args, { cwd: ROOT, stdio: "ignore" });
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === undefined || !okCodes.includes(status)) throw e;
    }
  };
  run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    run();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ms);
}

type Mode = "nested" | "default" | "hooked-nested" | "hooked" | "interleaved" | "machine-ops";

/** patch_instruction calls/s in this process (median of 5 timed loops after one warm-up). */
function measureHere(mode: Mode): number {
  if (mode === "interleaved") return rate(interleavedLoop(), PATCHES, 5, 1);
  if (mode === "machine-ops") return rate(machineOpsLoop(), PATCHES, 5, 1);
  return rate(patchLoop(mode.startsWith("hooked"), mode.endsWith("nested")), PATCHES, 5, 1);
}

type Spread = { median: number; min: number; max: number };

/**
 * Each mode's median over PROCESSES fresh processes, and their spread. The
 * modes take turns, one process each per round, so a stretch of time when
 * the machine runs slow weighs on every mode alike. A process can also run
 * about 1.5x slower for its whole life: it stays on a core, and the cores
 * have slow stretches of their own (DEVELOPERS.md, pinned with taskset).
 */
function measureInProcesses(modes: readonly Mode[]): Map<Mode, Spread> {
  const self = fileURLToPath(import.meta.url);
  const rates = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let i = 0; i < PROCESSES; i++) {
    for (const mode of modes) {
      const out = execFileSync(process.execPath, [self, "--patch-child", mode], {
        cwd: ROOT,
        encoding: "utf8",
      });
      rates.get(mode)!.push(Number(out.trim()));
    }
  }
  return new Map(
    [...rates].map(([m, r]) => [
      m,
      { median: median(r), min: Math.min(...r), max: Math.max(...r) },
    ]),
  );
}
const PROCESSES = 7;

function spread(r: { min: number; max: number }): string {
  return `(${PROCESSES} processes: ${Math.round(r.min / 1000)}–${Math.round(r.max / 1000)} k)`;
}

export async function patchBench(): Promise<BenchRow[]> {
  const modes = measureInProcesses([
    "nested",
    "default",
    "hooked-nested",
    "hooked",
    "interleaved",
    "machine-ops",
  ]);
  const nested = modes.get("nested")!;
  const flat = modes.get("default")!;
  const hookedNested = modes.get("hooked-nested")!;
  const hooked = modes.get("hooked")!;
  const interleaved = modes.get("interleaved")!;
  const machineOps = modes.get("machine-ops")!;
  const node0 = processMs(process.execPath, ["-e", "0"], 7);
  const version = processMs("./bin/textpoke", ["--version"], 7);
  // The seed demo oopses by design: exit status 1 is its expected result.
  const demo = processMs(
    "./bin/textpoke",
    ["boot", "--variant", "c28c15b6d28a", "--set", "CONFIG_DEBUG_VM=y", "--cpus", "2"],
    7,
    [1],
  );
  return [
    {
      name: `patch_instruction, nested generators ${spread(nested)}`,
      median: nested.median,
      unit: "calls/s",
    },
    {
      name: `patch_instruction, 980411a4d1bb, 2 CPUs ${spread(flat)}`,
      median: flat.median,
      unit: "calls/s",
      ratio: { value: flat.median / nested.median, against: "nested generators" },
    },
    {
      name: `its machine operations alone, replayed ${spread(machineOps)}`,
      median: machineOps.median,
      unit: "patches/s",
      ratio: { value: machineOps.median / flat.median, against: "patch_instruction" },
    },
    {
      name: `patch_instruction under a step hook, nested generators ${spread(hookedNested)}`,
      median: hookedNested.median,
      unit: "calls/s",
    },
    {
      name: `patch_instruction under a step hook ${spread(hooked)}`,
      median: hooked.median,
      unit: "calls/s",
      ratio: {
        value: hooked.median / hookedNested.median,
        against: "step hook, nested generators",
      },
    },
    {
      name: `patch_instruction on both CPUs, random choices ${spread(interleaved)}`,
      median: interleaved.median,
      unit: "calls/s",
      ratio: { value: interleaved.median / flat.median, against: "one CPU, default scheduler" },
    },
    { name: "node -e 0", median: node0, unit: "ms" },
    {
      name: "textpoke --version",
      median: version,
      unit: "ms",
      ratio: { value: version / node0, against: "node -e 0" },
    },
    {
      name: "textpoke boot --variant c28c15b6d28a DEBUG_VM (seed demo)",
      median: demo,
      unit: "ms",
      ratio: { value: demo / version, against: "textpoke --version" },
    },
  ];
}

// A child of measureInProcesses: print one process's rate.
const child = process.argv.indexOf("--patch-child");
if (child >= 0) process.stdout.write(`${measureHere(process.argv[child + 1] as Mode)}\n`);

/**
 * `textpoke boot` as a library call: build the machine and the kernel from a
 * configuration, lay out the kernel image, boot it on CPU 0 and run the
 * machine until every CPU is idle. Returns the kernel log and the verdict.
 */
import {
  earlyInitMmu,
  earlyInitMmuSecondary,
  freeInitmem,
  markRodataRo,
  pagingInit,
} from "../linux/arch/powerpc/include/asm/book3s/64/mmu.ts";
import { powerpcInterruptEntry } from "../linux/arch/powerpc/include/asm/hw_irq.ts";
import { kernelGuestRunner } from "../linux/arch/powerpc/kernel/exceptions-64s.ts";
import { __start } from "../linux/arch/powerpc/kernel/head_64.ts";
import { setMmuBootOps } from "../linux/arch/powerpc/kernel/setup_64.ts";
import { setBootCommandLine } from "../linux/arch/powerpc/kernel/setup-common.ts";
import { utsInfo } from "../linux/arch/powerpc/kernel/stacktrace.ts";
import { Kernel } from "../linux/core/kernel.ts";
import { registeredFunctions } from "../linux/core/kfunc.ts";
import { type SimReport, simReports } from "../linux/core/sim-report.ts";
import { buildKernelImage } from "../linux/image/build.ts";
import { setGuestRunner } from "../linux/image/call-compiled.ts";
import "../linux/image/compiled-initcalls.ts";
import "../linux/kernel/kprobes-init.ts";
import {
  type KprobeRequest,
  kprobeExampleInitcall,
  kprobeExamples,
} from "../linux/kernel/kprobes-example.ts";
import "../linux/arch/powerpc/lib/test-code-patching.ts";
import {
  type CodePatchingVariant,
  setCodePatchingVariant,
} from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import { TimebaseClock } from "../linux/include/linux/delay.ts";
import {
  type BootOptions,
  DEFAULT_BUILD_INFO,
  POWERNV_HARDWARE_NAME,
  reachedInit,
  setBootOptions,
} from "../linux/init/main.ts";
import { runKernelThread } from "../linux/kernel/exit.ts";
import { Kallsyms } from "../linux/kernel/kallsyms.ts";
import { createInitTask } from "../linux/kernel/kthread.ts";
import { builtinModule, builtinModuleNames } from "../linux/kernel/module/builtin.ts";
import {
  type ModuleLoadResult,
  type ModuleRequest,
  moduleLoadInitcall,
  moduleLoadResults,
} from "../linux/kernel/module/modprobe.ts";
import { Printk } from "../linux/kernel/printk.ts";
import { loadKernelConfig } from "../linux/scripts/kconfig/load-config.ts";
import { DefaultChoices } from "../machine/choices/default.ts";
import { Machine, type RunResult } from "../machine/machine.ts";
import { UserError } from "../util/user-error.ts";
import { DEFAULT_VARIANT } from "../variants/code-patching/index.ts";

export interface BootRequest {
  /** .config text (`--config FILE`). */
  readonly configText?: string;
  /** `--set CONFIG_X=V` assignments, in order. */
  readonly sets?: readonly string[];
  /** Number of CPUs (`--cpus`), 1..CONFIG_NR_CPUS; default 2. */
  readonly cpus?: number;
  /** `--mmu`: default what the configuration picks (Radix on the default config). */
  readonly mmu?: "radix" | "hash";
  /** `--seed`: the run's random numbers. */
  readonly seed?: number;
  /** `--hotplug N`: cycle every secondary CPU down and up N times before /init. */
  readonly hotplug?: number;
  /** Physical memory in bytes (default 2 GiB; sparse, costs only what is written). */
  readonly memoryBytes?: number;
  /** Extra boot options (hooks, initcalls) for library users and tests. */
  readonly boot?: BootOptions;
  /** The code-patching variant (`--variant`); default 980411a4d1bb. */
  readonly variant?: CodePatchingVariant;
  /** Called with the kernel before it boots (to install hooks of other layers). */
  readonly prepare?: (k: Kernel) => void;
  /**
   * `--kprobe SYMBOL[+OFFSET]`: plant the kprobes sample module's probe there
   * right after init_kprobes; each hit prints in dmesg.
   */
  readonly kprobes?: readonly string[];
  /**
   * `--module NAME|FILE.o`: load these modules, in order, from a late
   * initcall (see moduleLoadInitcall). A name is a built-in module
   * (fixtures/modules); anything else is given as `{ name, bytes }`.
   */
  readonly modules?: readonly (string | { readonly name: string; readonly bytes: Uint8Array })[];
}

/** The outcome of one `--kprobe` request. */
export interface KprobeSummary {
  /** As requested: `SYMBOL` or `SYMBOL+0xOFF`. */
  readonly spec: string;
  /** register_kprobe()'s return value: 0 or a negative errno (null: never registered). */
  readonly ret: number | null;
  /** The probed address (0 when registration failed before resolving it). */
  readonly addr: bigint;
  /** Pre-handler runs. */
  readonly hits: number;
  /** Hits while another probe was being handled on the same CPU. */
  readonly nmissed: number;
  /**
   * The symbol is a function the simulator models in TypeScript: its text
   * exists (synthesised) but never runs as machine code, so the probe cannot fire.
   */
  readonly modelled: boolean;
}

export interface BootResult {
  /**
   * 0: reached /init cleanly; 1: the kernel panicked, the boot stopped, or
   * the model saw a silent corruption (`simReports`).
   */
  readonly exitCode: 0 | 1;
  /** The kernel log as dmesg prints it. */
  readonly dmesg: string;
  readonly kernel: Kernel;
  readonly run: RunResult;
  /** One entry per `kprobes` request, in order. */
  readonly kprobes: readonly KprobeSummary[];
  /** One entry per `modules` request, in order. */
  readonly modules: readonly ModuleLoadResult[];
  /**
   * What the model saw the kernel do that corrupts memory without an oops
   * (a write to a freed object, ...): nothing of it is in the dmesg.
   */
  readonly simReports: readonly SimReport[];
}

/** `SYMBOL` or `SYMBOL+OFFSET` (decimal or 0x hex), as kprobe_events writes a probe point. */
function parseKprobeSpec(spec: string): KprobeRequest {
  const m = /^([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(spec);
  if (m === null) throw new UserError(`bad --kprobe '${spec}': expected SYMBOL or SYMBOL+OFFSET`);
  const offset = m[2] === undefined ? 0 : Number(m[2]);
  if (!Number.isSafeInteger(offset) || offset > 0xffff_ffff)
    throw new UserError(`bad --kprobe '${spec}': offset too large`);
  return { symbol: m[1]!, offset };
}

/** A `--module` request: a built-in module by name, or an object given with its name. */
function moduleRequest(
  m: string | { readonly name: string; readonly bytes: Uint8Array },
): ModuleRequest {
  if (typeof m !== "string") {
    if (!/^[A-Za-z0-9_-]+$/.test(m.name)) throw new UserError(`bad module name '${m.name}'`);
    return { name: m.name.replaceAll("-", "_"), bytes: m.bytes };
  }
  const bytes = builtinModule(m);
  if (bytes === undefined) {
    throw new UserError(
      `--module: no built-in module '${m}' (built in: ${builtinModuleNames().join(", ")}; or give a FILE.o)`,
    );
  }
  return { name: m, bytes };
}

/** Validate a request and create the machine and kernel (image built, not booted). */
export function createKernel(req: BootRequest = {}): Kernel {
  const config = loadKernelConfig({
    ...(req.configText !== undefined ? { configText: req.configText } : {}),
    ...(req.sets !== undefined ? { sets: req.sets } : {}),
  });
  const nrCpus = config.bool("SMP") ? config.int("NR_CPUS") : 1;
  const cpus = req.cpus ?? Math.min(2, nrCpus);
  const limit = Math.min(nrCpus, 2048);
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > limit) {
    throw new UserError(
      `bad --cpus '${req.cpus}': must be in 1..${limit} (CONFIG_NR_CPUS=${nrCpus})`,
    );
  }
  const mmu = req.mmu ?? (config.radixByDefault ? "radix" : "hash");
  if (mmu === "radix" && !config.bool("PPC_RADIX_MMU")) {
    throw new UserError("bad --mmu 'radix': CONFIG_PPC_RADIX_MMU is not set");
  }
  if (mmu === "hash" && !config.bool("PPC_64S_HASH_MMU")) {
    throw new UserError("bad --mmu 'hash': CONFIG_PPC_64S_HASH_MMU is not set");
  }
  const seed = req.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new UserError(`bad --seed '${seed}': expected a number >= 0`);
  const hotplug = req.hotplug ?? 0;
  if (!Number.isSafeInteger(hotplug) || hotplug < 0) {
    throw new UserError(`bad --hotplug '${hotplug}': expected a number >= 0`);
  }
  const machine = new Machine({
    cpus,
    memoryBytes: req.memoryBytes ?? 2 ** 31,
    pageSize: config.pageSize,
    mmu,
  });
  // Secondaries wait in firmware until __cpu_up releases them.
  for (const cpu of machine.cpus) if (cpu.id !== 0) cpu.online = false;
  const printk = new Printk({ clock: new TimebaseClock(machine) });
  const k = new Kernel({
    machine,
    config,
    printk,
    kallsyms: new Kallsyms(),
    choices: new DefaultChoices(seed),
    release: "6.2.0-rc1",
  });
  // Before the image: a variant's own BUG/WARN sites go into it.
  setCodePatchingVariant(k, req.variant ?? DEFAULT_VARIANT);
  buildKernelImage(k);
  const kprobeRequests = (req.kprobes ?? []).map(parseKprobeSpec);
  if (kprobeRequests.length !== 0 && !config.bool("KPROBES"))
    throw new UserError("--kprobe needs CONFIG_KPROBES=y");
  for (const q of kprobeRequests) {
    if (k.kallsyms.lookupName(q.symbol) === undefined)
      throw new UserError(`--kprobe: no symbol '${q.symbol}' in the kernel's symbol table`);
  }
  const moduleRequests = (req.modules ?? []).map(moduleRequest);
  if (moduleRequests.length !== 0 && !config.bool("MODULES"))
    throw new UserError("--module needs CONFIG_MODULES=y");
  // The MMU model's entry points: the kernel runs with relocation on from early_setup.
  setMmuBootOps(k, { earlyInitMmu, earlyInitMmuSecondary, pagingInit, markRodataRo, freeInitmem });
  machine.interruptEntry = powerpcInterruptEntry;
  const build = req.boot?.buildInfo ?? DEFAULT_BUILD_INFO;
  const uts = utsInfo(k);
  // init_utsname()->version: the part of the banner from "#".
  uts.version = build.slice(build.indexOf("#"));
  uts.hardwareName = POWERNV_HARDWARE_NAME;
  // Compiled kernel functions run in the interpreter (POWER9: the kernel is built -mcpu=power9).
  // Their traps (kprobes, BUG/WARN) and trace interrupts go to the kernel's handlers.
  setGuestRunner(k, kernelGuestRunner({ cpuModel: "power9", maxInsns: 1_000_000 }));
  setBootCommandLine(k, `console=hvc0${mmu === "hash" ? " disable_radix" : ""}`);
  setBootOptions(k, {
    ...req.boot,
    hotplugCycles: hotplug || (req.boot?.hotplugCycles ?? 0),
    ...(kprobeRequests.length !== 0 || moduleRequests.length !== 0
      ? {
          initcalls: [
            ...(req.boot?.initcalls ?? []),
            ...(kprobeRequests.length !== 0 ? [kprobeExampleInitcall(k, kprobeRequests)] : []),
            ...(moduleRequests.length !== 0 ? [moduleLoadInitcall(k, moduleRequests)] : []),
          ],
        }
      : {}),
  });
  req.prepare?.(k);
  return k;
}

/**
 * Boot a kernel made by createKernel: run CPU 0 from __start until every CPU
 * is idle, or the kernel panicked (its CPUs then stop for good).
 */
export function runBoot(k: Kernel): BootResult {
  spawnBoot(k);
  const run = k.machine.run(k.choices);
  return bootResult(k, run);
}

/** Give CPU 0 the boot: the init task running from __start (the machine is not run). */
export function spawnBoot(k: Kernel): void {
  const init = createInitTask(k);
  const cpu0 = k.machine.cpu(0);
  k.machine.spawn(
    0,
    (function* () {
      yield* runKernelThread({ k, cpu: cpu0, current: init }, __start);
    })(),
  );
}

/** The verdict and results of a boot that ran (`run`). */
export function bootResult(k: Kernel, run: RunResult): BootResult {
  const ok = k.systemState !== "panic" && run.status === "done" && reachedInit(k);
  const kprobes = kprobeExamples(k).map(
    (e): KprobeSummary => ({
      spec: e.offset === 0 ? e.symbol : `${e.symbol}+0x${e.offset.toString(16)}`,
      ret: e.ret,
      addr: e.kp.addr,
      hits: e.kp.hits,
      nmissed: e.kp.nmissed,
      modelled: registeredFunctions().some((f) => f.name === e.symbol),
    }),
  );
  const modules = moduleLoadResults(k);
  const reports = simReports(k);
  return {
    exitCode: ok && reports.length === 0 ? 0 : 1,
    dmesg: k.printk.dmesg(),
    kernel: k,
    run,
    kprobes,
    modules,
    simReports: reports,
  };
}

/** Boot: createKernel + runBoot. Bad input throws UserError. */
export function boot(req: BootRequest = {}): BootResult {
  return runBoot(createKernel(req));
}

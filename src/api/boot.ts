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
import { __start } from "../linux/arch/powerpc/kernel/head_64.ts";
import { setMmuBootOps } from "../linux/arch/powerpc/kernel/setup_64.ts";
import { setBootCommandLine } from "../linux/arch/powerpc/kernel/setup-common.ts";
import { utsInfo } from "../linux/arch/powerpc/kernel/stacktrace.ts";
import { Kernel } from "../linux/core/kernel.ts";
import { buildKernelImage } from "../linux/image/build.ts";
import { setGuestRunner } from "../linux/image/call-compiled.ts";
import "../linux/image/compiled-initcalls.ts";
import "../linux/kernel/kprobes-init.ts";
import "../linux/arch/powerpc/lib/test-code-patching.ts";
import {
  type CodePatchingVariant,
  setCodePatchingVariant,
} from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import { tbToNs } from "../linux/include/linux/delay.ts";
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
import { Printk } from "../linux/kernel/printk.ts";
import { loadKernelConfig } from "../linux/scripts/kconfig/load-config.ts";
import { DefaultChoices } from "../machine/choices/default.ts";
import { Guest } from "../machine/interp.ts";
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
}

export interface BootResult {
  /** 0: reached /init cleanly; 1: the kernel panicked or the boot stopped. */
  readonly exitCode: 0 | 1;
  /** The kernel log as dmesg prints it. */
  readonly dmesg: string;
  readonly kernel: Kernel;
  readonly run: RunResult;
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
  const printk = new Printk({ clock: () => tbToNs(machine.tb) });
  const k = new Kernel({
    machine,
    config,
    printk,
    kallsyms: new Kallsyms(),
    choices: new DefaultChoices(seed),
    release: "6.2.0-rc1",
  });
  buildKernelImage(k);
  // The MMU model's entry points: the kernel runs with relocation on from early_setup.
  setMmuBootOps(k, { earlyInitMmu, earlyInitMmuSecondary, pagingInit, markRodataRo, freeInitmem });
  machine.interruptEntry = powerpcInterruptEntry(k);
  const build = req.boot?.buildInfo ?? DEFAULT_BUILD_INFO;
  const uts = utsInfo(k);
  // init_utsname()->version: the part of the banner from "#".
  uts.version = build.slice(build.indexOf("#"));
  uts.hardwareName = POWERNV_HARDWARE_NAME;
  // Compiled kernel functions run in the interpreter (POWER9: the kernel is built -mcpu=power9).
  setGuestRunner(k, function* (c, returnTo) {
    const g = new Guest(c.k.machine, c.cpu, {
      cpuModel: "power9",
      stopAt: returnTo,
      maxInsns: 1_000_000,
    });
    yield* g.task();
    return g.status === "returned";
  });
  setBootCommandLine(k, `console=hvc0${mmu === "hash" ? " disable_radix" : ""}`);
  setBootOptions(k, { ...req.boot, hotplugCycles: hotplug || (req.boot?.hotplugCycles ?? 0) });
  setCodePatchingVariant(k, req.variant ?? DEFAULT_VARIANT);
  req.prepare?.(k);
  return k;
}

/**
 * Boot a kernel made by createKernel: run CPU 0 from __start until every CPU
 * is idle, or the kernel panicked (its CPUs then stop for good).
 */
export function runBoot(k: Kernel): BootResult {
  const init = createInitTask(k);
  const cpu0 = k.machine.cpu(0);
  k.machine.spawn(
    0,
    (function* () {
      yield* runKernelThread({ k, cpu: cpu0, current: init }, __start);
    })(),
  );
  const run = k.machine.run(k.choices);
  const ok = k.systemState !== "panic" && run.status === "done" && reachedInit(k);
  return { exitCode: ok ? 0 : 1, dmesg: k.printk.dmesg(), kernel: k, run };
}

/** Boot: createKernel + runBoot. Bad input throws UserError. */
export function boot(req: BootRequest = {}): BootResult {
  return runBoot(createKernel(req));
}

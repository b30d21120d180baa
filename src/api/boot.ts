/**
 * `textpoke boot` as a library call: build the machine and the kernel from a
 * configuration, lay out the kernel image, boot it on CPU 0 and run the
 * machine until every CPU is idle. Returns the kernel log and the verdict.
 */

import { disassembleInst } from "../isa/powerpc/disasm.ts";
import { ppcInst } from "../isa/powerpc/inst.ts";
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
import { __pa } from "../linux/arch/powerpc/kernel/vmlinux.ts";
import { Kernel } from "../linux/core/kernel.ts";
import { registeredFunctions } from "../linux/core/kfunc.ts";
import { type SimReport, simReports } from "../linux/core/sim-report.ts";
import { buildKernelImage } from "../linux/image/build.ts";
import { setGuestRunner } from "../linux/image/call-compiled.ts";
import { staticKeyEnabled } from "../linux/include/linux/jump_label.ts";
import { staticKeys } from "../linux/kernel/jump_label.ts";
import {
  type StaticKeyRequest,
  staticKeyRequestInitcall,
  staticKeyRequestNames,
} from "../linux/kernel/static-key-request.ts";
import "../linux/image/compiled-initcalls.ts";
import { ftraceSiteFunctions } from "../linux/kernel/trace/ftrace.ts";
import { traceBuffersAllocated, traceFile } from "../linux/kernel/trace/trace.ts";
import "../linux/kernel/kprobes-init.ts";
import {
  type KprobeRequest,
  kprobeExampleInitcall,
  kprobeExamples,
} from "../linux/kernel/kprobes-example.ts";
import { kretprobeExampleInitcall, kretprobeExamples } from "../linux/kernel/kretprobe-example.ts";
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
  /**
   * `--ftrace FUNCTION`: trace these functions with the function tracer from
   * boot (`ftrace=function ftrace_filter=F1,F2` on the command line); needs
   * CONFIG_FUNCTION_TRACER=y. Each must have an ftrace call site.
   */
  readonly ftrace?: readonly string[];
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
   * `--kretprobe SYMBOL`: plant the kretprobes sample module's return probe
   * there right after init_kprobes; each return prints in dmesg.
   */
  readonly kretprobes?: readonly string[];
  /**
   * `--module NAME|FILE.o`: load these modules, in order, from a late
   * initcall (see moduleLoadInitcall). A name is a built-in module
   * (fixtures/modules); anything else is given as `{ name, bytes }`.
   */
  readonly modules?: readonly (string | { readonly name: string; readonly bytes: Uint8Array })[];
  /**
   * `--static-key NAME=on|off`: static_key_enable / static_key_disable of a
   * key of the image from an early initcall (needs CONFIG_JUMP_LABEL=y).
   */
  readonly staticKeys?: readonly string[];
}

/** A static key after the boot: its state and each site's instruction. */
export interface StaticKeySummary {
  readonly name: string;
  /** static_key_enabled() at the end of the boot. */
  readonly enabled: boolean;
  readonly sites: readonly {
    readonly addr: bigint;
    readonly word: number;
    /** `symbol+0xoff/0xsize`, as %pS prints it. */
    readonly where: string;
    /** The instruction there, as objdump prints it. */
    readonly insn: string;
  }[];
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

/** The outcome of one `--kretprobe` request. */
export interface KretprobeSummary {
  readonly symbol: string;
  /** register_kretprobe()'s return value: 0 or a negative errno (null: never registered). */
  readonly ret: number | null;
  /** The entry probe's address (0 when registration failed before resolving it). */
  readonly addr: bigint;
  /** Entries (entry-probe hits). */
  readonly entries: number;
  /** Return-handler runs. */
  readonly returns: number;
  /** `nmissed`: entries with no free instance (maxactive exhausted). */
  readonly nmissed: number;
  /** The symbol is a function the simulator models in TypeScript: the probe cannot fire. */
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
  /**
   * /sys/kernel/tracing/trace at the end of the boot, when the kernel has
   * the function tracer (CONFIG_FUNCTION_TRACER=y); null otherwise.
   */
  readonly trace: string | null;
  /** One entry per `kprobes` request, in order. */
  readonly kprobes: readonly KprobeSummary[];
  /** One entry per `kretprobes` request, in order. */
  readonly kretprobes: readonly KretprobeSummary[];
  /** One entry per `modules` request, in order. */
  readonly modules: readonly ModuleLoadResult[];
  /** One entry per key a `staticKeys` request named, in request order. */
  readonly staticKeys: readonly StaticKeySummary[];
  /**
   * What the model saw the kernel do that corrupts memory without an oops
   * (a write to a freed object, ...): nothing of it is in the dmesg.
   */
  readonly simReports: readonly SimReport[];
}

/** `NAME=on|off` for a static key of the image (after it is built). */
function parseStaticKeySpec(k: Kernel, spec: string): StaticKeyRequest {
  const m = /^([A-Za-z_]\w*)=(on|off)$/.exec(spec);
  if (m === null) throw new UserError(`bad --static-key '${spec}': expected NAME=on or NAME=off`);
  const keys = staticKeys(k);
  if (!keys.some((s) => s.name === m[1]))
    throw new UserError(
      `--static-key: '${m[1]}' is not a static key of the kernel (keys: ${keys.map((s) => s.name).join(", ")})`,
    );
  return { name: m[1]!, on: m[2] === "on" };
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
  const kretprobeRequests = req.kretprobes ?? [];
  if (kretprobeRequests.length !== 0 && !config.bool("KPROBES"))
    throw new UserError("--kretprobe needs CONFIG_KPROBES=y");
  for (const s of kretprobeRequests) {
    if (!/^[A-Za-z_.$][\w.$]*$/.test(s))
      throw new UserError(`bad --kretprobe '${s}': expected a function's SYMBOL`);
    if (k.kallsyms.lookupName(s) === undefined)
      throw new UserError(`--kretprobe: no symbol '${s}' in the kernel's symbol table`);
  }
  const keyRequests = (req.staticKeys ?? []).map((spec) => parseStaticKeySpec(k, spec));
  if (keyRequests.length !== 0 && !config.bool("JUMP_LABEL"))
    throw new UserError("--static-key needs CONFIG_JUMP_LABEL=y");
  const moduleRequests = (req.modules ?? []).map(moduleRequest);
  if (moduleRequests.length !== 0 && !config.bool("MODULES"))
    throw new UserError("--module needs CONFIG_MODULES=y");
  const ftraceFunctions = req.ftrace ?? [];
  if (ftraceFunctions.length !== 0) {
    if (!config.bool("FUNCTION_TRACER"))
      throw new UserError(
        "--ftrace needs CONFIG_FUNCTION_TRACER=y (add --set CONFIG_FUNCTION_TRACER=y)",
      );
    if (!config.bool("DYNAMIC_FTRACE"))
      throw new UserError(
        "--ftrace needs CONFIG_DYNAMIC_FTRACE=y (add --set CONFIG_DYNAMIC_FTRACE=y)",
      );
    const traceable = ftraceSiteFunctions(k);
    for (const f of ftraceFunctions) {
      if (!traceable.includes(f))
        throw new UserError(
          `--ftrace: '${f}' has no ftrace call site (traceable: ${traceable.join(", ")})`,
        );
    }
  }
  // The function tracer from boot, as the kernel's command line asks for it.
  const ftraceArgs =
    ftraceFunctions.length === 0
      ? ""
      : ` ftrace=function ftrace_filter=${ftraceFunctions.join(",")}`;
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
  setBootCommandLine(k, `console=hvc0${mmu === "hash" ? " disable_radix" : ""}${ftraceArgs}`);
  setBootOptions(k, {
    ...req.boot,
    hotplugCycles: hotplug || (req.boot?.hotplugCycles ?? 0),
    ...(kprobeRequests.length !== 0 ||
    kretprobeRequests.length !== 0 ||
    moduleRequests.length !== 0 ||
    keyRequests.length !== 0
      ? {
          initcalls: [
            ...(req.boot?.initcalls ?? []),
            ...(keyRequests.length !== 0 ? [staticKeyRequestInitcall(k, keyRequests)] : []),
            ...(kprobeRequests.length !== 0 ? [kprobeExampleInitcall(k, kprobeRequests)] : []),
            ...(kretprobeRequests.length !== 0
              ? [kretprobeExampleInitcall(k, kretprobeRequests)]
              : []),
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
  const kretprobes = kretprobeExamples(k).map(
    (e): KretprobeSummary => ({
      symbol: e.symbol,
      ret: e.ret,
      addr: e.rp.kp.addr,
      entries: e.rp.kp.hits,
      returns: e.rp.hits,
      nmissed: e.rp.nmissed,
      modelled: registeredFunctions().some((f) => f.name === e.symbol),
    }),
  );
  const modules = moduleLoadResults(k);
  const reports = simReports(k);
  const keys = staticKeys(k);
  const staticKeySummaries = staticKeyRequestNames(k).map((name): StaticKeySummary => {
    const key = keys.find((s) => s.name === name)!;
    return {
      name,
      enabled: staticKeyEnabled(k, key.address),
      sites: key.sites.map((addr) => {
        const word = k.machine.mem.read32(__pa(addr));
        return {
          addr,
          word,
          where: k.kallsyms.sprintSymbol(addr),
          insn: disassembleInst(ppcInst(word), addr),
        };
      }),
    };
  });
  return {
    exitCode: ok && reports.length === 0 ? 0 : 1,
    dmesg: k.printk.dmesg(),
    trace: traceBuffersAllocated(k) ? traceFile(k) : null,
    kernel: k,
    run,
    kprobes,
    kretprobes,
    modules,
    staticKeys: staticKeySummaries,
    simReports: reports,
  };
}

/** Boot: createKernel + runBoot. Bad input throws UserError. */
export function boot(req: BootRequest = {}): BootResult {
  return runBoot(createKernel(req));
}

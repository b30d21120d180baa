/**
 * Generic kernel start-up (init/main.c at v6.2): `start_kernel()` on the
 * boot CPU, `rest_init()` creating PID 1 (kernel_init) and PID 2 (kthreadd),
 * `kernel_init()` / `kernel_init_freeable()`, the initcall levels
 * (`do_pre_smp_initcalls`, `do_initcalls`, `do_one_initcall`), freeing init
 * memory, making rodata read-only and "Run /init as init process".
 */

import { MSR_EE } from "../../machine/registers.ts";
import { localIrqEnable } from "../arch/powerpc/include/asm/hw_irq.ts";
import { mmuBootOps } from "../arch/powerpc/kernel/setup_64.ts";
import { bootCommandLine, setupArch } from "../arch/powerpc/kernel/setup-common.ts";
import { smpPrepareCpus } from "../arch/powerpc/kernel/smp.ts";
import { patchingOps } from "../arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { imageLayout } from "../image/build.ts";
import { declareCalls } from "../image/sites.ts";
import {
  INITCALL_LEVEL_NAMES,
  type Initcall,
  type InitcallLevel,
  registeredInitcalls,
} from "../include/linux/init.ts";
import type { TaskStruct } from "../include/linux/sched.ts";
import { bootCpuInit, cpuDown, cpuOnline, cpuUp } from "../kernel/cpu.ts";
import { runKernelThread } from "../kernel/exit.ts";
import { createKthread } from "../kernel/kthread.ts";
import { smpInit } from "../kernel/smp.ts";
import { ftraceConfigured, ftraceFreeInitMem, ftraceInit } from "../kernel/trace/ftrace.ts";
import { earlyTraceInit } from "../kernel/trace/trace.ts";
import { frameAllocator } from "../mm/page_alloc.ts";

/** What a boot is asked to do besides the kernel's own work. */
export interface BootOptions {
  /** Subsystems outside the core that start_kernel calls (filled by the code-patching layer). */
  /** `maxcpus=` / setup_max_cpus: how many CPUs smp_init brings up (default all). */
  readonly maxCpus?: number;
  /** Cycle every secondary CPU down and up this many times after the initcalls, before /init. */
  readonly hotplugCycles?: number;
  /** Initcalls of this boot only, after the declared ones of the same level. */
  readonly initcalls?: readonly Initcall[];
  /** `linux_banner`'s build part (default: textpoke's). */
  readonly buildInfo?: string;
}

interface InitState {
  options: BootOptions;
  /** Names of the initcalls run, in order (for inspection). */
  readonly ran: string[];
  /** Set when `Run /init as init process` was reached. */
  reachedInit: boolean;
}

const INIT = defineSlot<InitState>("init", () => ({ options: {}, ran: [], reachedInit: false }));

/** Set this kernel's boot options (before it boots). */
export function setBootOptions(k: Kernel, options: BootOptions): void {
  k.slot(INIT).options = options;
}

/** The initcalls this kernel ran, in order. */
export function initcallsRun(k: Kernel): readonly string[] {
  return k.slot(INIT).ran;
}

/** Did the boot reach `Run /init as init process`? */
export function reachedInit(k: Kernel): boolean {
  return k.slot(INIT).reachedInit;
}

/** The build part of `linux_banner`: compiler, linker, version and build stamp (fixed: runs are deterministic). */
export const DEFAULT_BUILD_INFO =
  "(textpoke@textpoke) (powerpc64le-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP Sun Dec 25 00:00:00 UTC 2022";

/**
 * `dump_stack_arch_desc_str` of a POWER9 PowerNV machine under QEMU, as the
 * seed's oops prints it (device-tree model, CPU and PVR, firmware, ppc_md.name).
 */
export const POWERNV_HARDWARE_NAME =
  "IBM PowerNV (emulated by qemu) POWER9 0x4e1200 opal:v7.0 PowerNV";

const panicked = (k: Kernel) => k.systemState === "panic";

declareCalls("start_kernel", ["setup_arch", "rest_init"]);
declareCalls("rest_init", ["kernel_thread"]);
declareCalls("ret_from_kernel_thread", ["kernel_init"]);
declareCalls("kernel_init", ["kernel_init_freeable"]);
declareCalls("kernel_init_freeable", ["do_one_initcall", "smp_init", "smp_prepare_cpus"]);
declareCalls("smp_init", ["bringup_nonboot_cpus"]);
declareCalls("bringup_nonboot_cpus", ["cpu_up"]);
declareCalls("cpu_up", ["_cpu_up"]);
declareCalls("_cpu_up", ["cpuhp_invoke_callback"]);
declareCalls("cpu_down", ["_cpu_down"]);
declareCalls("_cpu_down", ["cpuhp_invoke_callback"]);
declareCalls("start_here_common", ["start_kernel"]);
declareCalls("start_here_multiplatform", ["early_setup", "start_here_common"]);

/**
 * Models `do_one_initcall(fn)`: run it and repair what it broke — a
 * preemption-count imbalance is reset (the kernel then WARNs "initcall %pS
 * returned with preemption imbalance").
 */
export const doOneInitcall = kfunc(
  { name: "do_one_initcall", file: "init/main.c", size: 0x2e0 },
  function* (c: Ctx, call: Initcall): KGen<number> {
    const count = c.current.preemptCount;
    c.k.slot(INIT).ran.push(call.name);
    const ret = yield* call.fn(c);
    if (c.current.preemptCount !== count) {
      // SIMPLIFICATION: reported as a plain warning line, not the WARN splat.
      c.k.printk.prWarn(
        `initcall ${c.k.kallsyms.sprintSymbol(c.k.kallsyms.lookupName(call.name) ?? 0n)} returned with preemption imbalance \n`,
        c.current.pid,
      );
      c.current.preemptCount = count;
    }
    return ret;
  },
);

function initcallsAt(k: Kernel, level: InitcallLevel): Initcall[] {
  const extra = k.slot(INIT).options.initcalls ?? [];
  return [...registeredInitcalls(), ...extra].filter((i) => i.level === level);
}

function* runLevel(c: Ctx, level: InitcallLevel): KGen<void> {
  for (const call of initcallsAt(c.k, level)) {
    yield* doOneInitcall(c, call);
    if (panicked(c.k)) return;
  }
}

/** Models `do_pre_smp_initcalls()` (inlined into kernel_init_freeable): the early initcalls. */
function* doPreSmpInitcalls(c: Ctx): KGen<void> {
  yield* runLevel(c, "early");
}

/** Models `do_initcalls()` (inlined into do_basic_setup): levels 0..7 in order. */
function* doInitcalls(c: Ctx): KGen<void> {
  for (const level of INITCALL_LEVEL_NAMES) {
    yield* runLevel(c, level);
    if (panicked(c.k)) return;
  }
}

/** Models `do_basic_setup()`: driver core (devtmpfs), then the initcalls. */
function* doBasicSetup(c: Ctx): KGen<void> {
  // driver_init() → devtmpfs_init().
  c.k.printk.prInfo("devtmpfs: initialized\n", c.current.pid);
  yield* doInitcalls(c);
}

/**
 * CPU hotplug exercise (`--hotplug N`, a textpoke option): every secondary
 * CPU goes down and comes back up, N times, from PID 1.
 */
function* hotplugCycles(c: Ctx, cycles: number): KGen<void> {
  const n = c.k.machine.cpus.length;
  for (let i = 0; i < cycles && !panicked(c.k); i++) {
    for (let cpu = 1; cpu < n && !panicked(c.k); cpu++) {
      if (!cpuOnline(c.k, cpu)) continue;
      const down = yield* cpuDown(c, cpu);
      if (down !== 0)
        c.k.printk.prErr(`hotplug: cpu_down(${cpu}) failed: ${down}\n`, c.current.pid);
      else {
        const up = yield* cpuUp(c, cpu);
        if (up !== 0) c.k.printk.prErr(`hotplug: cpu_up(${cpu}) failed: ${up}\n`, c.current.pid);
      }
    }
  }
}

/** Models `kernel_init_freeable()`. */
export const kernelInitFreeable = kfunc(
  { name: "kernel_init_freeable", file: "init/main.c", init: true, size: 0x3e0 },
  function* (c: Ctx): KGen<void> {
    const options = c.k.slot(INIT).options;
    yield* smpPrepareCpus(c);
    yield* doPreSmpInitcalls(c);
    if (panicked(c.k)) return;
    yield* smpInit(c, options.maxCpus ?? c.k.machine.cpus.length);
    if (panicked(c.k)) return;
    yield* doBasicSetup(c);
  },
);

/**
 * Models `free_initmem()` when the MMU model does not provide it:
 * `free_initmem_default()` — release [__init_begin, __init_end) and say so.
 * SIMPLIFICATION: the init pages are not handed to the page allocator.
 */
// biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
function* freeInitmemDefault(c: Ctx): KGen<void> {
  const l = imageLayout(c.k);
  c.k.initMemIsFree = true;
  const kb = Number(l.initEnd - l.initBegin) / 1024;
  c.k.printk.prInfo(`Freeing unused kernel image (initmem) memory: ${kb}K\n`, c.current.pid);
}

/** Models `kernel_init()` (PID 1). */
export const kernelInit = kfunc(
  { name: "kernel_init", file: "init/main.c", size: 0x1d0 },
  function* (c: Ctx): KGen<number> {
    const s = c.k.slot(INIT);
    yield* kernelInitFreeable(c);
    if (panicked(c.k)) return 0;
    if ((s.options.hotplugCycles ?? 0) > 0) yield* hotplugCycles(c, s.options.hotplugCycles ?? 0);
    if (panicked(c.k)) return 0;
    const ops = mmuBootOps(c.k);
    // ftrace_free_init_mem(): forget the ftrace sites in init text.
    if (ftraceConfigured(c.k)) yield* ftraceFreeInitMem(c);
    if (ops.freeInitmem !== undefined) yield* ops.freeInitmem(c);
    else yield* freeInitmemDefault(c);
    // mark_readonly(): only with STRICT_KERNEL_RWX and rodata on (the default).
    if (c.k.config.bool("STRICT_KERNEL_RWX") && ops.markRodataRo !== undefined)
      yield* ops.markRodataRo(c);
    if (panicked(c.k)) return 0;
    c.k.systemState = "running";
    c.k.printk.prInfo("Run /init as init process\n", c.current.pid);
    s.reachedInit = true;
    return 0;
  },
);

/**
 * Models `ret_from_kernel_thread` (arch/powerpc/kernel/interrupt_64.S): where
 * a new kernel thread starts; it calls the thread function.
 */
export const retFromKernelThread = kfunc(
  { name: "ret_from_kernel_thread", file: "arch/powerpc/kernel/interrupt_64.S", size: 0x64 },
  function* (c: Ctx, fn: (c: Ctx) => KGen<number>): KGen<void> {
    yield* fn(c);
  },
);

/**
 * Models `rest_init()`: PID 1 runs kernel_init, PID 2 is kthreadd; the boot
 * task becomes the idle task and the boot CPU switches to PID 1.
 * SIMPLIFICATION: no scheduler — PID 1 runs to completion on the boot CPU
 * from here (kthreadd has no work in the model).
 */
export const restInit = kfunc(
  { name: "rest_init", file: "init/main.c", size: 0x140 },
  function* (c: Ctx): KGen<void> {
    const init: TaskStruct = createKthread(c.k, c.current.comm);
    init.activeMm = c.current.activeMm;
    const kthreadd = createKthread(c.k, "kthreadd");
    kthreadd.activeMm = c.current.activeMm;
    c.k.systemState = "scheduling";
    // schedule(): switch to PID 1. A kernel thread ends in do_exit (an oops
    // kills it), which runKernelThread absorbs.
    yield* runKernelThread({ k: c.k, cpu: c.cpu, current: init }, (ci) =>
      retFromKernelThread(ci, kernelInit),
    );
  },
);

/** `mem_init_print_info()` (mm/page_alloc.c): the "Memory:" line. */
function memInitPrintInfo(c: Ctx): void {
  const l = imageLayout(c.k);
  const kb = (a: bigint, b: bigint) => Number(b - a) / 1024;
  const totalK = Math.floor(c.k.machine.mem.size / 1024);
  const frames = frameAllocator(c.k);
  const availK = ((frames.frameCount - frames.allocatedFrames) * frames.frameSize) / 1024;
  const code = kb(l.stext, l.etext);
  const rwdata = kb(l.sdata, l.edata);
  const rodata = kb(l.startRodata, l.endRodata);
  const init = kb(l.initBegin, l.initEnd);
  const bss = kb(l.bssStart, l.bssStop);
  const reserved = totalK - availK;
  c.k.printk.prInfo(
    `Memory: ${availK}K/${totalK}K available (${code}K kernel code, ${rwdata}K rwdata, ${rodata}K rodata, ${init}K init, ${bss}K bss, ${reserved}K reserved, 0K cma-reserved)\n`,
    c.current.pid,
  );
}

/** Models `start_kernel()` (the parts the model has), on the boot CPU as init_task. */
export const startKernel = kfunc(
  { name: "start_kernel", file: "init/main.c", init: true, size: 0x6c0 },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    const options = k.slot(INIT).options;
    bootCpuInit(k, c.cpu.id, c.current);
    k.printk.printk(
      `\x015Linux version ${k.release} ${options.buildInfo ?? DEFAULT_BUILD_INFO}\n`,
      0,
    );
    yield* setupArch(c, mmuBootOps(k).pagingInit ?? null);
    k.printk.printk(`\x015Kernel command line: ${bootCommandLine(k)}\n`, 0);
    // mm_init() → mem_init() → mem_init_print_info().
    memInitPrintInfo(c);
    // v6.2-rc1: poking_init() right after mm_init().
    yield* patchingOps(k).pokingInit(c);
    if (panicked(k)) return;
    // ftrace_init(), then early_trace_init() ("trace_printk can be enabled here").
    if (ftraceConfigured(k)) {
      yield* ftraceInit(c);
      if (panicked(k)) return;
      yield* earlyTraceInit(c);
      if (panicked(k)) return;
    }
    // rcu_init().
    k.printk.prInfo("rcu: Hierarchical RCU implementation.\n", 0);
    // early_boot_irqs_disabled = false; local_irq_enable(): MSR[EE] on for
    // good, the soft mask governs interrupts from here.
    c.cpu.msrLo = (c.cpu.msrLo | MSR_EE) >>> 0;
    yield* localIrqEnable(c);
    yield* restInit(c);
  },
);

/**
 * SMP bring-up and tear-down for ppc64 PowerNV (arch/powerpc/kernel/smp.c and
 * arch/powerpc/platforms/powernv/smp.c): `__cpu_up` kicks a secondary out of
 * firmware's hold loop into `start_secondary` on its idle task; a dying CPU
 * disables itself (`pnv_smp_cpu_disable`, which flushes its TLB through
 * `cleanup_cpu_mmu_context`) and stops.
 */

import { MSR_EE } from "../../../../machine/registers.ts";
import { ptesync, tlbiel, waitUntil } from "../../../../machine/task-ops.ts";
import { markShared } from "../../../../util/clone.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import type { TaskStruct } from "../../../include/linux/sched.ts";
import {
  type CpuhpArch,
  cpuhpOnlineIdle,
  notifyCpuStarting,
  setCpuhpArch,
  setCpuOnline,
} from "../../../kernel/cpu.ts";
import { runKernelThread } from "../../../kernel/exit.ts";
import { localIrqEnable } from "../include/asm/hw_irq.ts";
import { cpuReadyForInterrupts, mmuBootOps, setKernelMsr } from "./setup_64.ts";

/**
 * Models `start_secondary()` on the incoming CPU (its idle task): MMU
 * registers for this CPU, the STARTING hotplug states, online, idle.
 * SIMPLIFICATION: the idle loop is not modelled — the task ends at
 * `cpu_startup_entry`, leaving the CPU without a task until work is sent to it.
 */
export const startSecondary = kfunc(
  { name: "start_secondary", file: "arch/powerpc/kernel/smp.c", size: 0x3a0 },
  function* (c: Ctx): KGen<void> {
    const cpu = c.cpu.id;
    setKernelMsr(c.cpu, false);
    const mmu = mmuBootOps(c.k).earlyInitMmuSecondary;
    if (mmu !== undefined) {
      yield* mmu(c);
      setKernelMsr(c.cpu, true);
      // early_setup_secondary()
      cpuReadyForInterrupts(c.cpu);
    }
    yield* notifyCpuStarting(c, cpu);
    setCpuOnline(c.k, cpu, true);
    // local_irq_enable() before the idle loop.
    c.cpu.msrLo = (c.cpu.msrLo | MSR_EE) >>> 0;
    yield* localIrqEnable(c);
    cpuhpOnlineIdle(c.k, cpu);
  },
);

/** Models `__cpu_up(cpu, tidle)`: release the CPU into start_secondary on `idle`. */
export const __cpuUp = kfunc(
  { name: "__cpu_up", file: "arch/powerpc/kernel/smp.c", size: 0x2e0 },
  function* (c: Ctx, cpu: number, idle: TaskStruct): KGen<number> {
    const m = c.k.machine;
    const target = m.cpu(cpu);
    // A CPU that went down last time may still be finishing its last step.
    yield* waitUntil(c.cpu, () => !target.busy, target);
    target.online = true;
    const ctx: Ctx = { k: c.k, cpu: target, current: idle };
    m.spawn(
      cpu,
      (function* () {
        yield* runKernelThread(ctx, startSecondary);
      })(),
    );
    return 0;
  },
);

/**
 * The local TLB flush of `cleanup_cpu_mmu_context()` (book3s64
 * mmu_context.c: `tlbiel_all()`): invalidate everything in this CPU's TLB,
 * partition- and process-scoped, RIC=2, IS=3.
 * SIMPLIFICATION: one tlbiel per scope; the model's TLB has no congruence sets.
 */
function* tlbielAll(c: Ctx): KGen<void> {
  const m = c.k.machine;
  const rb = BigInt(3 << 10);
  yield* ptesync(m, c.cpu);
  yield* tlbiel(m, c.cpu, rb, 0n, 2, false, true);
  yield* tlbiel(m, c.cpu, rb, 0n, 2, true, true);
  yield* ptesync(m, c.cpu);
}

/** Models `pnv_smp_cpu_disable()` (`__cpu_disable` on PowerNV), on the dying CPU. */
export const pnvSmpCpuDisable = kfunc(
  { name: "pnv_smp_cpu_disable", file: "arch/powerpc/platforms/powernv/smp.c", size: 0xd0 },
  function* (c: Ctx): KGen<number> {
    setCpuOnline(c.k, c.cpu.id, false);
    const cleanup = mmuBootOps(c.k).cleanupCpuMmuContext;
    if (cleanup !== undefined) yield* cleanup(c);
    else yield* tlbielAll(c);
    return 0;
  },
);

/** Models `__cpu_die(cpu)` (pnv_smp_cpu_kill_self on the other side): wait until it stopped. */
export const __cpuDie = kfunc(
  { name: "__cpu_die", file: "arch/powerpc/kernel/smp.c", size: 0x90 },
  function* (c: Ctx, cpu: number): KGen<void> {
    const target = c.k.machine.cpu(cpu);
    yield* waitUntil(c.cpu, () => !target.busy, target);
    target.online = false;
  },
);

/** The platform's hotplug operations: module functions, shared by kernels and their forks. */
const POWERNV_CPUHP: CpuhpArch = markShared({
  cpuUp: (c, cpu, idle) => __cpuUp(c, cpu, idle),
  cpuDisable: (c) => pnvSmpCpuDisable(c),
  cpuDie: (c, cpu) => __cpuDie(c, cpu),
});

/** Models `smp_prepare_cpus()`: install the platform's CPU up/down operations. */
export const smpPrepareCpus = kfunc(
  { name: "smp_prepare_cpus", file: "arch/powerpc/kernel/smp.c", init: true, size: 0x1f0 },
  // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
  function* (c: Ctx): KGen<void> {
    setCpuhpArch(c.k, POWERNV_CPUHP);
  },
);

/**
 * Generic SMP bring-up (kernel/smp.c): `smp_init()`, which creates the idle
 * and hotplug threads and brings every present CPU online.
 */
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import { cpuhpThreadsInit, cpuOnline, cpuUp, idleThreadsInit, numOnlineCpus } from "./cpu.ts";

/** Models `bringup_nonboot_cpus(setup_max_cpus)` (kernel/cpu.c). */
export const bringupNonbootCpus = kfunc(
  { name: "bringup_nonboot_cpus", file: "kernel/cpu.c", init: true, size: 0xc0 },
  function* (c: Ctx, maxCpus: number): KGen<void> {
    const n = c.k.machine.cpus.length;
    for (let cpu = 0; cpu < n; cpu++) {
      if (numOnlineCpus(c.k) >= maxCpus) break;
      if (!cpuOnline(c.k, cpu)) yield* cpuUp(c, cpu);
    }
  },
);

/** Models `smp_init()`. */
export const smpInit = kfunc(
  { name: "smp_init", file: "kernel/smp.c", init: true, size: 0x110 },
  function* (c: Ctx, maxCpus: number): KGen<void> {
    idleThreadsInit(c.k, c.cpu.id);
    cpuhpThreadsInit(c.k, c.cpu.id);
    const log = c.k.printk.withPrefix("smp: ");
    log.prInfo("Bringing up secondary CPUs ...\n", c.current.pid);
    yield* bringupNonbootCpus(c, maxCpus);
    // SIMPLIFICATION: one NUMA node.
    const cpus = numOnlineCpus(c.k);
    log.prInfo(`Brought up 1 node, ${cpus} CPU${cpus > 1 ? "s" : ""}\n`, c.current.pid);
  },
);

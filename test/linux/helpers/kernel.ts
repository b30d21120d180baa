// A small simulated kernel for the mm and die-path tests: a machine, the
// configuration, printk on simulated time, and a synthetic kernel image whose
// kallsyms holds every registered kfunc (laid out back to back from _stext +
// 0x10000, init functions in the init section). Import every module under
// test before calling `testKernel`, so their kfuncs are registered.
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import { Kernel, type KernelImage } from "../../../src/linux/core/kernel.ts";
import { registeredFunctions } from "../../../src/linux/core/kfunc.ts";
import { TimebaseClock } from "../../../src/linux/include/linux/delay.ts";
import { createTask, type TaskStruct } from "../../../src/linux/include/linux/sched.ts";
import { runKernelThread } from "../../../src/linux/kernel/exit.ts";
import { Kallsyms, type KallsymsEntry } from "../../../src/linux/kernel/kallsyms.ts";
import { Printk } from "../../../src/linux/kernel/printk.ts";
import { loadKernelConfig } from "../../../src/linux/scripts/kconfig/load-config.ts";
import { DefaultChoices } from "../../../src/machine/choices/default.ts";
import { Machine, type RunResult } from "../../../src/machine/machine.ts";
import type { Choices } from "../../../src/util/choices.ts";

export const K = 0xc000_0000_0000_0000n;

export interface TestKernelOptions {
  readonly sets?: readonly string[];
  readonly cpus?: number;
  readonly mmu?: "radix" | "hash";
  readonly choices?: Choices;
  readonly memoryBytes?: number;
}

/** Injects a failure at the `nth` (1-based) allocation from `site`; otherwise DefaultChoices. */
export class FailAt implements Choices {
  private readonly inner = new DefaultChoices(1);
  private readonly seen = new Map<string, number>();
  site: string;
  nth: number;
  constructor(site: string, nth = 1) {
    this.site = site;
    this.nth = nth;
  }
  pickCpu(r: readonly number[]): number {
    return this.inner.pickCpu(r);
  }
  deliverInterrupt(): boolean {
    return true;
  }
  failAllocation(site: string): boolean {
    const n = (this.seen.get(site) ?? 0) + 1;
    this.seen.set(site, n);
    return site === this.site && n === this.nth;
  }
  random(bound: number): number {
    return this.inner.random(bound);
  }
}

export function testKernel(o: TestKernelOptions = {}): Kernel {
  const config = loadKernelConfig({ sets: [...(o.sets ?? [])] });
  const machine = new Machine({
    cpus: o.cpus ?? 2,
    memoryBytes: o.memoryBytes ?? 256 << 20,
    pageSize: config.pageSize,
    mmu: o.mmu ?? "radix",
  });
  const entries: KallsymsEntry[] = [];
  let at = K + 0x10000n;
  const fns = registeredFunctions();
  for (const f of fns.filter((f) => !f.init)) {
    entries.push({ name: f.name, address: at, size: f.size, type: "T" });
    at += BigInt((f.size + 15) & ~15);
  }
  const etext = (at + 0xffffn) & ~0xffffn;
  const initBegin = etext + 0x10000n;
  at = initBegin;
  for (const f of fns.filter((f) => f.init)) {
    entries.push({ name: f.name, address: at, size: f.size, type: "t" });
    at += BigInt((f.size + 15) & ~15);
  }
  const initEnd = (at + 0xffffn) & ~0xffffn;
  const image: KernelImage = {
    stext: K,
    etext,
    startRodata: etext,
    initBegin,
    initEnd,
    endData: K + 0x40_0000n,
    end: K + 0x40_0000n,
  };
  const printk = new Printk({ clock: new TimebaseClock(machine) });
  const k = new Kernel({
    machine,
    config,
    printk,
    kallsyms: new Kallsyms(entries),
    choices: o.choices ?? new DefaultChoices(1),
    release: "6.2.0-rc1",
  });
  k.image = image;
  // Kernel text reads as nops, so the Code: line has real words around the trap.
  for (let a = 0x10000; a < Number(etext - K); a += 4) machine.mem.write32(a, 0x6000_0000);
  return k;
}

/** A task with its kernel stack inside the image's data (16 KiB per PID). */
export function task(k: Kernel, pid: number, comm: string): TaskStruct {
  let t = k.tasks.get(pid);
  if (t === undefined) {
    t = createTask(pid, comm, K + 0x30_0000n + BigInt((pid + 1) * 0x4000));
    k.tasks.set(pid, t);
  }
  return t;
}

/** Runs `body` as task `t` on CPU `cpu` until the machine stops. */
export function runOn(
  k: Kernel,
  cpu: number,
  t: TaskStruct,
  body: (c: Ctx) => KGen<void>,
): RunResult {
  const c: Ctx = { k, cpu: k.machine.cpu(cpu), current: t };
  k.machine.spawn(
    cpu,
    (function* () {
      yield* runKernelThread(c, body);
    })(),
  );
  return k.machine.run(k.choices);
}

/** The context of task `t` on `cpu`, for calling kernel functions from a spawned body. */
export function ctxOf(k: Kernel, cpu: number, t: TaskStruct): Ctx {
  return { k, cpu: k.machine.cpu(cpu), current: t };
}

/** dmesg without timestamps. */
export function log(k: Kernel): string[] {
  return k.printk.lines().map((l) => l.replace(/^\[\s*\d+\.\d{6}\] /, ""));
}

/**
 * A kernel after the MMU setup of the boot CPU (earlyInitMmu, pagingInit),
 * with MSR[EE] on and the system running. The MMU modules must be imported
 * by the caller (they register kfuncs); pass the entry points in.
 */
export function bootedKernel(
  entry: {
    earlyInitMmu: (c: Ctx) => KGen<void>;
    pagingInit: (c: Ctx) => KGen<void>;
    earlyInitMmuSecondary: (c: Ctx) => KGen<void>;
  },
  o: TestKernelOptions = {},
): Kernel {
  const k = testKernel(o);
  const boot = task(k, 0, "swapper/0");
  const r = runOn(k, 0, boot, function* (c) {
    yield* entry.earlyInitMmu(c);
    yield* entry.pagingInit(c);
  });
  if (r.status !== "done") throw new Error(`MMU setup: ${r.status}`);
  for (const cpu of k.machine.cpus.slice(1)) {
    const t = task(k, 100 + cpu.id, `swapper/${cpu.id}`);
    runOn(k, cpu.id, t, entry.earlyInitMmuSecondary);
  }
  for (const cpu of k.machine.cpus) cpu.msrLo |= 0x8000;
  k.systemState = "running";
  return k;
}

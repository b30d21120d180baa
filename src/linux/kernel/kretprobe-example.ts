/**
 * The kretprobes sample module (samples/kprobes/kretprobe_example.c, v6.2),
 * built in once for every return probe `textpoke boot --kretprobe SYMBOL`
 * asks for: a kretprobe on the symbol (maxactive 20, an 8-byte `struct
 * my_data`) whose entry handler timestamps the call and whose return handler
 * prints the return value and the time the call took, registered by
 * kretprobe_init().
 *
 * SIMPLIFICATION: kretprobe_init() runs as an early initcall right after
 * init_kprobes() (the first point at which probes can be registered), not
 * from module loading after the initcalls, so that the probes see every
 * later initcall. `%p` prints the raw address, as with no_hash_pointers.
 * SIMPLIFICATION: the sample's entry handler skips kernel threads (`if
 * (!current->mm) return 1;`); this one does not, because every caller in the
 * model is a kernel thread (the initcalls run in kernel_init before it execs
 * /init), so the sample as written would never report a return here.
 * ktime_get() is the timebase in nanoseconds (the printk clock's
 * conversion); the time includes the probe traps, as it would.
 */
import type { InterruptRegs } from "../arch/powerpc/kernel/interrupt.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { tbToNs } from "../include/linux/delay.ts";
import type { Initcall } from "../include/linux/init.ts";
import {
  getKretprobe,
  type Kretprobe,
  type KretprobeInstance,
  newKretprobe,
} from "../include/linux/kprobes.ts";
import { registerKretprobe, unregisterKretprobe } from "./kprobes.ts";

const FILE = "samples/kprobes/kretprobe_example.c";

/** What became of one requested return probe. */
export interface KretprobeExampleResult {
  /** `func`, the module parameter: the probed function. */
  readonly symbol: string;
  /** register_kretprobe()'s return value (0, or a negative errno); null if kretprobe_init never ran. */
  ret: number | null;
  readonly rp: Kretprobe;
}

const EXAMPLES = defineSlot<KretprobeExampleResult[]>("kretprobe-example", () => []);

/** The sample's return probes on this kernel, in request order. */
export function kretprobeExamples(k: Kernel): readonly KretprobeExampleResult[] {
  return k.slot(EXAMPLES);
}

/** `%p` of a 64-bit value: lower-case hex, zero-padded to 16 digits. */
const px = (v: bigint) => v.toString(16).padStart(16, "0");

/** Models `ktime_get()`: nanoseconds of the timebase. */
function ktimeGet(c: Ctx): bigint {
  return tbToNs(c.k.machine.tb);
}

/** `entry_handler`: timestamp the call in the instance's `struct my_data`. */
const entryHandler = kfunc(
  { name: "entry_handler", file: FILE, size: 0x60 },
  // biome-ignore lint/correctness/useYield: a kretprobe handler is a generator by contract
  function* (c: Ctx, ri: KretprobeInstance, _regs: InterruptRegs): KGen<number> {
    ri.data[0] = ktimeGet(c);
    return 0;
  },
);

/** `ret_handler`: print the return value (`regs_return_value`: r3) and the time since entry. */
const retHandler = kfunc(
  { name: "ret_handler", file: FILE, size: 0xa0 },
  // biome-ignore lint/correctness/useYield: a kretprobe handler is a generator by contract
  function* (c: Ctx, ri: KretprobeInstance, regs: InterruptRegs): KGen<number> {
    const retval = BigInt.asUintN(64, regs.gpr[3]!);
    const delta = BigInt.asIntN(64, ktimeGet(c) - ri.data[0]!);
    // func_name: the probe's symbol (the handler runs only while its kretprobe is registered).
    const funcName = getKretprobe(c, ri)?.kp.symbolName ?? "";
    c.k.printk.prInfo(
      `${funcName} returned ${retval} and took ${delta} ns to execute\n`,
      c.current.pid,
    );
    return 0;
  },
);

/** `kretprobe_init()` for each requested return probe: register it and say where it went. */
const kretprobeInit = kfunc(
  { name: "kretprobe_init", file: FILE, size: 0x90, init: true },
  function* (c: Ctx, probes: readonly KretprobeExampleResult[]): KGen<number> {
    let first = 0;
    for (const r of probes) {
      const ret = yield* registerKretprobe(c, r.rp);
      r.ret = ret;
      if (ret < 0) {
        c.k.printk.prErr(`register_kretprobe failed, returned ${ret}\n`, c.current.pid);
        if (first === 0) first = ret;
        continue;
      }
      c.k.printk.prInfo(
        `Planted return probe at ${r.rp.kp.symbolName}: ${px(r.rp.kp.addr)}\n`,
        c.current.pid,
      );
    }
    return first;
  },
);

/**
 * Models `kretprobe_exit()`, the module's exit: unregister the probe and
 * report what it missed. Never run at boot (the sample is built in); for
 * library users and tests.
 */
export const kretprobeExit = kfunc(
  { name: "kretprobe_exit", file: FILE, size: 0x80 },
  function* (c: Ctx, r: KretprobeExampleResult): KGen<void> {
    yield* unregisterKretprobe(c, r.rp);
    c.k.printk.prInfo(`kretprobe at ${px(r.rp.kp.addr)} unregistered\n`, c.current.pid);
    // nmissed > 0 suggests that maxactive was set too low.
    c.k.printk.prInfo(
      `Missed probing ${r.rp.nmissed} instances of ${r.rp.kp.symbolName}\n`,
      c.current.pid,
    );
  },
);

/**
 * The initcall that plants the sample's return probes on `symbols` on kernel
 * `k` (pass it in the boot options' initcalls).
 */
export function kretprobeExampleInitcall(k: Kernel, symbols: readonly string[]): Initcall {
  const probes = k.slot(EXAMPLES);
  for (const symbol of symbols) {
    probes.push({
      symbol,
      ret: null,
      rp: newKretprobe({
        symbolName: symbol,
        handler: retHandler,
        entryHandler,
        // sizeof(struct my_data): one ktime_t.
        dataSize: 8,
        // Probe up to 20 instances concurrently.
        maxactive: 20,
      }),
    });
  }
  return { level: "early", name: "kretprobe_init", fn: kretprobeInitcall };
}

/** The initcall's body: the probes are the kernel's (it captures nothing). */
function kretprobeInitcall(c: Ctx): KGen<number> {
  return kretprobeInit(c, c.k.slot(EXAMPLES));
}

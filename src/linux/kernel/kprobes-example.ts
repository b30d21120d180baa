/**
 * The kprobes sample module (samples/kprobes/kprobe_example.c, v6.2), built
 * in once for every probe `textpoke boot --kprobe SYMBOL[+OFFSET]` asks for:
 * a kprobe on the symbol whose pre- and post-handlers print the probed
 * address, NIP and MSR in the sample's words, registered by kprobe_init().
 *
 * SIMPLIFICATION: kprobe_init() runs as an early initcall right after
 * init_kprobes() (the first point at which probes can be registered), not
 * from module loading after the initcalls, so that the probes see every
 * later initcall. `%p` prints the raw address, as with no_hash_pointers.
 */
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import type { Initcall } from "../include/linux/init.ts";
import { type Kprobe, newKprobe } from "../include/linux/kprobes.ts";
import { registerKprobe } from "./kprobes.ts";

const FILE = "samples/kprobes/kprobe_example.c";

/** One `--kprobe` request: a symbol and a byte offset into it. */
export interface KprobeRequest {
  readonly symbol: string;
  readonly offset: number;
}

/** What became of one requested probe. */
export interface KprobeExampleResult {
  readonly symbol: string;
  readonly offset: number;
  /** register_kprobe()'s return value (0, or a negative errno); null if kprobe_init never ran. */
  ret: number | null;
  readonly kp: Kprobe;
}

const EXAMPLES = defineSlot<KprobeExampleResult[]>("kprobe-example", () => []);

/** The sample's probes on this kernel, in request order. */
export function kprobeExamples(k: Kernel): readonly KprobeExampleResult[] {
  return k.slot(EXAMPLES);
}

/** `%p` / `%lx` of a 64-bit value: lower-case hex, `%p` zero-padded to 16 digits. */
const px = (v: bigint) => v.toString(16).padStart(16, "0");
const lx = (v: bigint) => v.toString(16);

/** `handler_pre`: print the hit. */
const handlerPre = kfunc(
  { name: "handler_pre", file: FILE, size: 0x90 },
  // biome-ignore lint/correctness/useYield: a kprobe handler is a generator by contract
  function* (c: Ctx, p: Kprobe, regs: { nip: bigint; msr: bigint }): KGen<number> {
    c.k.printk.prInfo(
      `handler_pre: <${p.symbolName}> p->addr = 0x${px(p.addr)}, nip = 0x${lx(regs.nip)}, msr = 0x${lx(regs.msr)}\n`,
      c.current.pid,
    );
    return 0;
  },
);

/** `handler_post`: print after the probed instruction ran. */
const handlerPost = kfunc(
  { name: "handler_post", file: FILE, size: 0x80 },
  // biome-ignore lint/correctness/useYield: a kprobe handler is a generator by contract
  function* (c: Ctx, p: Kprobe, regs: { msr: bigint }, _flags: number): KGen<void> {
    c.k.printk.prInfo(
      `handler_post: <${p.symbolName}> p->addr = 0x${px(p.addr)}, msr = 0x${lx(regs.msr)}\n`,
      c.current.pid,
    );
  },
);

/** `kprobe_init()` for each requested probe: register it and say where it went. */
const kprobeInit = kfunc(
  { name: "kprobe_init", file: FILE, size: 0x90, init: true },
  function* (c: Ctx, probes: readonly KprobeExampleResult[]): KGen<number> {
    let first = 0;
    for (const r of probes) {
      const ret = yield* registerKprobe(c, r.kp);
      r.ret = ret;
      if (ret < 0) {
        c.k.printk.prErr(`kprobe_init: register_kprobe failed, returned ${ret}\n`, c.current.pid);
        if (first === 0) first = ret;
        continue;
      }
      c.k.printk.prInfo(`kprobe_init: Planted kprobe at ${px(r.kp.addr)}\n`, c.current.pid);
    }
    return first;
  },
);

/**
 * The initcall that plants the sample's probes for `requests` on kernel `k`
 * (pass it in the boot options' initcalls).
 */
export function kprobeExampleInitcall(k: Kernel, requests: readonly KprobeRequest[]): Initcall {
  const probes = k.slot(EXAMPLES);
  for (const q of requests) {
    probes.push({
      symbol: q.symbol,
      offset: q.offset,
      ret: null,
      kp: newKprobe({
        symbolName: q.symbol,
        offset: q.offset,
        preHandler: handlerPre,
        postHandler: handlerPost,
      }),
    });
  }
  return { level: "early", name: "kprobe_init", fn: kprobeInitcall };
}

/** The initcall's body: the probes are the kernel's (it captures nothing). */
function kprobeInitcall(c: Ctx): KGen<number> {
  return kprobeInit(c, c.k.slot(EXAMPLES));
}

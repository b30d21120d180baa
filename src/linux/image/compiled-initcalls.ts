/**
 * Initcalls whose bodies are compiled C (fixtures/kernel), run on the
 * simulated CPU through the interpreter, so a kprobe on them really fires.
 */
import { warnOn } from "../arch/powerpc/include/asm/bug.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { lateInitcall, moduleInit } from "../include/linux/init.ts";
import { callCompiled } from "./call-compiled.ts";
import { declareCalls } from "./sites.ts";

/** Timebase ticks per nanosecond numerator/denominator (512 MHz: 1 tick = 125/64 ns). */
const NS_PER_TICK_NUM = 125n;
const NS_PER_TICK_DEN = 64n;

/**
 * The CRC32 self-test (lib/crc32test.c style, `module_init` → device level):
 * `crc32test_init` checksums a vector with `crc32_le` and compares with zlib's value.
 */
export const crc32test = moduleInit(
  { name: "crc32test", file: "lib/crc32test.c", size: 0xa0 },
  function* (c: Ctx): KGen<number> {
    const t0 = BigInt(c.k.machine.tb);
    const r = yield* callCompiled(c, "crc32test_init", []);
    if (r === null) {
      // The compiled self-test never returned (no interpreter, a fault, a
      // bound): say so loudly rather than report a pass.
      // SIMPLIFICATION: a textpoke check, not one of lib/crc32test.c's.
      c.k.printk.prErr(
        "crc32: self test did not run: crc32test_init did not return\n",
        c.current.pid,
      );
      yield* warnOn(c, true, { file: "lib/crc32test.c", line: 24 });
      return -8;
    }
    const ns = ((BigInt(c.k.machine.tb) - t0) * NS_PER_TICK_NUM) / NS_PER_TICK_DEN;
    const ret = Number(BigInt.asIntN(32, r));
    const log = c.k.printk.withPrefix("crc32: ");
    log.prInfo("CRC_LE_BITS = 1, CRC_BE BITS = 1\n", c.current.pid);
    if (ret === 0)
      log.prInfo(`self tests passed, processed 69 bytes in ${ns} nsec\n`, c.current.pid);
    else log.prInfo("1 self tests failed\n", c.current.pid);
    return ret;
  },
);

/**
 * The code-patching clients' demo (fixtures/kernel/patch-clients.c, a late
 * initcall): the compiled `patch_clients_init` calls the static-branch demos
 * and ftrace_demo_caller (which calls ftrace_demo_leaf twice), so jump labels
 * and the function tracer meet real calls at boot. This kfunc stands for the
 * compiled function (same name: the image gives it no text of its own) and
 * runs it; do_one_initcall's `bl` to it is the parent the tracer records.
 */
export const patchClientsInit = lateInitcall(
  { name: "patch_clients_init", file: "fixtures/kernel/patch-clients.c", size: 0x80 },
  function* (c: Ctx): KGen<number> {
    const r = yield* callCompiled(c, "patch_clients_init", []);
    // No interpreter (or the call never returned): nothing ran, nothing to report.
    return r === null ? 0 : Number(BigInt.asIntN(32, r));
  },
);

declareCalls("do_one_initcall", ["patch_clients_init"]);

/**
 * Loading modules at boot, as a system's init would with `modprobe NAME`
 * (the `init_module` syscall → load_module): `textpoke boot --module`.
 *
 * SIMPLIFICATION: there is no user space, so the modules load from a late
 * initcall of this boot — after every other initcall, before init memory is
 * freed and `Run /init as init process` — on PID 1. What the kernel prints
 * is what load_module prints (the out-of-tree taint line, errors); modprobe's
 * own messages go to its stderr, not dmesg, and are not modelled.
 */
import { markShared } from "../../../util/clone.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import type { Initcall } from "../../include/linux/init.ts";
import { loadModule } from "./load.ts";

/** One module to load: its name and object bytes. */
export interface ModuleRequest {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** What became of one request. */
export interface ModuleLoadResult {
  readonly name: string;
  /** 0 when loaded, else load_module's negative errno; null if never tried (the boot stopped first). */
  ret: number | null;
  /** Where its text landed (0 when it did not load). */
  base: bigint;
}

const RESULTS = defineSlot<ModuleLoadResult[]>("modprobe", () => []);

/** The outcome of this boot's module requests, in order. */
export function moduleLoadResults(k: Kernel): readonly ModuleLoadResult[] {
  return k.slot(RESULTS);
}

/** The requests of this boot, in the order their results are kept. */
const REQUESTS = defineSlot<ModuleRequest[]>("modprobe-requests", () => []);

/** The late initcall that loads `requests` in order (a failure does not stop the others). */
export function moduleLoadInitcall(k: Kernel, requests: readonly ModuleRequest[]): Initcall {
  const results = k.slot(RESULTS);
  // The requests are input, never changed: forks of the kernel share them.
  for (const r of requests) {
    k.slot(REQUESTS).push(markShared(r));
    results.push({ name: r.name, ret: null, base: 0n });
  }
  return { level: "late", name: "modprobe", fn: modprobeInitcall };
}

/** The initcall's body: it finds its requests in the kernel (it captures nothing). */
function* modprobeInitcall(c: Ctx): KGen<number> {
  const results = c.k.slot(RESULTS);
  for (const [i, r] of c.k.slot(REQUESTS).entries()) {
    const mod = yield* loadModule(c, r.name, r.bytes);
    const res = results[i]!;
    if (typeof mod === "number") res.ret = mod;
    else {
      res.ret = 0;
      res.base = mod.base;
    }
    if (c.k.systemState === "panic") break;
  }
  return 0;
}

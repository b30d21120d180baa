/**
 * `textpoke boot --static-key NAME=on|off`: an initcall that calls
 * static_key_enable / static_key_disable on a key of the image, as kernel
 * code flips a key (there is no generic command-line switch for keys).
 * SIMPLIFICATION: it runs as an early initcall, before the later initcalls
 * (and the compiled patch_clients_init) run the code behind the key.
 */
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import type { Initcall } from "../include/linux/init.ts";
import { staticKeyDisable, staticKeyEnable, staticKeys } from "./jump_label.ts";

/** One request: the key's symbol and the state asked for. */
export interface StaticKeyRequest {
  readonly name: string;
  readonly on: boolean;
}

const REQUESTS = defineSlot<{ list: StaticKeyRequest[] }>("static-key-requests", () => ({
  list: [],
}));

/** The keys requested, once each, in request order (for the boot's summary). */
export function staticKeyRequestNames(k: Kernel): string[] {
  return [...new Set(k.slot(REQUESTS).list.map((r) => r.name))];
}

function* staticKeyRequestInit(c: Ctx): KGen<number> {
  const keys = staticKeys(c.k);
  for (const r of c.k.slot(REQUESTS).list) {
    const key = keys.find((s) => s.name === r.name);
    if (key === undefined) continue;
    yield* (r.on ? staticKeyEnable : staticKeyDisable)(c, key.address);
  }
  return 0;
}

/** The initcall applying `requests` on kernel `k` (pass it in the boot options' initcalls). */
export function staticKeyRequestInitcall(
  k: Kernel,
  requests: readonly StaticKeyRequest[],
): Initcall {
  k.slot(REQUESTS).list.push(...requests);
  return { level: "early", name: "static_key_request_init", fn: staticKeyRequestInit };
}

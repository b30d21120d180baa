/** `init_kprobes()` (kernel/kprobes.c, v6.2), an early initcall. */
import { archInitKprobes } from "../arch/powerpc/kernel/kprobes-trampoline.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { earlyInitcall } from "../include/linux/init.ts";
import { KPROBES_STATE } from "../include/linux/kprobes.ts";

/**
 * Models `init_kprobes()` (an early initcall): set up the table and call
 * arch_init_kprobes(), which registers the kretprobe trampoline probe.
 * SIMPLIFICATION: the blacklist is the arch range and the BUG table; the
 * NOKPROBE_SYMBOL list, optprobes and the notifiers are not modelled.
 */
export const initKprobes = earlyInitcall(
  { name: "init_kprobes", file: "kernel/kprobes.c", size: 0x184 },
  function* (c: Ctx): KGen<number> {
    // kernel/kprobes.c is built only with CONFIG_KPROBES.
    if (!c.k.config.bool("KPROBES")) return 0;
    const st = c.k.slot(KPROBES_STATE);
    st.kprobesAllDisarmed = false;
    const err = yield* archInitKprobes(c);
    st.kprobesInitialized = err === 0;
    return err;
  },
);

/**
 * The kretprobe trampoline probe of arch/powerpc/kernel/kprobes.c (v6.2):
 * `trampoline_p` on `__kretprobe_trampoline`, registered by
 * arch_init_kprobes() from init_kprobes() at boot.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { type Kprobe, newKprobe } from "../../../include/linux/kprobes.ts";
import { registerKprobe } from "../../../kernel/kprobes.ts";

const FILE = "arch/powerpc/kernel/kprobes.c";

/**
 * `trampoline_probe_handler`: the pre-handler of the kretprobe trampoline
 * probe. SIMPLIFICATION: kretprobes are not modelled, so nothing returns
 * through the trampoline and this handler never runs; it declines.
 */
// biome-ignore lint/correctness/useYield: a pre-handler is a generator by contract
function* trampolineProbeHandler(_c: Ctx, _p: Kprobe): KGen<number> {
  return 0;
}

/**
 * Models `arch_init_kprobes()`: register `trampoline_p`, the probe on
 * `__kretprobe_trampoline` (`nop; blr`).
 */
export const archInitKprobes = kfunc(
  { name: "arch_init_kprobes", file: FILE, size: 0x3c, init: true },
  function* (c: Ctx): KGen<number> {
    const addr = c.k.kallsyms.lookupName("__kretprobe_trampoline");
    if (addr === undefined) throw new Error("image has no __kretprobe_trampoline");
    const trampolineP = newKprobe({ addr, preHandler: trampolineProbeHandler });
    return yield* registerKprobe(c, trampolineP);
  },
);

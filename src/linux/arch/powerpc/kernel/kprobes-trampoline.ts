/**
 * The kretprobe trampoline probe of arch/powerpc/kernel/kprobes.c (v6.2):
 * `trampoline_p` on `__kretprobe_trampoline`, registered by
 * arch_init_kprobes() from init_kprobes() at boot.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { type Kprobe, newKprobe } from "../../../include/linux/kprobes.ts";
import { __kretprobeTrampolineHandler, registerKprobe } from "../../../kernel/kprobes.ts";
import type { InterruptRegs } from "./interrupt.ts";

const FILE = "arch/powerpc/kernel/kprobes.c";

/**
 * Models `trampoline_probe_handler(p, regs)`, the pre-handler of the probe
 * on `__kretprobe_trampoline`'s nop, hit when a function whose return
 * arch_prepare_kretprobe hijacked returns: run the return handlers
 * (__kretprobe_trampoline_handler), then resume at the original return
 * address two ways, as the kernel does for its two callers (the trap here;
 * an optprobe, which ignores NIP): NIP one instruction before it, because
 * kprobe_handler goes on to emulate the nop from the slot, which advances NIP
 * by 4; and LR = it, for the `blr` after the nop when the nop is stepped
 * instead. Returns 0, so the nop is emulated (or stepped) as for any probe.
 * SIMPLIFICATION: a plain generator, not a kfunc (trampoline_p's
 * pre-handler is a function value the snapshot audit lists by this name), so
 * call traces show its callee __kretprobe_trampoline_handler, not it.
 */
function* trampolineProbeHandler(c: Ctx, _p: Kprobe, regs: InterruptRegs): KGen<number> {
  const origRetAddress = yield* __kretprobeTrampolineHandler(c, regs, null);
  regs.nip = origRetAddress - 4n;
  regs.link = origRetAddress;
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

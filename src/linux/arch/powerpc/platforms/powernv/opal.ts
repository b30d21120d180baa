/**
 * The machine-check part of arch/powerpc/platforms/powernv/opal.c (v6.2):
 * `opal_machine_check()` (PowerNV's `ppc_md.machine_check_exception`),
 * `opal_recover_mce()` and `pnv_platform_error_reboot()`. Messages carry the
 * file's `pr_fmt`, "opal: ".
 */
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import type { Frame } from "../../../../core/kfunc.ts";
import { doPanic } from "../../../../kernel/panic-flow.ts";
import { LOGLEVEL_EMERG, LOGLEVEL_ERR } from "../../../../kernel/printk.ts";
import { dieMce, dieWillCrash, SIGBUS, showRegsInput } from "../../kernel/die.ts";
import {
  getMceEvent,
  type MachineCheckEvent,
  MCE_DISPOSITION_RECOVERED,
  machineCheckPrintEventInfo,
} from "../../kernel/mce.ts";
import { MCE_SEV_FATAL } from "../../kernel/mce_power.ts";
import { MSR_PR, MSR_RI, type PtRegs, showRegs } from "../../kernel/process.ts";

/** `OPAL_REBOOT_PLATFORM_ERROR`, the reboot type opal_cec_reboot2() is asked for. */
const OPAL_REBOOT_PLATFORM_ERROR = 1;

function prErr(c: Ctx, text: string): void {
  c.k.printk.printLines([{ level: LOGLEVEL_ERR, text: `opal: ${text}` }], c.current.pid);
}
function prEmerg(c: Ctx, text: string): void {
  c.k.printk.printLines([{ level: LOGLEVEL_EMERG, text: `opal: ${text}` }], c.current.pid);
}

/**
 * Models `opal_recover_mce(regs, evt)`: not recoverable with MSR[RI]=0,
 * recovered if the early handler recovered it, not for a fatal error; an
 * unrecovered synchronous error kills the interrupted context — in the kernel
 * only when `die()` would not crash the kernel anyway (`die_will_crash()`,
 * which holds in the NMI the handler runs in); otherwise it is left to the
 * platform reboot.
 * SIMPLIFICATION: a user-mode machine check (SIGBUS to the task) is not
 * modelled: kernel code is the only code that runs.
 */
function* opalRecoverMce(
  c: Ctx,
  regs: PtRegs,
  evt: MachineCheckEvent,
  stack: readonly Frame[],
): KGen<number> {
  let recovered = 0;
  if ((regs.msr & MSR_RI) === 0n) {
    // If MSR_RI isn't set, we cannot recover
    prErr(c, "Machine check interrupt unrecoverable: MSR(RI=0)");
  } else if (evt.disposition === MCE_DISPOSITION_RECOVERED) {
    // Platform corrected itself
    recovered = 1;
  } else if (evt.severity === MCE_SEV_FATAL) {
    prErr(c, "Machine check interrupt is fatal");
  }
  if (!recovered && evt.syncError && (regs.msr & MSR_PR) === 0n && !dieWillCrash(c)) {
    yield* dieMce(c, "Machine check", regs, SIGBUS, stack);
  }
  return recovered;
}

/**
 * Models `pnv_platform_error_reboot(regs, msg)`: the message and the
 * registers, the other CPUs stopped, then `opal_cec_reboot2()` for a
 * platform-error reboot — which the firmware of this machine does not
 * support, so the kernel says so and panics with `msg`.
 * UNVERIFIED: that skiboot on QEMU's PowerNV answers OPAL_UNSUPPORTED (it
 * has no software-checkstop FIR to trigger).
 * SIMPLIFICATION: panic_flush_kmsg_start()/_end() (console verbosity, kmsg
 * dump) have no visible effect here.
 */
function* pnvPlatformErrorReboot(
  c: Ctx,
  regs: PtRegs,
  msg: string,
  stack: readonly Frame[],
): KGen<never> {
  prEmerg(c, `Hardware platform error: ${msg}`);
  c.k.printk.printLines(showRegs(regs, showRegsInput(c, stack)), c.current.pid);
  // smp_send_stop()
  for (const cpu of c.k.machine.cpus) if (cpu !== c.cpu) cpu.online = false;
  prEmerg(c, `Reboot type ${OPAL_REBOOT_PLATFORM_ERROR} not supported for ${msg}`);
  return yield* doPanic(c, msg);
}

/**
 * Models `opal_machine_check(regs)`: take the event the early handler saved,
 * print it, try to recover; an unrecovered machine check reboots the
 * platform (and never returns). Returns 1 when recovered, 0 without an event.
 */
export function* opalMachineCheck(c: Ctx, regs: PtRegs, stack: readonly Frame[]): KGen<number> {
  const evt = getMceEvent(c);
  if (evt === null) return 0;
  c.k.printk.printLines(machineCheckPrintEventInfo(c.k, evt), c.current.pid);
  if (yield* opalRecoverMce(c, regs, evt, stack)) return 1;
  return yield* pnvPlatformErrorReboot(c, regs, "Unrecoverable Machine Check exception", stack);
}

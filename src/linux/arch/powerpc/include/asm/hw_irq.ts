/**
 * Interrupt masking on ppc64: the soft mask. Models `arch_local_irq_save`,
 * `arch_local_irq_restore`, `arch_irqs_disabled`, `hard_irq_disable`
 * (arch/powerpc/include/asm/hw_irq.h, arch/powerpc/kernel/irq_64.c) and the
 * masked-interrupt path of exceptions-64s.S at v6.2 (mm-primitives.md §14).
 *
 * `local_irq_save()` only sets the per-CPU soft mask (`paca->irq_soft_mask`);
 * MSR[EE] stays 1, so the machine may still deliver an external or
 * decrementer interrupt. The kernel's entry code (`maskedInterrupt`, to be
 * called from the machine's interrupt entry) sees the soft mask, notes the
 * interrupt in `paca->irq_happened`, and returns with MSR[EE]=0 (hard
 * disabled). `local_irq_restore()` to "enabled" then replays it.
 *
 * SIMPLIFICATION: the replay is done by the hardware rather than by
 * `__replay_soft_interrupts()`: the masked path leaves the interrupt
 * asserted, and the restore sets MSR[EE]=1 and yields IRQ_ENABLE, where the
 * machine delivers it again and the real handler runs. The observable order
 * (handler runs at the restore, not before) is the kernel's.
 */
import type { Cpu } from "../../../../../machine/cpu.ts";
import { rfid } from "../../../../../machine/exceptions.ts";
import type { InterruptEntry } from "../../../../../machine/machine.ts";
import { OpKind, type Task } from "../../../../../machine/ops.ts";
import { MSR_EE, VEC } from "../../../../../machine/registers.ts";
import { visible } from "../../../../../machine/task-ops.ts";
import type { Ctx, KGen } from "../../../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../../../core/kernel.ts";
import type { TaskStruct } from "../../../../include/linux/sched.ts";

/** `irq_soft_mask` values (asm/hw_irq.h). */
export const IRQS_ENABLED = 0;
export const IRQS_DISABLED = 1;
export const IRQS_PMI_DISABLED = 2;
export const IRQS_ALL_DISABLED = IRQS_DISABLED | IRQS_PMI_DISABLED;

/** `irq_happened` bits (asm/hw_irq.h). */
export const PACA_IRQ_HARD_DIS = 0x01;
export const PACA_IRQ_DBELL = 0x02;
export const PACA_IRQ_EE = 0x04;
export const PACA_IRQ_DEC = 0x08;

/** The interrupt-related fields of one CPU's PACA. */
export interface PacaIrq {
  irqSoftMask: number;
  irqHappened: number;
  /** Interrupts handled (not masked) on this CPU, by vector. */
  readonly handled: Map<number, number>;
}

const PACA = defineSlot("paca-irq", (k: Kernel): PacaIrq[] =>
  k.machine.cpus.map(() => ({ irqSoftMask: IRQS_ENABLED, irqHappened: 0, handled: new Map() })),
);

/** `local_paca` of a CPU: its soft-mask state. */
export function pacaIrq(k: Kernel, cpu: number): PacaIrq {
  const p = k.slot(PACA)[cpu];
  if (p === undefined) throw new Error(`no PACA for CPU ${cpu}`);
  return p;
}

/** Models `arch_irqs_disabled()` on the running CPU. */
export function irqsDisabled(c: Ctx): boolean {
  return (pacaIrq(c.k, c.cpu.id).irqSoftMask & IRQS_DISABLED) !== 0;
}

/** Models `irq_soft_mask_return()`: the value an exception frame saves as `softe`. */
export function irqSoftMaskReturn(k: Kernel, cpu: number): number {
  return pacaIrq(k, cpu).irqSoftMask;
}

/** Models `arch_local_irq_save()` / `local_irq_save(flags)`: returns the old mask. */
export function localIrqSave(c: Ctx): number {
  const p = pacaIrq(c.k, c.cpu.id);
  const flags = p.irqSoftMask;
  p.irqSoftMask = flags | IRQS_DISABLED;
  return flags;
}

/** Models `local_irq_disable()`. */
export function localIrqDisable(c: Ctx): void {
  localIrqSave(c);
}

/**
 * Models `arch_local_irq_restore(flags)`: back to a disabled mask is a plain
 * store; back to enabled clears the mask, and if an interrupt arrived while
 * masked (or interrupts were hard-disabled) sets MSR[EE] again so the
 * pending interrupt is taken now. Enabling is a visible step (IRQ_ENABLE).
 */
export function* localIrqRestore(c: Ctx, flags: number): KGen<void> {
  const p = pacaIrq(c.k, c.cpu.id);
  if ((flags & IRQS_DISABLED) !== 0) {
    p.irqSoftMask = flags;
    return;
  }
  p.irqSoftMask = flags;
  if (p.irqHappened !== 0) {
    p.irqHappened = 0;
    c.cpu.msrLo = (c.cpu.msrLo | MSR_EE) >>> 0;
  }
  yield* visible(c.cpu, OpKind.IRQ_ENABLE, p);
}

/** Models `local_irq_enable()`. */
export function* localIrqEnable(c: Ctx): KGen<void> {
  yield* localIrqRestore(c, IRQS_ENABLED);
}

/** Models `hard_irq_disable()`: MSR[EE]=0, soft mask all-disabled, HARD_DIS noted. */
export function hardIrqDisable(c: Ctx): void {
  c.cpu.msrLo = (c.cpu.msrLo & ~MSR_EE) >>> 0;
  const p = pacaIrq(c.k, c.cpu.id);
  p.irqSoftMask = IRQS_ALL_DISABLED;
  p.irqHappened |= PACA_IRQ_HARD_DIS;
}

/**
 * The masked-interrupt path (exceptions-64s.S `masked_interrupt`): called on
 * interrupt entry (after the machine delivered `vector`). If the CPU is
 * soft-masked, note the interrupt, return from it with MSR[EE]=0 and leave it
 * pending for the replay; returns true. Otherwise returns false and the
 * caller runs the handler.
 */
export function maskedInterrupt(k: Kernel, cpu: Cpu, vector: number): boolean {
  const p = pacaIrq(k, cpu.id);
  if ((p.irqSoftMask & IRQS_DISABLED) === 0) return false;
  p.irqHappened |= (vector === VEC.DECREMENTER ? PACA_IRQ_DEC : PACA_IRQ_EE) | PACA_IRQ_HARD_DIS;
  // The machine consumed the edge; the source is still asserting it.
  if (vector === VEC.EXTERNAL) cpu.externalPending = true;
  cpu.srr1 &= ~BigInt(MSR_EE);
  rfid(cpu);
  return true;
}

/**
 * The machine's interrupt entry for a CPU running kernel tasks: masked
 * interrupts take `maskedInterrupt`; others run a handler task that counts
 * the interrupt and returns with `rfid`. Stateless: it works on the kernel
 * the machine runs (`m.kernel`), so a fork of machine and kernel shares it.
 * SIMPLIFICATION: no device or timer handlers are modelled (do_IRQ and
 * timer_interrupt only count); a decrementer is re-armed far in the future.
 */
export const powerpcInterruptEntry: InterruptEntry = (m, cpu, vector) => {
  const k = m.kernel as Kernel;
  if (maskedInterrupt(k, cpu, vector)) return null;
  return interruptHandler(k, cpu, vector);
};

/** The handler task of an interrupt that is not soft-masked. */
function* interruptHandler(k: Kernel, cpu: Cpu, vector: number): Task {
  yield* visible(cpu, OpKind.OTHER, "interrupt");
  const h = pacaIrq(k, cpu.id).handled;
  h.set(vector, (h.get(vector) ?? 0) + 1);
  if (vector === VEC.DECREMENTER) cpu.writeDec(k.machine.tb, 0x7fff_ffff);
  const action = vector === VEC.EXTERNAL ? k.slot(IRQ_ACTIONS).get(cpu.id) : undefined;
  if (action !== undefined && cpu.kernelTask !== null) {
    // In interrupt context `current` is the interrupted task.
    yield* action({ k, cpu, current: cpu.kernelTask as TaskStruct });
  }
  rfid(cpu);
}

/** What an external interrupt's handler does on a CPU beyond counting it (request_irq's handler). */
export type IrqAction = (c: Ctx) => KGen<void>;

const IRQ_ACTIONS = defineSlot("irq-actions", (): Map<number, IrqAction> => new Map());

/**
 * Models `request_irq()` for the one external interrupt source the model
 * has: `action` runs in the handler of every external interrupt on `cpu`.
 */
export function requestIrq(k: Kernel, cpu: number, action: IrqAction): void {
  k.slot(IRQ_ACTIONS).set(cpu, action);
}

/**
 * Running one static user program on the simulated machine (QEMU linux-user
 * style): a one-CPU machine, the program's address space (PID 1, Radix),
 * the initial stack, MSR in problem state with translation on, and the
 * interrupts the program raises turned into the signals Linux would send.
 * The run ends at exit/exit_group, at a fatal signal, or at an instruction
 * budget.
 */
import { Spr } from "../machine/cpu.ts";
import type { GuestHooks, RaisedInterrupt } from "../machine/exec/context.ts";
import { type CpuModel, Guest } from "../machine/interp.ts";
import { Machine } from "../machine/machine.ts";
import {
  MSR_DR,
  MSR_FP,
  MSR_HI_SF,
  MSR_IR,
  MSR_LE,
  MSR_PR,
  MSR_RI,
  SRR1_PROGPRIV,
  SRR1_PROGTRAP,
  VEC,
} from "../machine/registers.ts";
import type { Choices } from "../util/choices.ts";
import { UserAddressSpace } from "./address-space.ts";
import { checkExecutable, loadElf } from "./elf-load.ts";
import { buildStack } from "./stack.ts";
import { type OutputSink, UserSyscalls } from "./syscall.ts";

/** MSR[VEC] and MSR[VSX] (asm/reg.h MSR_VEC_LG 25, MSR_VSX_LG 23). */
const MSR_VEC = 0x0200_0000;
const MSR_VSX = 0x0080_0000;

/** Fatal signals (include/uapi/asm-generic/signal.h numbers). */
export const SIGNALS = { SIGILL: 4, SIGTRAP: 5, SIGBUS: 7, SIGSEGV: 11 } as const;
export type SignalName = keyof typeof SIGNALS;

export interface UserRunOptions {
  /** argv (argv[0] is the program name). */
  readonly argv: readonly string[];
  readonly envp?: readonly string[];
  readonly cpu?: CpuModel;
  readonly maxInsns?: number;
  readonly sink: OutputSink;
  /** One line per executed instruction. */
  readonly trace?: (line: string) => void;
}

export type UserRunResult =
  | { readonly kind: "exit"; readonly status: number; readonly insns: number }
  | {
      readonly kind: "signal";
      readonly signal: SignalName;
      /** The faulting data address (SIGSEGV, SIGBUS) or the instruction address. */
      readonly address: bigint;
      readonly pc: bigint;
      readonly insns: number;
    }
  | { readonly kind: "budget"; readonly pc: bigint; readonly insns: number };

/** The signal Linux delivers for an interrupt taken in user mode (arch/powerpc/kernel/traps.c, fault.c). */
export function signalFor(info: RaisedInterrupt): { signal: SignalName; address: bigint } {
  switch (info.vector) {
    case VEC.DATA_STORAGE:
    case VEC.DATA_SEGMENT:
      return { signal: "SIGSEGV", address: info.dar ?? info.cia };
    case VEC.INST_STORAGE:
    case VEC.INST_SEGMENT:
      return { signal: "SIGSEGV", address: info.cia };
    case VEC.ALIGNMENT:
      return { signal: "SIGBUS", address: info.dar ?? info.cia };
    case VEC.PROGRAM:
      if (info.srr1Cause & SRR1_PROGTRAP) return { signal: "SIGTRAP", address: info.cia };
      if (info.srr1Cause & SRR1_PROGPRIV) return { signal: "SIGILL", address: info.cia };
      return { signal: "SIGILL", address: info.cia };
    default:
      return { signal: "SIGILL", address: info.cia };
  }
}

/** Choices for a one-CPU machine with no asynchronous interrupts: nothing is ever chosen. */
const NO_CHOICES: Choices = {
  pickCpu: (runnable: readonly number[]) => runnable[0]!,
  deliverInterrupt: () => false,
  failAllocation: () => false,
  random: () => 0,
};

/**
 * Load `bytes` (a static ppc64le ELFv2 executable) and run it to completion.
 * Throws UserError (one line) when the file is not something Linux would exec.
 */
export function runUserProgram(bytes: Uint8Array, opts: UserRunOptions): UserRunResult {
  const elf = checkExecutable(bytes);
  const cpuModel = opts.cpu ?? "power10";
  const m = new Machine({ cpus: 1, memoryBytes: 2 ** 36, pageSize: 4096 });
  const cpu = m.cpu(0);
  const as = new UserAddressSpace(m.mem);
  const image = loadElf(as, elf);
  const stack = buildStack(as, image, opts.argv, opts.envp ?? [], cpuModel);
  as.attach(cpu);
  // SIMPLIFICATION: MSR[EE]=0 — no kernel, so no asynchronous interrupts.
  cpu.msrHi = MSR_HI_SF;
  cpu.msrLo = (MSR_PR | MSR_IR | MSR_DR | MSR_RI | MSR_LE | MSR_FP | MSR_VEC | MSR_VSX) >>> 0;
  cpu.gpr[1] = stack.sp;
  cpu.gpr[12] = image.entry; // ELFv2: r12 = the global entry point
  cpu.nia = image.entry;
  cpu.spr[Spr.LR] = 0n;

  const syscalls = new UserSyscalls(as, opts.sink, image.brk);
  let fatal: { signal: SignalName; address: bigint; pc: bigint } | null = null;
  const hooks: GuestHooks = {
    syscall: (x, vectored) => syscalls.handle(x, vectored),
    interrupt: (x, info) => {
      const s = signalFor(info);
      fatal = { ...s, pc: info.cia };
      x.stopReason = "signal";
      return true;
    },
  };
  const guest = new Guest(m, cpu, {
    cpuModel,
    hooks,
    yieldMode: "never",
    ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
    ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
  });
  m.spawn(0, guest.task());
  m.run(NO_CHOICES);
  const insns = guest.insns;
  if (guest.status === "budget") return { kind: "budget", pc: cpu.nia, insns };
  const f = fatal as { signal: SignalName; address: bigint; pc: bigint } | null;
  if (f !== null) return { kind: "signal", signal: f.signal, address: f.address, pc: f.pc, insns };
  return { kind: "exit", status: syscalls.exitStatus ?? 0, insns };
}

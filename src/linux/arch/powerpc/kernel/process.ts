/**
 * The powerpc register dump, call trace and instruction dump of an oops or
 * WARN. Models the text producers of arch/powerpc/kernel/process.c at v6.2
 * (ppc64, book3s): `print_msr_bits`, `__show_regs`, `show_stack`,
 * `show_instructions`, `show_regs`. They take plain data — a pt_regs record,
 * the symbol table, the stack frames the unwinder found, a memory-read
 * callback — and return the lines the kernel prints.
 */
import { hex16 } from "../../../../util/u64.ts";
import type { Kallsyms } from "../../../kernel/kallsyms.ts";
import { printTainted, type TaintMask } from "../../../kernel/panic.ts";
import { MESSAGE_LOGLEVEL_DEFAULT, type PrintkLine } from "../../../kernel/printk.ts";
import { type DumpStackInfo, showRegsPrintInfo } from "../../../lib/dump_stack.ts";

/**
 * The fields of `struct pt_regs` (arch/powerpc/include/asm/ptrace.h) that
 * the dumps print. 64-bit values are unsigned bigints.
 */
export interface PtRegs {
  /** r0..r31. */
  readonly gpr: readonly bigint[];
  readonly nip: bigint;
  readonly msr: bigint;
  /** On interrupt entry from the kernel this holds CFAR. */
  readonly origGpr3: bigint;
  readonly ctr: bigint;
  readonly link: bigint;
  readonly xer: bigint;
  readonly ccr: bigint;
  /** The soft interrupt mask at the interrupt (`IRQMASK:`). */
  readonly softe: bigint;
  /** Interrupt vector, possibly with flag bits in the low nibble (e.g. 0x700). */
  readonly trap: number;
  readonly dar: bigint;
  readonly dsisr: bigint;
  /** Where this pt_regs lives (what `REGS: %px` prints). */
  readonly address: bigint;
}

/** MSR bits (arch/powerpc/include/asm/reg.h, `MSR_*_LG` = value bit number). */
export const MSR_SF = 1n << 63n;
export const MSR_HV = 1n << 60n;
export const MSR_TS_T = 1n << 34n;
export const MSR_TS_S = 1n << 33n;
export const MSR_TM = 1n << 32n;
export const MSR_VEC = 1n << 25n;
export const MSR_VSX = 1n << 23n;
export const MSR_EE = 1n << 15n;
export const MSR_PR = 1n << 14n;
export const MSR_FP = 1n << 13n;
export const MSR_ME = 1n << 12n;
export const MSR_SE = 1n << 10n;
export const MSR_BE = 1n << 9n;
export const MSR_IR = 1n << 5n;
export const MSR_DR = 1n << 4n;
export const MSR_PMM = 1n << 2n;
export const MSR_RI = 1n << 1n;
export const MSR_LE = 1n;

/** `msr_bits[]` for 64-bit book3s, in the order the kernel prints them. */
const msrBits: readonly (readonly [bigint, string])[] = [
  [MSR_SF, "SF"],
  [MSR_HV, "HV"],
  [MSR_VEC, "VEC"],
  [MSR_VSX, "VSX"],
  [MSR_EE, "EE"],
  [MSR_PR, "PR"],
  [MSR_FP, "FP"],
  [MSR_ME, "ME"],
  [MSR_SE, "SE"],
  [MSR_BE, "BE"],
  [MSR_IR, "IR"],
  [MSR_DR, "DR"],
  [MSR_PMM, "PMM"],
  [MSR_RI, "RI"],
  [MSR_LE, "LE"],
];

/** `msr_tm_bits[]` (CONFIG_PPC_TRANSACTIONAL_MEM): T(ransactional), S(uspended), E(nabled). */
const msrTmBits: readonly (readonly [bigint, string])[] = [
  [MSR_TS_T, "T"],
  [MSR_TS_S, "S"],
  [MSR_TM, "E"],
];

/** Interrupt vectors the dump treats specially (asm/interrupt.h). */
export const INTERRUPT_MACHINE_CHECK = 0x200;
export const INTERRUPT_DATA_STORAGE = 0x300;
export const INTERRUPT_ALIGNMENT = 0x600;
export const INTERRUPT_PROGRAM = 0x700;
export const INTERRUPT_SYSCALL = 0xc00;
export const INTERRUPT_SYSCALL_SCV = 0x3000;

/** Models `TRAP(regs)`: the vector without its low flag bits. */
export function TRAP(regs: Pick<PtRegs, "trap">): number {
  return regs.trap & ~0xf;
}

/** Models `trap_is_syscall()`: `sc` or `scv` entry. */
export function trapIsSyscall(regs: Pick<PtRegs, "trap">): boolean {
  const t = TRAP(regs);
  return t === INTERRUPT_SYSCALL || t === INTERRUPT_SYSCALL_SCV;
}

/** Models `print_msr_bits()`: `<SF,HV,…>` plus `,TM[TSE]` when a TM bit is set. */
export function printMsrBits(msr: bigint): string {
  const names = msrBits.filter(([bit]) => (msr & bit) !== 0n).map(([, name]) => name);
  let s = `<${names.join(",")}`;
  if ((msr & (MSR_TM | MSR_TS_S | MSR_TS_T)) !== 0n) {
    s += `,TM[${msrTmBits
      .filter(([bit]) => (msr & bit) !== 0n)
      .map(([, name]) => name)
      .join("")}]`;
  }
  return `${s}>`;
}

/** `%08lx`: at least 8 hex digits. */
function hex8(value: bigint): string {
  return value.toString(16).padStart(8, "0");
}

/** What `__show_regs()` reads besides the registers. */
export interface ShowRegsContext {
  readonly taint: TaintMask;
  /** `init_utsname()->release`. */
  readonly release: string;
  readonly kallsyms: Kallsyms;
  /** `cpu_has_feature(CPU_FTR_CFAR)`; true on POWER7 and later (default true). */
  readonly cpuHasCfar?: boolean;
}

const line = (text: string): PrintkLine => ({ level: MESSAGE_LOGLEVEL_DEFAULT, text });

/**
 * Models `__show_regs()` (ppc64, CONFIG_KALLSYMS): the NIP/LR/CTR, REGS/TRAP
 * and MSR/CR/XER lines, the CFAR/DAR/DSISR/IRQMASK + GPR00..GPR28 record
 * (one printk record of several lines in the kernel), and the NIP/LR symbol
 * lines.
 *
 * SIMPLIFICATION: no `PACATMSCRATCH:` line for an active transaction.
 */
export function __showRegs(regs: PtRegs, ctx: ShowRegsContext): PrintkLine[] {
  const out: PrintkLine[] = [
    line(`NIP:  ${hex16(regs.nip)} LR: ${hex16(regs.link)} CTR: ${hex16(regs.ctr)}`),
    line(
      `REGS: ${hex16(regs.address)} TRAP: ${regs.trap.toString(16).padStart(4, "0")}   ${printTainted(ctx.taint)}  (${ctx.release})`,
    ),
    line(
      `MSR:  ${hex16(regs.msr)} ${printMsrBits(regs.msr)}  CR: ${hex8(regs.ccr)}  XER: ${hex8(regs.xer)}`,
    ),
  ];
  let cont = "";
  const trap = TRAP(regs);
  if (!trapIsSyscall(regs) && (ctx.cpuHasCfar ?? true)) cont += `CFAR: ${hex16(regs.origGpr3)} `;
  if (
    trap === INTERRUPT_MACHINE_CHECK ||
    trap === INTERRUPT_DATA_STORAGE ||
    trap === INTERRUPT_ALIGNMENT
  ) {
    cont += `DAR: ${hex16(regs.dar)} DSISR: ${hex8(regs.dsisr)} `;
  }
  cont += `IRQMASK: ${regs.softe.toString(16)} `;
  out.push(line(cont));
  for (let i = 0; i < 32; i += 4) {
    let row = `GPR${i.toString().padStart(2, "0")}: `;
    for (let j = i; j < i + 4; j++) row += `${hex16(regs.gpr[j] ?? 0n)} `;
    out.push(line(row));
  }
  out.push(line(`NIP [${hex16(regs.nip)}] ${ctx.kallsyms.sprintSymbol(regs.nip)}`));
  out.push(line(`LR [${hex16(regs.link)}] ${ctx.kallsyms.sprintSymbol(regs.link)}`));
  return out;
}

/** One stack frame as the unwinder reads it: its address and saved LR. */
export interface StackFrame {
  /** The frame's address (the back-chain word). */
  readonly sp: bigint;
  /** The LR-save doubleword of the frame (offset 16). */
  readonly ip: bigint;
  /**
   * The real return address when the function-graph tracer replaced `ip`
   * (`ftrace_graph_ret_addr`); printed as ` (<sym>)`.
   */
  readonly retAddr?: bigint;
  /** Set when the frame holds the exception-frame marker: the saved registers. */
  readonly regs?: PtRegs;
}

/** `CONFIG_PRINT_STACK_DEPTH` default. */
export const PRINT_STACK_DEPTH = 64;

/**
 * Models `show_stack()` over frames the unwinder already validated (it stops
 * where `validate_sp()` would). The first frame and the frame after an
 * exception frame are marked ` (unreliable)`; such a frame is skipped when its
 * ip equals the LR just shown (`lr` starts at 0). Exception frames print
 * `--- interrupt: <trap> at <sym>`, a nested register dump and
 * `--- interrupt: <trap>`. At most depth + 1 frames (the kernel's do/while).
 */
export function showStack(
  frames: readonly StackFrame[],
  ctx: ShowRegsContext,
  depth = PRINT_STACK_DEPTH,
): PrintkLine[] {
  const out: PrintkLine[] = [line("Call Trace:")];
  let lr = 0n;
  let firstframe = true;
  for (let count = 0; count < frames.length && count <= depth; count++) {
    const f = frames[count]!;
    if (!firstframe || f.ip !== lr) {
      let text = `[${hex16(f.sp)}] [${hex16(f.ip)}] ${ctx.kallsyms.sprintSymbol(f.ip)}`;
      if (f.retAddr !== undefined && f.retAddr !== f.ip) {
        text += ` (${ctx.kallsyms.sprintSymbol(f.retAddr)})`;
      }
      if (firstframe) text += " (unreliable)";
      out.push(line(text));
    }
    firstframe = false;
    if (f.regs !== undefined) {
      lr = f.regs.link;
      const trap = f.regs.trap.toString(16);
      out.push(line(`--- interrupt: ${trap} at ${ctx.kallsyms.sprintSymbol(f.regs.nip)}`));
      out.push(...__showRegs(f.regs, ctx));
      out.push(line(`--- interrupt: ${trap}`));
      firstframe = true;
    }
  }
  return out;
}

/** `NR_INSN_TO_PRINT`. */
export const NR_INSN_TO_PRINT = 16;
/** `PAGE_OFFSET` on book3s64: the linear map base `phys_to_virt()` adds. */
const PAGE_OFFSET = 0xc000_0000_0000_0000n;

/**
 * Models `show_instructions()` (single-line form since v6.2): `Code: ` and 16
 * words from NIP-48, the NIP word in `<…>`, `XXXXXXXX` where `read` returns
 * undefined (not kernel text, or unreadable). With MSR[IR]=0 the addresses are
 * first converted with `phys_to_virt()`. Every word is followed by a space.
 */
export function showInstructions(
  regs: Pick<PtRegs, "nip" | "msr">,
  read: (address: bigint) => number | undefined,
): PrintkLine {
  let nip = regs.nip;
  let pc = nip - BigInt((NR_INSN_TO_PRINT * 3) / 4) * 4n;
  if ((regs.msr & MSR_IR) === 0n) {
    pc = BigInt.asUintN(64, pc + PAGE_OFFSET);
    nip = BigInt.asUintN(64, nip + PAGE_OFFSET);
  }
  let text = "Code: ";
  for (let i = 0; i < NR_INSN_TO_PRINT; i++, pc += 4n) {
    const word = read(BigInt.asUintN(64, pc));
    if (word === undefined) text += "XXXXXXXX ";
    else {
      const w = (word >>> 0).toString(16).padStart(8, "0");
      text += pc === nip ? `<${w}> ` : `${w} `;
    }
  }
  return line(text);
}

/** What `show_regs()` needs: the task info, the unwound stack and memory. */
export interface ShowRegsInput extends ShowRegsContext {
  readonly task: Omit<DumpStackInfo, "taint" | "release">;
  /** Frames from GPR1 up, as the unwinder found them. */
  readonly frames: readonly StackFrame[];
  /** Reads a kernel instruction word; undefined when not readable kernel text. */
  readInstruction(address: bigint): number | undefined;
}

/**
 * Models `show_regs()`: `show_regs_print_info()` (CPU and Hardware name
 * lines), `__show_regs()`, `show_stack()` from GPR1 and, for a kernel-mode
 * interrupt, `show_instructions()`.
 */
export function showRegs(regs: PtRegs, input: ShowRegsInput): PrintkLine[] {
  const out = showRegsPrintInfo({ ...input.task, taint: input.taint, release: input.release });
  out.push(...__showRegs(regs, input), ...showStack(input.frames, input));
  if ((regs.msr & MSR_PR) === 0n) out.push(showInstructions(regs, (a) => input.readInstruction(a)));
  return out;
}

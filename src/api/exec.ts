/**
 * `exec`: run a static ppc64le Linux executable on the simulated machine in
 * user mode (src/linux-user) and report how it ended, the way a shell would:
 * its exit status, 128 + the signal number for a fatal signal, or the bound
 * status when the instruction budget ran out. Browser-safe: output goes to
 * the given callbacks.
 */
import { runUserProgram, SIGNALS } from "../linux-user/process.ts";
import type { CpuModel } from "../machine/interp.ts";
import { EXIT } from "../util/user-error.ts";

export interface ExecOptions {
  /** argv[0] (the program name) and the arguments after it. */
  readonly argv: readonly string[];
  readonly cpu?: CpuModel;
  /** Stop with EXIT.BOUND after this many instructions. */
  readonly maxInsns?: number;
  /** The program's writes to fd 1 and fd 2, and the run's own notes (fd 2). */
  readonly stdout: (bytes: Uint8Array) => void;
  readonly stderr: (bytes: Uint8Array) => void;
  /** One line per executed instruction (address, disassembly, changed registers). */
  readonly trace?: (line: string) => void;
}

export interface ExecResult {
  /** What a shell reports: exit status, 128 + signal, or EXIT.BOUND (3). */
  readonly status: number;
  readonly outcome: "exit" | "signal" | "budget";
  /** Instructions executed. */
  readonly insns: number;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * Load and run `bytes`. Throws UserError when the file is not a static
 * ppc64le ELFv2 executable. A fatal signal prints
 * `textpoke: exec: SIGSEGV at 0x… (pc 0x…)` on stderr; the budget prints
 * `textpoke: exec: instruction budget of N reached at pc 0x…`.
 */
export function execProgram(bytes: Uint8Array, opts: ExecOptions): ExecResult {
  const enc = new TextEncoder();
  const r = runUserProgram(bytes, {
    argv: opts.argv,
    cpu: opts.cpu ?? "power10",
    sink: { write: (fd, b) => (fd === 1 ? opts.stdout(b) : opts.stderr(b)) },
    ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
    ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
  });
  switch (r.kind) {
    case "exit":
      return { status: r.status, outcome: "exit", insns: r.insns };
    case "signal":
      opts.stderr(
        enc.encode(`textpoke: exec: ${r.signal} at ${hex(r.address)} (pc ${hex(r.pc)})\n`),
      );
      return { status: 128 + SIGNALS[r.signal], outcome: "signal", insns: r.insns };
    default:
      opts.stderr(
        enc.encode(`textpoke: exec: instruction budget of ${r.insns} reached at pc ${hex(r.pc)}\n`),
      );
      return { status: EXIT.BOUND, outcome: "budget", insns: r.insns };
  }
}

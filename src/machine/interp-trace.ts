/**
 * The `--trace` line of one executed instruction: its address, objdump's
 * disassembly, and every register it changed (`r3=0x…`, `cr=…`, `lr=…`,
 * `ctr=…`, `xer=…`, `msr=…`, `vs34=…`). Deterministic: only guest state.
 */
import { Spr } from "./cpu.ts";
import type { ExecContext } from "./exec/context.ts";
import type { PredecodedPage } from "./predecode.ts";

export interface TraceSnapshot {
  readonly gpr: BigUint64Array;
  readonly vsr: Uint8Array;
  cr: number;
  xer: number;
  lr: bigint;
  ctr: bigint;
  msr: bigint;
}

const hex64 = (v: bigint): string => `0x${v.toString(16).padStart(16, "0")}`;

/** Capture the registers an instruction may change (reusing `prev`'s buffers). */
export function takeSnapshot(x: ExecContext, prev: TraceSnapshot | null): TraceSnapshot {
  const s: TraceSnapshot = prev ?? {
    gpr: new BigUint64Array(32),
    vsr: new Uint8Array(64 * 16),
    cr: 0,
    xer: 0,
    lr: 0n,
    ctr: 0n,
    msr: 0n,
  };
  s.gpr.set(x.g);
  s.vsr.set(x.v8);
  s.cr = x.cpu.cr;
  s.xer = x.cpu.xer;
  s.lr = x.cpu.spr[Spr.LR]!;
  s.ctr = x.cpu.spr[Spr.CTR]!;
  s.msr = x.cpu.msr;
  return s;
}

/** The trace line for the instruction at slot `idx` executed since `before`. */
export function traceChanges(
  x: ExecContext,
  page: PredecodedPage,
  idx: number,
  before: TraceSnapshot,
  disasm: (page: PredecodedPage, idx: number, address: bigint) => string,
): string {
  const address = x.pageBase + BigInt(idx * 4);
  const parts: string[] = [];
  for (let r = 0; r < 32; r++) if (x.g[r] !== before.gpr[r]) parts.push(`r${r}=${hex64(x.g[r]!)}`);
  for (let v = 0; v < 64; v++) {
    let changed = false;
    for (let i = 0; i < 16 && !changed; i++) changed = x.v8[16 * v + i] !== before.vsr[16 * v + i];
    if (changed)
      parts.push(
        `vs${v}=0x${x.v64[2 * v + 1]!.toString(16).padStart(16, "0")}${x.v64[2 * v]!.toString(16).padStart(16, "0")}`,
      );
  }
  if (x.cpu.cr !== before.cr) parts.push(`cr=0x${x.cpu.cr.toString(16).padStart(8, "0")}`);
  if (x.cpu.xer !== before.xer) parts.push(`xer=0x${x.cpu.xer.toString(16).padStart(8, "0")}`);
  if (x.cpu.spr[Spr.LR] !== before.lr) parts.push(`lr=${hex64(x.cpu.spr[Spr.LR]!)}`);
  if (x.cpu.spr[Spr.CTR] !== before.ctr) parts.push(`ctr=${hex64(x.cpu.spr[Spr.CTR]!)}`);
  if (x.cpu.msr !== before.msr) parts.push(`msr=${hex64(x.cpu.msr)}`);
  const text = disasm(page, idx, address);
  const head = `${address.toString(16).padStart(16, "0")}:  ${text}`;
  return parts.length === 0 ? `${head}\n` : `${head.padEnd(56)} ${parts.join(" ")}\n`;
}

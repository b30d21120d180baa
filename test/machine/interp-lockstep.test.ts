// Lockstep oracle: qemu-ppc64le -singlestep -d cpu logs the registers before
// every instruction; our --trace lists every register each instruction
// changed. Replaying our trace from the initial state must give, instruction
// by instruction, the same NIP, GPRs, LR, CTR, XER and CR as qemu's log.
// Stack addresses differ between the two (each places the stack itself), so
// values near each side's initial r1 are compared relative to it.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { execProgram } from "../../src/api/exec.ts";
import { tool } from "./exec/toolchain.ts";

const DIR = new URL("../../fixtures/programs/", import.meta.url).pathname;

interface State {
  nip: bigint;
  regs: Map<string, bigint>;
}

const REGS = [...Array.from({ length: 32 }, (_, i) => `r${i}`), "lr", "ctr", "xer", "cr"];

function qemuStates(file: string, cpu: string): State[] {
  const log = join(mkdtempSync(join(tmpdir(), "textpoke-lockstep-")), "cpu.log");
  tool("qemu-ppc64le", ["-cpu", cpu, "-singlestep", "-d", "cpu,nochain", "-D", log, file]);
  const text = readFileSync(log, "utf8");
  const states: State[] = [];
  for (const block of text.split(/^(?=NIP )/m)) {
    const nip = /^NIP ([0-9a-f]+)\s+LR ([0-9a-f]+) CTR ([0-9a-f]+) XER ([0-9a-f]+)/.exec(block);
    if (nip === null) continue;
    const regs = new Map<string, bigint>();
    regs.set("lr", BigInt(`0x${nip[2]}`));
    regs.set("ctr", BigInt(`0x${nip[3]}`));
    regs.set("xer", BigInt(`0x${nip[4]}`));
    for (const m of block.matchAll(/^GPR(\d\d) ((?:[0-9a-f]{16} ?){4})/gm)) {
      const base = Number(m[1]);
      m[2]!
        .trim()
        .split(" ")
        .forEach((v, i) => {
          regs.set(`r${base + i}`, BigInt(`0x${v}`));
        });
    }
    const cr = /^CR ([0-9a-f]{8})/m.exec(block);
    regs.set("cr", BigInt(`0x${cr![1]}`));
    states.push({ nip: BigInt(`0x${nip[1]}`), regs });
  }
  return states;
}

/** Our states before each instruction: the initial registers, then each trace line's changes applied. */
function ourStates(file: string, cpu: "power9" | "power10", initial: Map<string, bigint>): State[] {
  const lines: string[] = [];
  execProgram(new Uint8Array(readFileSync(file)), {
    argv: [file],
    cpu,
    stdout: () => {},
    stderr: () => {},
    trace: (l) => lines.push(l),
  });
  const regs = new Map(initial);
  const states: State[] = [];
  for (const line of lines) {
    const addr = BigInt(`0x${line.slice(0, 16)}`);
    states.push({ nip: addr, regs: new Map(regs) });
    for (const m of line.matchAll(/ (r\d+|lr|ctr|xer|cr)=0x([0-9a-f]+)/g))
      regs.set(m[1]!, BigInt(`0x${m[2]}`));
  }
  return states;
}

/** Values within the stack region are shown relative to that side's initial r1. */
function norm(v: bigint, sp: bigint): string {
  const d = v - sp;
  return d > -0x10_0000n && d < 0x1_0000n ? `sp${d >= 0n ? "+" : ""}${d}` : `0x${v.toString(16)}`;
}

function lockstep(name: string, cpu: "power9" | "power10"): void {
  const file = join(DIR, name);
  const q = qemuStates(file, cpu);
  assert.ok(q.length > 100, "qemu logged the run");
  const initial = new Map<string, bigint>(REGS.map((r) => [r, 0n]));
  const entry = q[0]!.nip;
  initial.set("r12", entry);
  // Our initial r1 is not in the trace (unchanged until the first stack frame).
  const ourSp = findOurSp(file, cpu);
  initial.set("r1", ourSp);
  const mine = ourStates(file, cpu, initial);
  assert.equal(mine.length, q.length, "same number of instructions");
  const qsp = q[0]!.regs.get("r1")!;
  for (let i = 0; i < q.length; i++) {
    const a = mine[i]!;
    const b = q[i]!;
    assert.equal(a.nip, b.nip, `instruction ${i}: NIP`);
    for (const r of REGS) {
      const x = norm(a.regs.get(r)!, ourSp);
      const y = norm(b.regs.get(r)!, qsp);
      if (x !== y)
        assert.fail(`before instruction ${i} at 0x${a.nip.toString(16)}: ${r} ${x} vs qemu ${y}`);
    }
  }
}

/** Our initial stack pointer: the run's r1 before its first instruction. */
function findOurSp(file: string, cpu: "power9" | "power10"): bigint {
  // The first instruction writing r1 (stdu r1,-N(r1)) shows r1 = sp - N.
  const lines: string[] = [];
  execProgram(new Uint8Array(readFileSync(file)), {
    argv: [file],
    cpu,
    maxInsns: 64,
    stdout: () => {},
    stderr: () => {},
    trace: (l) => lines.push(l),
  });
  for (const l of lines) {
    const m = /stdu {4}r1,(-?\d+)\(r1\).* r1=0x([0-9a-f]+)/.exec(l);
    if (m !== null) return BigInt(`0x${m[2]}`) - BigInt(m[1]!);
  }
  throw new Error("no stdu r1 in the first instructions");
}

describe("lockstep oracle: register state before every instruction equals qemu-ppc64le -singlestep", () => {
  for (const [name, cpu] of [
    ["exitcode.p9", "power9"],
    ["switch.p9", "power9"],
    ["arith.p10", "power10"],
  ] as const) {
    it(`${name} (--cpu ${cpu})`, () => lockstep(name, cpu));
  }
});

// VMX element loads/stores, lvxl/stvxl and lvsl/lvsr with memory operands
// against qemu-ppc64le 7.2 (little-endian mode): each load reads at pool+k
// into a v5 preloaded with a pattern, each store writes v3 at out+k.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExecContext } from "../../../src/machine/exec/context.ts";
import { execBuilder } from "../../../src/machine/exec/index.ts";
import { Machine } from "../../../src/machine/machine.ts";
import { Prng } from "../../../src/util/prng.ts";
import { assembleWords, buildExecutable, qemu } from "./toolchain.ts";

const INSNS = ["lvebx", "lvehx", "lvewx", "lvxl", "stvebx", "stvehx", "stvewx", "stvxl"];
const OUT = 48;

interface Case {
  readonly insn: string;
  readonly k: number;
}

function program(cases: readonly Case[], input: Uint8Array): string {
  const body = cases
    .map(
      (c, i) => `
  lis 3,pool@ha
  addi 3,3,pool@l
  lis 4,out@ha
  addi 4,4,out@l
  addi 4,4,${i * OUT}
  lxv 35,0(3)
  lxv 37,16(3)
  li 6,${c.k}
  ${c.insn.startsWith("l") ? `${c.insn} 5,3,6` : `${c.insn} 3,4,6`}
  stxv 37,32(4)`,
    )
    .join("\n");
  const size = cases.length * OUT;
  return `
  .abiversion 2
  .text
  .globl _start
_start:
${body}
  li 0,4
  li 3,1
  lis 4,out@ha
  addi 4,4,out@l
  lis 5,${size >>> 16}
  ori 5,5,${size & 0xffff}
  sc
  li 0,1
  li 3,0
  sc
  .data
  .balign 16
pool:
  .byte ${Array.from(input).join(",")}
  .balign 16
out:
  .space ${size}
`;
}

function ours(word: number, c: Case, input: Uint8Array): Buffer {
  const m = new Machine({ cpus: 1, memoryBytes: 1 << 20, pageSize: 4096 });
  const cpu = m.cpu(0);
  cpu.msrHi = 0x9000_0000; // SF | HV, real mode
  cpu.msrLo = 0x1; // LE
  const x = new ExecContext(m, cpu, true);
  m.mem.writeBytes(0x1000, input);
  x.v8.set(input.subarray(0, 16), 35 * 16);
  x.v8.set(input.subarray(16, 32), 37 * 16);
  cpu.gpr[3] = 0x1000n;
  cpu.gpr[4] = 0x2000n;
  cpu.gpr[6] = BigInt(c.k);
  x.revalidate();
  const build = execBuilder(c.insn);
  assert.ok(build !== undefined, `no semantics for ${c.insn}`);
  const h = build(word, 0, 0, true);
  assert.ok(h !== null);
  assert.equal(h(x), 1, `${c.insn} completes`);
  const out = Buffer.alloc(OUT);
  out.set(m.mem.readBytes(0x2000, 32), 0);
  out.set(x.v8.subarray(37 * 16, 38 * 16), 32);
  return out;
}

describe("VMX element loads and stores agree with qemu-ppc64le (little-endian mode)", () => {
  it("each form at every offset in a quadword", () => {
    const p = new Prng(0x1e7e);
    const input = Uint8Array.from({ length: 48 }, () => p.below(256));
    const cases: Case[] = INSNS.flatMap((insn) =>
      Array.from({ length: 16 }, (_, k) => ({ insn, k: k + (p.below(2) === 0 ? 0 : 16) })),
    );
    const words = assembleWords(
      cases.map((c) => (c.insn.startsWith("l") ? `${c.insn} 5,3,6` : `${c.insn} 3,4,6`)).join("\n"),
    );
    const q = qemu("power10", buildExecutable(program(cases, input), "power10"));
    assert.equal(q.status, 0);
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const mine = ours(words[i]!, c, input);
      const theirs = q.stdout.subarray(OUT * i, OUT * (i + 1));
      if (!mine.equals(theirs))
        bad.push(`${c.insn} +${c.k}: ours ${mine.toString("hex")} qemu ${theirs.toString("hex")}`);
    });
    assert.deepEqual(bad, []);
  });
});

// The vector/VSX semantics against qemu-ppc64le, instruction by instruction:
// qemu runs a generated program that loads three source registers (v2..v4 =
// vs34..36) and r3/r4, executes one instruction and dumps v5 (vs37), r5 and
// CR; each instruction's handler (built from the word GNU as produced) runs
// on the same inputs here and must leave the same values.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExecContext } from "../../../src/machine/exec/context.ts";
import { execBuilder } from "../../../src/machine/exec/index.ts";
import { Machine } from "../../../src/machine/machine.ts";
import { Prng } from "../../../src/util/prng.ts";
import { assembleWords, buildExecutable, qemu } from "./toolchain.ts";

type T = (p: Prng) => string;
const r = (p: Prng, n: number): number => p.below(n);

const E = ["b", "h", "w", "d"] as const;
const TEMPLATES: T[] = [
  ...["ubm", "uhm", "uwm", "udm", "uqm"].flatMap((s) =>
    [`vadd${s} 5,2,3`, `vsub${s} 5,2,3`].map((t) => () => t),
  ),
  ...[
    "vand",
    "vandc",
    "vor",
    "vxor",
    "vnor",
    "vorc",
    "vnand",
    "veqv",
    "vsl",
    "vsr",
    "vslo",
    "vsro",
  ].map((m) => () => `${m} 5,2,3`),
  ...E.flatMap((e) =>
    [
      `vsl${e}`,
      `vsr${e}`,
      `vsra${e}`,
      `vrl${e}`,
      `vmaxu${e}`,
      `vminu${e}`,
      `vmaxs${e}`,
      `vmins${e}`,
    ].map((m) => () => `${m} 5,2,3`),
  ),
  ...E.flatMap((e) =>
    [`vcmpequ${e}`, `vcmpgtu${e}`, `vcmpgts${e}`].flatMap((m) => [
      () => `${m} 5,2,3`,
      () => `${m}. 5,2,3`,
    ]),
  ),
  ...["b", "h", "w"].flatMap((e) =>
    [`vcmpne${e}`, `vcmpnez${e}`].flatMap((m) => [() => `${m} 5,2,3`, () => `${m}. 5,2,3`]),
  ),
  ...["b", "h", "w"].flatMap((e) =>
    [`vavgu${e}`, `vavgs${e}`, `vmuleu${e}`, `vmulou${e}`, `vmules${e}`, `vmulos${e}`].map(
      (m) => () => `${m} 5,2,3`,
    ),
  ),
  () => "vmuluwm 5,2,3",
  ...E.flatMap((e) => [`vclz${e}`, `vctz${e}`, `vpopcnt${e}`].map((m) => () => `${m} 5,3`)),
  ...["vnegw", "vnegd", "vextsb2w", "vextsh2w", "vextsb2d", "vextsh2d", "vextsw2d"].map(
    (m) => () => `${m} 5,3`,
  ),
  (p) => `vextractub 5,3,${r(p, 16)}`,
  (p) => `vextractuh 5,3,${r(p, 15)}`,
  (p) => `vextractuw 5,3,${r(p, 13)}`,
  (p) => `vextractd 5,3,${r(p, 9)}`,
  ...["vextublx", "vextubrx", "vextuhlx", "vextuhrx", "vextuwlx", "vextuwrx"].map(
    (m) => () => `${m} 5,3,3`,
  ),
  () => "vclzlsbb 5,3",
  () => "vctzlsbb 5,3",
  ...[
    "vpkuhum",
    "vpkuwum",
    "vpkudum",
    "vmrghb",
    "vmrghh",
    "vmrghw",
    "vmrglb",
    "vmrglh",
    "vmrglw",
  ].map((m) => () => `${m} 5,2,3`),
  (p) => `vspltisb 5,${r(p, 32) - 16}`,
  (p) => `vspltish 5,${r(p, 32) - 16}`,
  (p) => `vspltisw 5,${r(p, 32) - 16}`,
  (p) => `vspltb 5,3,${r(p, 16)}`,
  (p) => `vsplth 5,3,${r(p, 8)}`,
  (p) => `vspltw 5,3,${r(p, 4)}`,
  (p) => `vsldoi 5,2,3,${r(p, 16)}`,
  () => "vperm 5,2,3,4",
  () => "vpermr 5,2,3,4",
  () => "vsel 5,2,3,4",
  ...[
    "xxland",
    "xxlandc",
    "xxlor",
    "xxlxor",
    "xxlnor",
    "xxlorc",
    "xxlnand",
    "xxleqv",
    "xxmrghw",
    "xxmrglw",
  ].map((m) => () => `${m} 37,34,35`),
  () => "xxsel 37,34,35,36",
  (p) => `xxpermdi 37,34,35,${r(p, 4)}`,
  (p) => `xxsldwi 37,34,35,${r(p, 4)}`,
  (p) => `xxspltw 37,35,${r(p, 4)}`,
  (p) => `xxspltib 37,${r(p, 256)}`,
  ...["xxbrh", "xxbrw", "xxbrd", "xxbrq"].map((m) => () => `${m} 37,35`),
  () => "xxperm 37,34,36",
  () => "xxpermr 37,34,36",
  ...["mtvsrd", "mtvsrwa", "mtvsrwz", "mtvsrws"].map((m) => () => `${m} 37,3`),
  () => "mtvsrdd 37,3,4",
  ...["mfvsrd", "mfvsrwz", "mfvsrld"].map((m) => () => `${m} 5,35`),
];

interface Case {
  readonly insn: string;
  /** 48 bytes of v2..v4, then r3, r4 (as 64-bit), CR. */
  readonly vin: Uint8Array;
  readonly r3: bigint;
  readonly r4: bigint;
  readonly cr: number;
}

function makeCases(seed: number, per: number): Case[] {
  const p = new Prng(seed);
  const out: Case[] = [];
  for (const t of TEMPLATES) {
    for (let k = 0; k < per; k++) {
      const vin = new Uint8Array(48);
      const style = p.below(3);
      for (let i = 0; i < 48; i++) {
        vin[i] =
          style === 0
            ? p.below(256)
            : style === 1
              ? [0, 1, 0x7f, 0x80, 0xff][p.below(5)]!
              : p.below(4);
      }
      const insn = t(p);
      // vextu[bhw][lr]x: the ISA leaves indexes past the register's end undefined; use valid ones.
      const ext = /^vextu([bhw])[lr]x/.exec(insn);
      const size = ext === null ? 0 : ext[1] === "b" ? 1 : ext[1] === "h" ? 2 : 4;
      out.push({
        insn,
        vin,
        r3:
          ext !== null
            ? BigInt(p.below(17 - size)) | (BigInt(p.nextU32()) << 8n)
            : (BigInt(p.nextU32()) << 32n) | BigInt(p.nextU32()),
        r4: (BigInt(p.nextU32()) << 32n) | BigInt(p.nextU32()),
        cr: p.nextU32(),
      });
    }
  }
  return out;
}

/** 16 bytes v5 + r5 + CR per case. */
const OUT = 32;

function program(cases: readonly Case[]): string {
  const body = cases
    .map(
      (c) => `
  lxv 34,0(30)
  lxv 35,16(30)
  lxv 36,32(30)
  ld 3,48(30)
  ld 4,56(30)
  ld 8,64(30)
  mtcr 8
  li 5,0
  xxlxor 37,37,37
  ${c.insn}
  mfcr 9
  stxv 37,0(31)
  std 5,16(31)
  std 9,24(31)
  addi 30,30,80
  addi 31,31,${OUT}`,
    )
    .join("\n");
  const pool = cases
    .map((c) => {
      const q: string[] = [];
      for (let i = 0; i < 48; i += 8)
        q.push(
          `  .quad 0x${Buffer.from(c.vin.subarray(i, i + 8))
            .readBigUInt64LE()
            .toString(16)}`,
        );
      q.push(
        `  .quad 0x${c.r3.toString(16)}`,
        `  .quad 0x${c.r4.toString(16)}`,
        `  .quad 0x${c.cr.toString(16)}`,
        "  .quad 0",
      );
      return q.join("\n");
    })
    .join("\n");
  return `
  .abiversion 2
  .text
  .globl _start
_start:
  lis 31,buf@ha
  addi 31,31,buf@l
  lis 30,pool@ha
  addi 30,30,pool@l
${body}
  li 0,4
  li 3,1
  lis 4,buf@ha
  addi 4,4,buf@l
  lis 5,${(cases.length * OUT) >>> 16}
  ori 5,5,${(cases.length * OUT) & 0xffff}
  sc
  li 0,1
  li 3,0
  sc
  .data
  .balign 16
pool:
${pool}
  .balign 16
buf:
  .space ${cases.length * OUT}
`;
}

/** Our result for one case: run the instruction's handler on a fresh context. */
function ours(word: number, c: Case): Buffer {
  const m = new Machine({ cpus: 1, memoryBytes: 1 << 20, pageSize: 4096 });
  const cpu = m.cpu(0);
  const x = new ExecContext(m, cpu, true);
  x.v8.set(c.vin.subarray(0, 16), 34 * 16);
  x.v8.set(c.vin.subarray(16, 32), 35 * 16);
  x.v8.set(c.vin.subarray(32, 48), 36 * 16);
  cpu.gpr[3] = c.r3;
  cpu.gpr[4] = c.r4;
  cpu.cr = c.cr;
  const name = c.insn.split(" ")[0]!.replace(/\.$/, "");
  const build = execBuilder(name);
  assert.ok(build !== undefined, `no semantics for ${name}`);
  const h = build(word, 0, 0, true);
  assert.ok(h !== null, `${name} refused`);
  assert.equal(h(x), 1, `${c.insn} completes`);
  const out = Buffer.alloc(OUT);
  out.set(x.v8.subarray(37 * 16, 38 * 16), 0);
  out.writeBigUInt64LE(cpu.gpr[5]!, 16);
  out.writeBigUInt64LE(BigInt(cpu.cr >>> 0), 24);
  return out;
}

describe("vector and VSX semantics agree with qemu-ppc64le", () => {
  it("every template on random and edge-valued registers (power10)", () => {
    const cases = makeCases(0xc0ffee, 6);
    const words = assembleWords(cases.map((c) => c.insn).join("\n"));
    assert.equal(words.length, cases.length);
    const q = qemu("power10", buildExecutable(program(cases), "power10"));
    assert.equal(q.status, 0, "the generated program runs under qemu");
    const bad: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const mine = ours(words[i]!, cases[i]!);
      const theirs = q.stdout.subarray(OUT * i, OUT * (i + 1));
      if (!mine.equals(theirs)) {
        bad.push(`${cases[i]!.insn}: ours ${mine.toString("hex")} qemu ${theirs.toString("hex")}`);
      }
    }
    assert.deepEqual(bad.slice(0, 25), [], `${bad.length} of ${cases.length} differ`);
  });
});

// ---------------------------------------------------------------------------
// Load/store layouts: each VSX load from 32 input bytes at r3 (result in
// vs37) and each store of vs35 to a zeroed 32-byte area at r4.

const MEM_TEMPLATES: string[] = [
  "lxvx 37,0,3",
  "lxvd2x 37,0,3",
  "lxvw4x 37,0,3",
  "lxvh8x 37,0,3",
  "lxvb16x 37,0,3",
  "lxvdsx 37,0,3",
  "lxvwsx 37,0,3",
  "lxsdx 37,0,3",
  "lxsiwzx 37,0,3",
  "lxsiwax 37,0,3",
  "lxsibzx 37,0,3",
  "lxsihzx 37,0,3",
  "lxv 37,16(3)",
  "lxsd 5,8(3)",
  "lxvl 37,3,6",
  "lxvll 37,3,6",
  "stxvx 35,0,4",
  "stxvd2x 35,0,4",
  "stxvw4x 35,0,4",
  "stxvh8x 35,0,4",
  "stxvb16x 35,0,4",
  "stxsdx 35,0,4",
  "stxsiwx 35,0,4",
  "stxsibx 35,0,4",
  "stxsihx 35,0,4",
  "stxv 35,16(4)",
  "stxsd 3,8(4)",
  "stxvl 35,4,6",
  "stxvll 35,4,6",
];

const MEM_OUT = 64;

function memProgram(insns: readonly string[], input: Uint8Array, lens: readonly number[]): string {
  const body = insns
    .map(
      (insn, i) => `
  lis 3,pool@ha
  addi 3,3,pool@l
  lis 4,out@ha
  addi 4,4,out@l
  addi 4,4,${i * MEM_OUT}
  lxv 35,0(3)
  xxlxor 37,37,37
  li 6,${lens[i]!}
  sldi 6,6,56
  ${insn}
  stxv 37,32(4)`,
    )
    .join("\n");
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
  lis 5,${(insns.length * MEM_OUT) >>> 16}
  ori 5,5,${(insns.length * MEM_OUT) & 0xffff}
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
  .space ${insns.length * MEM_OUT}
`;
}

function oursMem(word: number, insn: string, input: Uint8Array, len: number): Buffer {
  const m = new Machine({ cpus: 1, memoryBytes: 1 << 20, pageSize: 4096 });
  const cpu = m.cpu(0);
  cpu.msrHi = 0x9000_0000; // SF | HV, real mode
  cpu.msrLo = 0x1; // LE
  const x = new ExecContext(m, cpu, true);
  m.mem.writeBytes(0x1000, input);
  x.v8.set(input.subarray(0, 16), 35 * 16);
  cpu.gpr[3] = 0x1000n;
  cpu.gpr[4] = 0x2000n;
  cpu.gpr[6] = BigInt(len) << 56n;
  x.revalidate();
  const name = insn.split(" ")[0]!;
  const build = execBuilder(name);
  assert.ok(build !== undefined, `no semantics for ${name}`);
  const h = build(word, 0, 0, true);
  assert.ok(h !== null);
  assert.equal(h(x), 1, `${insn} completes`);
  const out = Buffer.alloc(MEM_OUT);
  out.set(m.mem.readBytes(0x2000, 32), 0);
  out.set(x.v8.subarray(37 * 16, 38 * 16), 32);
  return out;
}

describe("VSX loads and stores lay bytes out as qemu-ppc64le does (little-endian mode)", () => {
  it("each load and store form", () => {
    const p = new Prng(0x5eed);
    const input = Uint8Array.from({ length: 32 }, () => p.below(256));
    const lens = MEM_TEMPLATES.map(() => p.below(20));
    const words = assembleWords(MEM_TEMPLATES.join("\n"));
    const q = qemu("power10", buildExecutable(memProgram(MEM_TEMPLATES, input, lens), "power10"));
    assert.equal(q.status, 0);
    const bad: string[] = [];
    MEM_TEMPLATES.forEach((insn, i) => {
      const mine = oursMem(words[i]!, insn, input, lens[i]!);
      const theirs = q.stdout.subarray(MEM_OUT * i, MEM_OUT * (i + 1));
      if (!mine.equals(theirs))
        bad.push(`${insn}: ours ${mine.toString("hex")} qemu ${theirs.toString("hex")}`);
    });
    assert.deepEqual(bad, []);
  });
});

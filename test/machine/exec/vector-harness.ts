// One-instruction differential checks against qemu-ppc64le: a generated
// program loads v2..v4 (vs34..36) and the same bytes into vs2..vs4 (f2..f4),
// r3, r4, CR and VSCR=0, zeroes v5 and vs5 (or, with `presetTarget`, copies
// v4/vs4 there), executes one instruction and dumps v5, r5, CR, VSCR and vs5; our handler (built from the word
// GNU as produced) runs on the same inputs and must leave the same values.
import assert from "node:assert/strict";
import { ExecContext } from "../../../src/machine/exec/context.ts";
import { execBuilder } from "../../../src/machine/exec/index.ts";
import { Machine } from "../../../src/machine/machine.ts";
import { Prng } from "../../../src/util/prng.ts";
import { assembleWords, buildExecutable, qemu } from "./toolchain.ts";

export type Template = (p: Prng) => string;

export interface Case {
  readonly insn: string;
  /** 48 bytes: v2..v4 as little-endian register images. */
  readonly vin: Uint8Array;
  readonly r3: bigint;
  readonly r4: bigint;
  readonly cr: number;
}

const EDGE_BYTES = [0, 1, 0x7f, 0x80, 0xff];

/** Little-endian image of `width`-byte elements, each 0, 1, −1, min or max. */
function edgeElements(p: Prng, out: Uint8Array, at: number): void {
  const width = [1, 2, 4, 8, 16][p.below(5)]!;
  for (let e = 0; e < 16; e += width) {
    const kind = p.below(6);
    for (let k = 0; k < width; k++) {
      const top = k === width - 1;
      out[at + e + k] =
        kind === 0
          ? 0
          : kind === 1
            ? k === 0
              ? 1
              : 0
            : kind === 2
              ? 0xff
              : kind === 3
                ? top
                  ? 0x80
                  : 0
                : kind === 4
                  ? top
                    ? 0x7f
                    : 0xff
                  : p.below(256);
    }
  }
}

export function makeCases(templates: readonly Template[], seed: number, per: number): Case[] {
  const p = new Prng(seed);
  const out: Case[] = [];
  for (const t of templates) {
    for (let k = 0; k < per; k++) {
      const vin = new Uint8Array(48);
      for (let r = 0; r < 3; r++) {
        const style = p.below(4);
        if (style === 3) edgeElements(p, vin, 16 * r);
        else
          for (let i = 16 * r; i < 16 * r + 16; i++)
            vin[i] =
              style === 0 ? p.below(256) : style === 1 ? EDGE_BYTES[p.below(5)]! : p.below(4);
      }
      const small = p.below(2) === 0;
      const big = (): bigint => (BigInt(p.nextU32()) << 32n) | BigInt(p.nextU32());
      out.push({
        insn: t(p),
        vin,
        r3: small ? BigInt(p.below(40)) : big(),
        r4: big(),
        cr: p.nextU32(),
      });
    }
  }
  return out;
}

/** 16 bytes v5 + r5 + CR + VSCR (16) + vs5 per case. */
const OUT = 64;

function program(cases: readonly Case[], preset: boolean): string {
  const body = cases
    .map(
      (c) => `
  lxv 34,0(30)
  lxv 35,16(30)
  lxv 36,32(30)
  lxv 2,0(30)
  lxv 3,16(30)
  lxv 4,32(30)
  ld 3,48(30)
  ld 4,56(30)
  ld 8,64(30)
  mtcr 8
  xxlxor 38,38,38
  mtvscr 6
  li 5,0
  ${preset ? "xxlor 37,36,36\n  xxlor 5,4,4" : "xxlxor 37,37,37\n  xxlxor 5,5,5"}
  ${c.insn}
  mfcr 9
  mfvscr 6
  stxv 37,0(31)
  std 5,16(31)
  std 9,24(31)
  stxv 38,32(31)
  stxv 5,48(31)
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
  const size = cases.length * OUT;
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
  lis 5,${size >>> 16}
  ori 5,5,${size & 0xffff}
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
  .space ${size}
`;
}

/** Our result for one case: the instruction's handler on a fresh context. */
function ours(word: number, c: Case, preset: boolean): Buffer {
  const m = new Machine({ cpus: 1, memoryBytes: 1 << 20, pageSize: 4096 });
  const cpu = m.cpu(0);
  const x = new ExecContext(m, cpu, true);
  x.v8.set(c.vin.subarray(0, 16), 34 * 16);
  x.v8.set(c.vin.subarray(16, 32), 35 * 16);
  x.v8.set(c.vin.subarray(32, 48), 36 * 16);
  for (let r = 0; r < 3; r++) x.v8.set(c.vin.subarray(16 * r, 16 * r + 16), (2 + r) * 16);
  if (preset) {
    x.v8.set(c.vin.subarray(32, 48), 37 * 16);
    x.v8.set(c.vin.subarray(32, 48), 5 * 16);
  }
  cpu.gpr[3] = c.r3;
  cpu.gpr[4] = c.r4;
  cpu.cr = c.cr;
  cpu.vscr = 0;
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
  out.writeUInt32LE(cpu.vscr >>> 0, 32);
  out.set(x.v8.subarray(5 * 16, 6 * 16), 48);
  return out;
}

/** Run every case under qemu (power10) and here; the list of differences. */
export function differences(cases: readonly Case[], presetTarget = false): string[] {
  const words = assembleWords(cases.map((c) => c.insn).join("\n"));
  assert.equal(words.length, cases.length);
  const q = qemu("power10", buildExecutable(program(cases, presetTarget), "power10"));
  assert.equal(q.status, 0, "the generated program runs under qemu");
  const bad: string[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const mine = ours(words[i]!, c, presetTarget);
    const theirs = q.stdout.subarray(OUT * i, OUT * (i + 1));
    if (!mine.equals(theirs)) {
      const regs = Buffer.from(c.vin).toString("hex");
      bad.push(
        `${c.insn} [${regs} r3=${c.r3.toString(16)}]: ours ${mine.toString("hex")} qemu ${theirs.toString("hex")}`,
      );
    }
  }
  return bad;
}

// qemu-ppc64le (7.2) as the execution oracle:
//  1. every program of fixtures/programs runs under `textpoke exec` (the API
//     behind it) with the same stdout and exit status as under qemu-ppc64le
//     with the matching -cpu (and the power9 builds also under our power10);
//  2. a generated program runs each fixed-point instruction form on many
//     operand values (edge cases and random ones, XER and CR preset randomly)
//     and dumps RT, CR and XER after each: the dumps must agree byte for byte.
//     (The buffer lives in .data: qemu-ppc64le 7.2 faults on a program whose
//     only writable segment is bss-only.)
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { execProgram } from "../../src/api/exec.ts";
import { Prng } from "../../src/util/prng.ts";
import { buildExecutable, qemu } from "../machine/exec/toolchain.ts";

const DIR = new URL("../../fixtures/programs/", import.meta.url).pathname;

function ours(
  file: string,
  cpu: "power9" | "power10",
): { stdout: Buffer; status: number; stderr: string } {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const r = execProgram(new Uint8Array(readFileSync(file)), {
    argv: [file],
    cpu,
    maxInsns: 2_000_000_000,
    stdout: (b) => out.push(b.slice()),
    stderr: (b) => err.push(b.slice()),
  });
  return { stdout: Buffer.concat(out), status: r.status, stderr: Buffer.concat(err).toString() };
}

describe("oracle: textpoke exec agrees with qemu-ppc64le on the program corpus", () => {
  const files = readdirSync(DIR)
    .filter((f) => /\.p(9|10)$/.test(f))
    .sort();
  it("finds the corpus", () => assert.ok(files.length >= 16, files.join(" ")));
  for (const f of files) {
    const cpu = f.endsWith(".p9") ? "power9" : "power10";
    it(`${f} under --cpu ${cpu}: same stdout and exit status`, () => {
      const q = qemu(cpu, join(DIR, f));
      const t = ours(join(DIR, f), cpu);
      assert.equal(t.stderr, "", "no diagnostics");
      assert.equal(t.stdout.toString(), q.stdout.toString());
      assert.equal(t.status, q.status);
    });
    if (cpu === "power9") {
      it(`${f} under --cpu power10: same as qemu -cpu power10`, () => {
        const q = qemu("power10", join(DIR, f));
        const t = ours(join(DIR, f), "power10");
        assert.equal(t.stdout.toString(), q.stdout.toString());
        assert.equal(t.status, q.status);
      });
    }
  }
});

// ---------------------------------------------------------------------------
// Instruction-level differential test.

/** Operand values: the edges of 32/64-bit signed and unsigned ranges, then random ones. */
const EDGES = [
  0n,
  1n,
  2n,
  3n,
  0xffff_ffff_ffff_ffffn,
  0x7fff_ffffn,
  0x8000_0000n,
  0xffff_ffffn,
  0xffff_ffff_8000_0000n,
  0x8000_0000_0000_0000n,
  0x7fff_ffff_ffff_ffffn,
  0x1_0000_0000n,
  0xffff_ffff_ffff_fffen,
  63n,
  64n,
  31n,
  32n,
];

function rand64(p: Prng): bigint {
  const hi = BigInt(p.nextU32());
  const lo = BigInt(p.nextU32());
  switch (p.below(4)) {
    case 0:
      return (hi << 32n) | lo;
    case 1:
      return BigInt.asUintN(64, BigInt.asIntN(32, lo)); // sign-extended word
    case 2:
      return lo & BigInt(p.below(2) ? 0xff : 0xffff);
    default:
      return EDGES[p.below(EDGES.length)]!;
  }
}

/** Instruction templates (RT=5, RA=3, RB=4, RC=6); `i` gives random immediates. */
type Template = (p: Prng) => string;
const imm = (p: Prng, bits: number, signed: boolean): number =>
  signed ? p.below(2 ** bits) - 2 ** (bits - 1) : p.below(2 ** bits);

const XO = [
  "add",
  "addc",
  "adde",
  "subf",
  "subfc",
  "subfe",
  "mullw",
  "mulld",
  "divw",
  "divwu",
  "divd",
  "divdu",
  "divwe",
  "divweu",
  "divde",
  "divdeu",
];
const XO_NOOE = ["mulhw", "mulhwu", "mulhd", "mulhdu"];
const XO_UNARY = ["addme", "addze", "subfme", "subfze", "neg"];
const X_LOGIC = [
  "and",
  "or",
  "xor",
  "nand",
  "nor",
  "eqv",
  "andc",
  "orc",
  "slw",
  "srw",
  "sraw",
  "sld",
  "srd",
  "srad",
];
const X_UNARY = ["cntlzw", "cntlzd", "cnttzw", "cnttzd", "extsb", "extsh", "extsw"];
const X_UNARY_NORC = ["popcntb", "popcntw", "popcntd", "prtyw", "prtyd"];
const X3 = ["modsw", "moduw", "modsd", "modud", "cmpb", "bpermd"];

const TEMPLATES: Template[] = [
  ...XO.flatMap((m) =>
    [`${m} 5,3,4`, `${m}. 5,3,4`, `${m}o 5,3,4`, `${m}o. 5,3,4`].map((t) => () => t),
  ),
  ...XO_NOOE.flatMap((m) => [`${m} 5,3,4`, `${m}. 5,3,4`].map((t) => () => t)),
  ...XO_UNARY.flatMap((m) =>
    [`${m} 5,3`, `${m}. 5,3`, `${m}o 5,3`, `${m}o. 5,3`].map((t) => () => t),
  ),
  ...X_LOGIC.flatMap((m) => [`${m} 5,3,4`, `${m}. 5,3,4`].map((t) => () => t)),
  ...X_UNARY.flatMap((m) => [`${m} 5,3`, `${m}. 5,3`].map((t) => () => t)),
  ...X_UNARY_NORC.map((m) => () => `${m} 5,3`),
  ...X3.map((m) => () => `${m} 5,3,4`),
  (p) => `addi 5,3,${imm(p, 16, true)}`,
  (p) => `addis 5,3,${imm(p, 16, true)}`,
  (p) => `addic 5,3,${imm(p, 16, true)}`,
  (p) => `addic. 5,3,${imm(p, 16, true)}`,
  (p) => `subfic 5,3,${imm(p, 16, true)}`,
  (p) => `mulli 5,3,${imm(p, 16, true)}`,
  (p) => `ori 5,3,${imm(p, 16, false)}`,
  (p) => `oris 5,3,${imm(p, 16, false)}`,
  (p) => `xori 5,3,${imm(p, 16, false)}`,
  (p) => `xoris 5,3,${imm(p, 16, false)}`,
  (p) => `andi. 5,3,${imm(p, 16, false)}`,
  (p) => `andis. 5,3,${imm(p, 16, false)}`,
  (p) => `srawi${p.below(2) ? "." : ""} 5,3,${p.below(32)}`,
  (p) => `sradi${p.below(2) ? "." : ""} 5,3,${p.below(64)}`,
  (p) => `extswsli${p.below(2) ? "." : ""} 5,3,${p.below(64)}`,
  (p) => `rlwinm${p.below(2) ? "." : ""} 5,3,${p.below(32)},${p.below(32)},${p.below(32)}`,
  (p) => `rlwnm${p.below(2) ? "." : ""} 5,3,4,${p.below(32)},${p.below(32)}`,
  (p) => `rlwimi${p.below(2) ? "." : ""} 5,3,${p.below(32)},${p.below(32)},${p.below(32)}`,
  (p) => `rldicl${p.below(2) ? "." : ""} 5,3,${p.below(64)},${p.below(64)}`,
  (p) => `rldicr${p.below(2) ? "." : ""} 5,3,${p.below(64)},${p.below(64)}`,
  (p) => `rldic${p.below(2) ? "." : ""} 5,3,${p.below(64)},${p.below(64)}`,
  (p) => `rldimi${p.below(2) ? "." : ""} 5,3,${p.below(64)},${p.below(64)}`,
  (p) => `rldcl${p.below(2) ? "." : ""} 5,3,4,${p.below(64)}`,
  (p) => `rldcr${p.below(2) ? "." : ""} 5,3,4,${p.below(64)}`,
  (p) => `cmpd ${p.below(8)},3,4`,
  (p) => `cmpw ${p.below(8)},3,4`,
  (p) => `cmpld ${p.below(8)},3,4`,
  (p) => `cmplw ${p.below(8)},3,4`,
  (p) => `cmpdi ${p.below(8)},3,${imm(p, 16, true)}`,
  (p) => `cmpwi ${p.below(8)},3,${imm(p, 16, true)}`,
  (p) => `cmpldi ${p.below(8)},3,${imm(p, 16, false)}`,
  (p) => `cmplwi ${p.below(8)},3,${imm(p, 16, false)}`,
  (p) => `cmprb ${p.below(8)},${p.below(2)},3,4`,
  (p) => `cmpeqb ${p.below(8)},3,4`,
  (p) => `isel 5,3,4,${p.below(32)}`,
  (p) => `setb 5,${p.below(8)}`,
  (p) => `mcrxrx ${p.below(8)}`,
  (p) => `mcrf ${p.below(8)},${p.below(8)}`,
  (p) => `crxor ${p.below(32)},${p.below(32)},${p.below(32)}`,
  (p) => `crnand ${p.below(32)},${p.below(32)},${p.below(32)}`,
  (p) => `crorc ${p.below(32)},${p.below(32)},${p.below(32)}`,
  (p) => `mtcrf ${p.below(256)},3`,
  (p) => `mtocrf ${1 << p.below(8)},3`,
  () => "mfcr 5",
  (p) => `mfocrf 5,${1 << p.below(8)}`,
  () => "addex 5,3,4,0",
  () => "maddld 5,3,4,6",
  () => "maddhd 5,3,4,6",
  () => "maddhdu 5,3,4,6",
];

const TEMPLATES_P10: Template[] = [
  () => "brd 5,3",
  () => "brw 5,3",
  () => "brh 5,3",
  (p) => `setbc 5,${p.below(32)}`,
  (p) => `setbcr 5,${p.below(32)}`,
  (p) => `setnbc 5,${p.below(32)}`,
  (p) => `setnbcr 5,${p.below(32)}`,
  () => "pdepd 5,3,4",
  () => "pextd 5,3,4",
  () => "cfuged 5,3,4",
  () => "cntlzdm 5,3,4",
  () => "cnttzdm 5,3,4",
];

interface Case {
  readonly insn: string;
  readonly inputs: readonly bigint[];
}

/** XER bits a test presets: SO, OV, CA, OV32, CA32. */
const XER_BITS = 0xe00c_0000n;

function makeCases(templates: readonly Template[], perTemplate: number, seed: number): Case[] {
  const p = new Prng(seed);
  const cases: Case[] = [];
  for (const t of templates) {
    for (let k = 0; k < perTemplate; k++) {
      cases.push({
        insn: t(p),
        inputs: [
          rand64(p),
          rand64(p),
          rand64(p),
          rand64(p),
          BigInt(p.nextU32()) & XER_BITS,
          BigInt(p.nextU32()),
        ],
      });
    }
  }
  return cases;
}

/** r3, r4, r6, r5 (old RT), XER, CR from the pool; run; dump r5, CR, XER, r3, r4. */
function program(cases: readonly Case[]): string {
  const body = cases
    .map(
      (c) => `
  ld 3,0(30)
  ld 4,8(30)
  ld 6,16(30)
  ld 5,24(30)
  ld 7,32(30)
  mtxer 7
  ld 8,40(30)
  mtcr 8
  ${c.insn}
  mfcr 9
  mfxer 10
  std 5,0(31)
  std 9,8(31)
  std 10,16(31)
  std 3,24(31)
  std 4,32(31)
  addi 30,30,48
  addi 31,31,40`,
    )
    .join("\n");
  const pool = cases
    .map((c) => c.inputs.map((v) => `  .quad 0x${v.toString(16)}`).join("\n"))
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
  lis 5,${(cases.length * 40) >>> 16}
  ori 5,5,${(cases.length * 40) & 0xffff}
  sc
  li 0,1
  li 3,0
  sc
  .data
  .balign 8
pool:
${pool}
  .balign 8
buf:
  .space ${cases.length * 40}
`;
}

function compareDumps(cases: readonly Case[], ours: Buffer, theirs: Buffer): string[] {
  const bad: string[] = [];
  const names = ["rt", "cr", "xer", "ra", "rb"];
  for (let i = 0; i < cases.length; i++) {
    for (let k = 0; k < 5; k++) {
      const o = 40 * i + 8 * k;
      if (o + 8 > theirs.length || o + 8 > ours.length) {
        bad.push(`${cases[i]!.insn}: output truncated`);
        break;
      }
      const a = ours.readBigUInt64LE(o);
      const b = theirs.readBigUInt64LE(o);
      if (a !== b) {
        const inp = cases[i]!.inputs.map((v) => `0x${v.toString(16)}`).join(",");
        bad.push(
          `${cases[i]!.insn} [ra,rb,rc,rt,xer,cr=${inp}]: ${names[k]} 0x${a.toString(16)} vs qemu 0x${b.toString(16)}`,
        );
      }
    }
  }
  return bad;
}

function differential(
  cpu: "power9" | "power10",
  templates: readonly Template[],
  seed: number,
): void {
  const cases = makeCases(templates, 40, seed);
  const exe = buildExecutable(program(cases), cpu);
  const q = qemu(cpu, exe);
  assert.equal(q.status, 0, `the generated program ${exe} runs under qemu`);
  const t = ours(exe, cpu);
  assert.equal(t.status, 0, `exits normally: ${t.stderr}`);
  const bad = compareDumps(cases, t.stdout, q.stdout);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} mismatches`);
}

describe("oracle: fixed-point instructions agree with qemu-ppc64le operand by operand", () => {
  it("ISA v3.0 fixed-point forms (power9), RT, CR and XER after each", () => {
    differential("power9", TEMPLATES, 0x7e57);
  });
  it("ISA v3.1 fixed-point additions (power10)", () => {
    differential("power10", TEMPLATES_P10, 0x3110);
  });
});

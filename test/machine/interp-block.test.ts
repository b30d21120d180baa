// The block translator must not change what a program computes: random loops
// of integer, compare, load/store and branch instructions run twice, once as
// compiled blocks and once instruction by instruction (a traced run never
// uses blocks; the single-instruction handlers are checked against qemu in
// test/oracle/exec-qemu.test.ts and test/machine/exec/vsx.test.ts), and every
// register, CR, XER, CTR and the memory they touched must agree.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Spr } from "../../src/machine/cpu.ts";
import { Guest } from "../../src/machine/interp.ts";
import { Machine } from "../../src/machine/machine.ts";
import { predecodeOf } from "../../src/machine/predecode.ts";
import type { Choices } from "../../src/util/choices.ts";
import { Prng } from "../../src/util/prng.ts";
import { assembleWords } from "./exec/toolchain.ts";

const CODE = 0x1_0000;
const DATA = 0x8_0000;
const SENTINEL = 0xdead_0000n;
const choices: Choices = {
  pickCpu: (r: readonly number[]) => r[0]!,
  deliverInterrupt: () => false,
  failAllocation: () => false,
  random: () => 0,
};

const R = (p: Prng): number => 3 + p.below(10); // r3..r12
const TEMPLATES: ((p: Prng) => string)[] = [
  (p) => `addi ${R(p)},${R(p)},${p.below(65536) - 32768}`,
  (p) => `addis ${R(p)},${R(p)},${p.below(65536) - 32768}`,
  (p) => `add ${R(p)},${R(p)},${R(p)}`,
  (p) => `subf ${R(p)},${R(p)},${R(p)}`,
  (p) => `neg ${R(p)},${R(p)}`,
  (p) => `or ${R(p)},${R(p)},${R(p)}`,
  (p) => `mr ${R(p)},${R(p)}`,
  (p) => `and ${R(p)},${R(p)},${R(p)}`,
  (p) => `xor ${R(p)},${R(p)},${R(p)}`,
  (p) => `andc ${R(p)},${R(p)},${R(p)}`,
  (p) => `nor ${R(p)},${R(p)},${R(p)}`,
  (p) => `ori ${R(p)},${R(p)},${p.below(65536)}`,
  (p) => `oris ${R(p)},${R(p)},${p.below(65536)}`,
  (p) => `xori ${R(p)},${R(p)},${p.below(65536)}`,
  (p) => `andi. ${R(p)},${R(p)},${p.below(65536)}`,
  (p) => `rlwinm ${R(p)},${R(p)},${p.below(32)},${p.below(32)},${p.below(32)}`,
  (p) => `rldicl ${R(p)},${R(p)},${p.below(64)},${p.below(64)}`,
  (p) => `rldicr ${R(p)},${R(p)},${p.below(64)},${p.below(64)}`,
  (p) => `rldic ${R(p)},${R(p)},${p.below(64)},${p.below(64)}`,
  (p) => `extsw ${R(p)},${R(p)}`,
  (p) => `extsb ${R(p)},${R(p)}`,
  (p) => `extsh ${R(p)},${R(p)}`,
  (p) => `mulld ${R(p)},${R(p)},${R(p)}`,
  (p) => `mulli ${R(p)},${R(p)},${p.below(65536) - 32768}`,
  (p) => `cmpd ${p.below(8)},${R(p)},${R(p)}`,
  (p) => `cmpw ${p.below(8)},${R(p)},${R(p)}`,
  (p) => `cmpld ${p.below(8)},${R(p)},${R(p)}`,
  (p) => `cmplw ${p.below(8)},${R(p)},${R(p)}`,
  (p) => `cmpdi ${p.below(8)},${R(p)},${p.below(65536) - 32768}`,
  (p) => `cmplwi ${p.below(8)},${R(p)},${p.below(65536)}`,
  (p) => `mtlr ${R(p)}`,
  (p) => `mflr ${R(p)}`,
  (p) => `sradi ${R(p)},${R(p)},${p.below(64)}`,
  (p) => `popcntd ${R(p)},${R(p)}`,
  (p) => `ld ${R(p)},${8 * p.below(32)}(20)`,
  (p) => `lwz ${R(p)},${4 * p.below(64)}(20)`,
  (p) => `lwa ${R(p)},${4 * p.below(64)}(20)`,
  (p) => `lhz ${R(p)},${2 * p.below(128)}(20)`,
  (p) => `lha ${R(p)},${2 * p.below(128)}(20)`,
  (p) => `lbz ${R(p)},${p.below(256)}(20)`,
  (p) => `std ${R(p)},${8 * p.below(32)}(20)`,
  (p) => `stw ${R(p)},${4 * p.below(64)}(20)`,
  (p) => `sth ${R(p)},${2 * p.below(128)}(20)`,
  (p) => `stb ${R(p)},${p.below(256)}(20)`,
  () => "ldx 5,20,21",
  () => "stdx 6,20,21",
  () => "lbzx 7,20,21",
  () => "stbu 8,1(22)",
  () => "ldu 9,8(23)",
  () => "stdu 10,8(24)",
];

function program(p: Prng): string {
  const lines: string[] = [];
  const n = 6 + p.below(14);
  for (let i = 0; i < n; i++) {
    lines.push(TEMPLATES[p.below(TEMPLATES.length)]!(p));
    // Sometimes a forward conditional branch inside the loop body.
    if (p.below(8) === 0)
      lines.push(`b${["eq", "ne", "lt", "gt"][p.below(4)]} ${p.below(7)},1f`, "1:");
  }
  return `li 25,40\nmtctr 25\n0:\n${lines.join("\n")}\nbdnz 0b\nmtlr 26\nblr`;
}

function runOnce(words: number[], seed: number, traced: boolean): { m: Machine; blocks: number } {
  const m = new Machine({ cpus: 1, memoryBytes: 1 << 24, pageSize: 4096 });
  const cpu = m.cpu(0);
  words.forEach((w, i) => {
    m.mem.write32(CODE + 4 * i, w);
  });
  const p = new Prng(seed);
  for (let i = 0; i < 1024; i += 4) m.mem.write32(DATA + i, p.nextU32());
  for (let r = 3; r <= 12; r++) cpu.gpr[r] = (BigInt(p.nextU32()) << 32n) | BigInt(p.nextU32());
  cpu.gpr[20] = BigInt(DATA);
  cpu.gpr[21] = 16n;
  cpu.gpr[22] = BigInt(DATA + 300);
  cpu.gpr[23] = BigInt(DATA + 512);
  cpu.gpr[24] = BigInt(DATA + 1024);
  cpu.gpr[26] = SENTINEL;
  cpu.cr = p.nextU32();
  cpu.xer = p.nextU32() & 0xe00c_0000;
  cpu.msrHi = 0x9000_0000;
  cpu.msrLo = 1;
  cpu.nia = BigInt(CODE);
  cpu.spr[Spr.LR] = SENTINEL;
  const g = new Guest(m, cpu, {
    stopAt: SENTINEL,
    maxInsns: 1_000_000,
    ...(traced ? { trace: () => {} } : {}),
  });
  m.spawn(0, g.task());
  m.run(choices);
  assert.equal(g.status, "returned");
  const page = predecodeOf(m, cpu, true).page(CODE);
  return { m, blocks: page.blocks };
}

describe("block translator", () => {
  it("random loops compute the same registers, flags and memory as single-instruction execution", () => {
    const p = new Prng(0xb10c);
    let compiled = 0;
    for (let t = 0; t < 40; t++) {
      const src = program(p);
      const words = assembleWords(src);
      const seed = p.nextU32();
      const a = runOnce(words, seed, true);
      const b = runOnce(words, seed, false);
      compiled += b.blocks;
      assert.equal(a.blocks, 0, "a traced run compiles nothing");
      const ca = a.m.cpu(0);
      const cb = b.m.cpu(0);
      assert.deepEqual([...cb.gpr], [...ca.gpr], `GPRs after:\n${src}`);
      assert.equal(cb.cr, ca.cr, `CR after:\n${src}`);
      assert.equal(cb.xer, ca.xer, `XER after:\n${src}`);
      assert.equal(cb.spr[Spr.CTR], ca.spr[Spr.CTR]);
      assert.deepEqual(
        b.m.mem.readBytes(DATA, 2048),
        a.m.mem.readBytes(DATA, 2048),
        `memory after:\n${src}`,
      );
    }
    assert.ok(compiled >= 20, `blocks were compiled (${compiled})`);
  });

  it("an instruction budget inside a hot loop stops at exactly that count", () => {
    const words = assembleWords(
      "li 3,0\nli 4,1000\nmtctr 4\n0: addi 3,3,1\nxor 5,3,4\nbdnz 0b\nblr",
    );
    for (const budget of [5, 100, 777, 2000]) {
      const m = new Machine({ cpus: 1, memoryBytes: 1 << 20, pageSize: 4096 });
      const cpu = m.cpu(0);
      words.forEach((w, i) => {
        m.mem.write32(CODE + 4 * i, w);
      });
      cpu.msrHi = 0x9000_0000;
      cpu.msrLo = 1;
      cpu.nia = BigInt(CODE);
      const g = new Guest(m, cpu, { maxInsns: budget });
      m.spawn(0, g.task());
      m.run(choices);
      assert.equal(g.status, "budget");
      assert.equal(g.insns, budget);
      // 3 set-up instructions, then 3 per iteration.
      assert.equal(cpu.gpr[3], BigInt(Math.max(0, Math.floor((budget - 3 + 2) / 3))));
    }
  });
});

// The interpreter on a bare machine: interrupts (program, trap, illegal,
// system call, alignment, storage), privilege, the CPU models, reservations
// across CPUs, icache coherence of predecoded code, dcbz, the stepping
// (yield) points and the trace. Instruction words come from GNU as; expected
// values are the Power ISA's (isa.md §5, §13-16).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserAddressSpace } from "../../src/linux-user/address-space.ts";
import type { Cpu } from "../../src/machine/cpu.ts";
import { Spr } from "../../src/machine/cpu.ts";
import { Guest, type GuestOptions } from "../../src/machine/interp.ts";
import { Machine } from "../../src/machine/machine.ts";
import { OpKind } from "../../src/machine/ops.ts";
import type { Choices } from "../../src/util/choices.ts";
import { assembleWords } from "./exec/toolchain.ts";

const CODE = 0x1_0000;
const SENTINEL = 0xdead_0000n;
const SF_HV = 0x9000_0000;
const LE = 0x1;

const firstCpu: Choices = {
  pickCpu: (r: readonly number[]) => r[0]!,
  deliverInterrupt: () => false,
  failAllocation: () => false,
  random: () => 0,
};

function machine(cpus = 1): Machine {
  return new Machine({ cpus, memoryBytes: 1 << 24, pageSize: 4096 });
}

/** Put code at `at` (real address) and point the CPU at it, hypervisor real mode, LR = sentinel. */
function load(m: Machine, cpu: Cpu, source: string, at = CODE): number[] {
  const words = assembleWords(source);
  words.forEach((w, i) => {
    m.mem.write32(at + 4 * i, w);
  });
  cpu.msrHi = SF_HV;
  cpu.msrLo = LE;
  cpu.nia = BigInt(at);
  cpu.spr[Spr.LR] = SENTINEL;
  return words;
}

function run(m: Machine, cpu: Cpu, opts: GuestOptions = {}): Guest {
  const g = new Guest(m, cpu, { stopAt: SENTINEL, maxInsns: 100_000, ...opts });
  m.spawn(cpu.id, g.task());
  m.run(firstCpu);
  return g;
}

describe("interpreter: fixed-point results and flags (Power ISA Book I)", () => {
  it("add. with signed overflow: RT wraps, XER[OV,SO] set, CR0 = LT|SO", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "addo. 3,4,5\nblr");
    cpu.gpr[4] = 0x7fff_ffff_ffff_ffffn;
    cpu.gpr[5] = 1n;
    assert.equal(run(m, cpu).status, "returned");
    assert.equal(cpu.gpr[3], 0x8000_0000_0000_0000n);
    assert.equal((cpu.xer & 0xc000_0000) >>> 0, 0xc000_0000, "SO and OV");
    assert.equal(cpu.cr >>> 28, 0b1001, "CR0: LT and SO");
  });

  it("rlwinm extracts bits: rlwinm r3,r4,8,24,31 of 0x12345678 is 0x12", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "rlwinm 3,4,8,24,31\nblr");
    cpu.gpr[4] = 0xffff_ffff_1234_5678n;
    run(m, cpu);
    assert.equal(cpu.gpr[3], 0x12n);
  });

  it("divd by zero leaves the dividend (qemu's choice for the undefined result) and divdo sets OV", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "divdo 3,4,5\nblr");
    cpu.gpr[4] = 1234n;
    cpu.gpr[5] = 0n;
    run(m, cpu);
    assert.equal(cpu.gpr[3], 1234n);
    assert.equal((cpu.xer & 0xc000_0000) >>> 0, 0xc000_0000);
  });

  it("a loop with bdnz and a conditional branch computes the sum 1..100", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(
      m,
      cpu,
      "li 3,0\nli 4,100\nmtctr 4\n1: add 3,3,4\naddi 4,4,-1\nbdnz 1b\ncmpdi 3,5050\nbne 2f\nli 5,1\n2: blr",
    );
    run(m, cpu);
    assert.equal(cpu.gpr[3], 5050n);
    assert.equal(cpu.gpr[5], 1n);
  });
});

describe("interpreter: interrupts", () => {
  it("tw with the condition true: program interrupt 0x700, SRR0 = the trap, SRR1 trap bit", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "nop\ntweq 3,3\nblr");
    const g = run(m, cpu, { maxInsns: 2 });
    assert.equal(g.status, "budget");
    assert.equal(cpu.nia, 0x700n);
    assert.equal(cpu.srr0, BigInt(CODE + 4));
    assert.equal(cpu.srr1 & 0x2_0000n, 0x2_0000n);
  });

  it("tw with the condition false does nothing", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "li 4,1\ntweq 3,4\nblr");
    assert.equal(run(m, cpu).status, "returned");
  });

  it("an illegal word: hypervisor emulation assistance 0xE40 with HSRR0 = the word's address", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "nop\n.long 0\nblr");
    run(m, cpu, { maxInsns: 2 });
    assert.equal(cpu.nia, 0xe40n);
    assert.equal(cpu.hsrr0, BigInt(CODE + 4));
  });

  it("sc: system call interrupt 0xC00 with SRR0 = the next instruction", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "sc\nblr");
    run(m, cpu, { maxInsns: 1 });
    assert.equal(cpu.nia, 0xc00n);
    assert.equal(cpu.srr0, BigInt(CODE + 4));
  });

  it("mfspr of a privileged SPR in problem state: program interrupt, SRR1 privileged bit", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "mfsrr0 3\nblr");
    cpu.msrLo = LE | 0x4000; // PR
    run(m, cpu, { maxInsns: 1 });
    assert.equal(cpu.nia, 0x700n);
    assert.equal(cpu.srr1 & 0x4_0000n, 0x4_0000n);
  });

  it("a prefixed instruction crossing a 64-byte boundary: alignment interrupt 0x600", () => {
    const m = machine();
    const cpu = m.cpu(0);
    const words = assembleWords("pli 3,5");
    m.mem.write32(CODE + 60, words[0]!);
    m.mem.write32(CODE + 64, words[1]!);
    load(m, cpu, "nop", CODE + 56);
    run(m, cpu, { maxInsns: 2, cpuModel: "power10" });
    assert.equal(cpu.nia, 0x600n);
    assert.equal(cpu.srr0, BigInt(CODE + 60));
    assert.equal(cpu.srr1 & 0x3000_0000n, 0x3000_0000n, "SRR1 PREFIXED | BOUNDARY");
  });

  it("prefixed instructions run on power10 and are illegal on power9", () => {
    for (const cpuModel of ["power10", "power9"] as const) {
      const m = machine();
      const cpu = m.cpu(0);
      load(m, cpu, "pli 3,0x12345\nblr");
      run(m, cpu, { cpuModel, maxInsns: 2 });
      if (cpuModel === "power10") assert.equal(cpu.gpr[3], 0x12345n);
      else assert.equal(cpu.nia, 0xe40n);
    }
  });

  it("a store to a read-only user page: DSI 0x300, DSISR PROTFAULT|ISSTORE, DAR = EA", () => {
    const m = machine();
    const cpu = m.cpu(0);
    const as = new UserAddressSpace(m.mem);
    as.map(0x1000_0000, 0x1000, 5); // R|X
    as.map(0x2000_0000, 0x1000, 1); // R
    as.write(0x1000_0000, new Uint8Array(new Uint32Array(assembleWords("stw 3,8(4)")).buffer));
    as.attach(cpu);
    cpu.msrHi = SF_HV;
    cpu.msrLo = 0x4000 | 0x20 | 0x10 | LE; // PR, IR, DR
    cpu.nia = 0x1000_0000n;
    cpu.gpr[4] = 0x2000_0000n;
    run(m, cpu, { maxInsns: 1 });
    assert.equal(cpu.nia, 0x300n);
    assert.equal(cpu.dsisr, 0x0a00_0000);
    assert.equal(cpu.dar, 0x2000_0008n);
    assert.equal(cpu.srr0, 0x1000_0000n);
  });
});

describe("interpreter: memory model", () => {
  it("stwcx. succeeds after lwarx, and fails when another CPU stored to the reserved word", () => {
    for (const interfere of [false, true]) {
      const m = machine(2);
      const c0 = m.cpu(0);
      const c1 = m.cpu(1);
      load(m, c0, "lwarx 5,0,4\naddi 5,5,1\nstwcx. 5,0,4\nblr");
      load(m, c1, "stw 6,0(4)\nblr", CODE + 0x1000);
      m.mem.write32(0x8000, 41);
      c0.gpr[4] = 0x8000n;
      c1.gpr[4] = 0x8000n;
      c1.gpr[6] = 7n;
      run(m, c0, { maxInsns: 1 });
      if (interfere) run(m, c1);
      run(m, c0);
      const eq = (c0.cr >>> 29) & 1;
      assert.equal(eq, interfere ? 0 : 1, "CR0[EQ] says whether the store happened");
      assert.equal(m.mem.read32(0x8000), interfere ? 7 : 42);
    }
  });

  it("dcbz zeroes the aligned 128-byte block", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "dcbz 0,4\nblr");
    for (let i = 0; i < 512; i += 4) m.mem.write32(0x8000 + i, 0xffff_ffff);
    cpu.gpr[4] = 0x8000n + 0x90n;
    run(m, cpu);
    assert.equal(m.mem.read32(0x807c), 0xffff_ffff);
    assert.equal(m.mem.read32(0x8080), 0);
    assert.equal(m.mem.read32(0x80fc), 0);
    assert.equal(m.mem.read32(0x8100), 0xffff_ffff);
  });

  it("modified code runs stale until icbi + isync, then the new instruction (predecode follows the icache)", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "li 3,1\nblr");
    run(m, cpu);
    assert.equal(cpu.gpr[3], 1n);
    m.mem.write32(CODE, assembleWords("li 3,2")[0]!);
    cpu.nia = BigInt(CODE);
    cpu.spr[Spr.LR] = SENTINEL;
    run(m, cpu);
    assert.equal(cpu.gpr[3], 1n, "the icache still holds the old line");
    load(m, cpu, "icbi 0,4\nisync\nblr", CODE + 0x1000);
    cpu.gpr[4] = BigInt(CODE);
    run(m, cpu);
    cpu.nia = BigInt(CODE);
    cpu.spr[Spr.LR] = SENTINEL;
    run(m, cpu);
    assert.equal(cpu.gpr[3], 2n);
  });
});

describe("interpreter: stepping", () => {
  it("interleaving: yields LOAD and STORE before each memory access, nothing else", () => {
    const m = machine(2);
    const cpu = m.cpu(0);
    load(m, cpu, "li 3,5\nld 5,0(4)\naddi 5,5,1\nstd 5,8(4)\nblr");
    cpu.gpr[4] = 0x8000n;
    const kinds: number[] = [];
    const eas: [bigint, number][] = [];
    m.addStepHook((_m, c, next) => {
      if (c.id === 0 && next !== -1) {
        kinds.push(next);
        eas.push([c.pending.ea, c.pending.size]);
      }
    });
    const g = new Guest(m, cpu, { stopAt: SENTINEL, yieldMode: "always" });
    m.spawn(0, g.task());
    m.run(firstCpu);
    assert.equal(g.status, "returned");
    assert.deepEqual(kinds, [OpKind.LOAD, OpKind.STORE]);
    assert.deepEqual(eas, [
      [0x8000n, 8],
      [0x8008n, 8],
    ]);
    assert.equal(m.mem.read64(0x8008), 1n);
  });

  it("--trace prints address, disassembly and changed registers", () => {
    const m = machine();
    const cpu = m.cpu(0);
    load(m, cpu, "li 3,5\nmr 4,3\nblr");
    const lines: string[] = [];
    run(m, cpu, { trace: (l) => lines.push(l) });
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^0000000000010000: {2}li {6}r3,5 +r3=0x0000000000000005\n$/);
    assert.match(lines[1]!, /^0000000000010004: {2}mr {6}r4,r3 +r4=0x0000000000000005\n$/);
    assert.match(lines[2]!, /^0000000000010008: {2}blr\n$/);
  });
});

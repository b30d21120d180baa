// MSR[SE] single-step: after each instruction that completes, a trace
// interrupt (0xD00) with SRR0 = the next instruction's address. Instruction
// words come from GNU as; expected values are the Power ISA's (Book III
// "Trace Interrupt", "Interrupt Processing"; isa.md §14-15).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Cpu } from "../../src/machine/cpu.ts";
import { Spr } from "../../src/machine/cpu.ts";
import type { RaisedInterrupt } from "../../src/machine/exec/context.ts";
import { Guest } from "../../src/machine/interp.ts";
import { Machine } from "../../src/machine/machine.ts";
import type { Choices } from "../../src/util/choices.ts";
import { assembleWords } from "./exec/toolchain.ts";

const CODE = 0x1_0000;
const SENTINEL = 0xdead_0000n;
const SF_HV = 0x9000_0000;
const LE = 0x1;
/** MSR[SE]: value bit 10 (Book III "Machine State Register"). */
const SE = 0x400;

const firstCpu: Choices = {
  pickCpu: (r: readonly number[]) => r[0]!,
  deliverInterrupt: () => false,
  failAllocation: () => false,
  random: () => 0,
};

function setup(source: string): { m: Machine; cpu: Cpu } {
  const m = new Machine({ cpus: 1, memoryBytes: 1 << 24, pageSize: 4096 });
  const cpu = m.cpu(0);
  assembleWords(source).forEach((w, i) => {
    m.mem.write32(CODE + 4 * i, w);
  });
  cpu.msrHi = SF_HV;
  cpu.msrLo = LE | SE;
  cpu.nia = BigInt(CODE);
  cpu.spr[Spr.LR] = SENTINEL;
  return { m, cpu };
}

/** Run until the guest stops; `take` decides whether the hooks take an interrupt over. */
function run(m: Machine, cpu: Cpu, take: (i: RaisedInterrupt) => boolean): Guest {
  const g = new Guest(m, cpu, {
    stopAt: SENTINEL,
    maxInsns: 1000,
    hooks: { interrupt: (_x, info) => take(info) },
  });
  m.spawn(cpu.id, g.task());
  m.run(firstCpu);
  return g;
}

describe("interpreter: MSR[SE] single-step trace interrupt (Power ISA Book III)", () => {
  it("one instruction completes, then a trace interrupt: SRR0 = next address, SRR1 keeps SE, the new MSR clears SE, NIA = 0xd00", () => {
    const { m, cpu } = setup("li 3,7\nli 4,8\nblr");
    // The trace is delivered; whatever the vector code raises next is taken
    // over, so the run stops there.
    const after: number[] = [];
    const g = run(m, cpu, (i) => {
      if (i.vector === 0xd00) return false;
      after.push(i.vector);
      return true;
    });
    // The first instruction ran; the second did not (the trace came first).
    assert.equal(cpu.gpr[3], 7n);
    assert.equal(cpu.gpr[4], 0n);
    assert.equal(cpu.srr0, BigInt(CODE + 4));
    assert.equal(Number(cpu.srr1 & 0xffffn) & SE, SE);
    assert.equal(cpu.msrLo & SE, 0);
    // Real mode (IR=DR=0): the vector is the real offset 0xd00, where the
    // zero word is an illegal instruction (the hypervisor emulation assist).
    assert.equal(g.status, "stopped");
    assert.equal(cpu.nia, 0xd00n);
    assert.deepEqual(after, [0xe40]);
  });

  it("the hooks see the trace with cpu.nia = the next address and can take it over", () => {
    const { m, cpu } = setup("li 3,7\nb 1f\nli 3,9\n1: blr");
    const seen: { vector: number; cia: bigint; nia: bigint }[] = [];
    const g = run(m, cpu, (i) => {
      seen.push({ vector: i.vector, cia: i.cia, nia: cpu.nia });
      return true;
    });
    assert.equal(g.status, "stopped");
    assert.deepEqual(seen, [{ vector: 0xd00, cia: BigInt(CODE), nia: BigInt(CODE + 4) }]);
  });

  it("stepping through a taken branch reports the branch target as the next address", () => {
    const { m, cpu } = setup("b 1f\nli 3,9\n1: li 3,5\nblr");
    const next: bigint[] = [];
    // Re-enter after each trace, as a debugger would (rfid back with SE set).
    for (let i = 0; i < 4; i++) {
      const g = run(m, cpu, () => {
        next.push(cpu.nia);
        return true;
      });
      if (g.status === "returned") break;
    }
    assert.deepEqual(next, [BigInt(CODE + 8), BigInt(CODE + 12), SENTINEL]);
    assert.equal(cpu.gpr[3], 5n);
  });

  it("an instruction that raises an interrupt is not followed by a trace interrupt", () => {
    const { m, cpu } = setup("trap\nblr");
    const vectors: number[] = [];
    run(m, cpu, (i) => {
      vectors.push(i.vector);
      return true;
    });
    assert.deepEqual(vectors, [0x700]);
  });

  it("with MSR[SE]=0 no trace interrupt is taken", () => {
    const { m, cpu } = setup("li 3,7\nli 4,8\nblr");
    cpu.msrLo = LE;
    const vectors: number[] = [];
    const g = run(m, cpu, (i) => {
      vectors.push(i.vector);
      return true;
    });
    assert.equal(g.status, "returned");
    assert.deepEqual(vectors, []);
    assert.equal(cpu.gpr[4], 8n);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DefaultChoices } from "../../src/machine/choices/default.ts";
import { RandomChoices } from "../../src/machine/choices/random.ts";
import { RecordingChoices } from "../../src/machine/choices/recording.ts";
import { ReplayChoices, ReplayDivergence } from "../../src/machine/choices/replay.ts";
import type { Cpu } from "../../src/machine/cpu.ts";
import { Machine } from "../../src/machine/machine.ts";
import { OpKind, type Task } from "../../src/machine/ops.ts";
import { ld, loadPte, st, storePte, waitUntil } from "../../src/machine/task-ops.ts";
import type { Choices } from "../../src/util/choices.ts";

const COUNTER = 0x8000n;
const ROUNDS = 5;

/** Non-atomic increment: load, then store load+1 (two steps, racy). */
function* incrementer(m: Machine, cpu: Cpu): Task {
  for (let i = 0; i < ROUNDS; i++) {
    const v = yield* ld(m, cpu, COUNTER, 8);
    if (typeof v !== "bigint") throw new Error("fault");
    yield* st(m, cpu, COUNTER, 8, v + 1n);
  }
}

function counterRun(choices: Choices) {
  const m = new Machine({ cpus: 3, memoryBytes: 1 << 20 });
  const trace: string[] = [];
  m.addStepHook((mm, cpu, next) => {
    trace.push(`${mm.steps} ${mm.tb} cpu${cpu.id} ${next} ${cpu.pending.ea.toString(16)}`);
  });
  for (const c of m.cpus) m.spawn(c.id, incrementer(m, c));
  const result = m.run(choices);
  return { result, counter: m.mem.read64(Number(COUNTER)), trace: trace.join("\n") };
}

describe("stepping machine", () => {
  it("replaying a recorded 3-CPU schedule reproduces memory and trace byte for byte", () => {
    const rec = new RecordingChoices(new RandomChoices(42));
    const first = counterRun(rec);
    assert.equal(first.result.status, "done");
    const replay = new ReplayChoices(rec.schedule);
    const second = counterRun(replay);
    assert.equal(replay.finished, true);
    assert.equal(second.counter, first.counter);
    assert.equal(second.trace, first.trace);
  });

  it("a step hook sees a page-table access's real address and size in cpu.pending", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    const seen: string[] = [];
    m.addStepHook((_mm, cpu, next) => {
      const p = cpu.pending;
      seen.push(`${next} ${p.ea.toString(16)} ${p.size}`);
    });
    const c = m.cpus[0]!;
    m.spawn(
      0,
      (function* (): Task {
        yield* storePte(m, c, 0x4008, 0x8000_0000_0000_0123n);
        yield* ld(m, c, COUNTER, 4);
        yield* loadPte(m, c, 0x4008);
      })(),
    );
    assert.equal(m.run(new DefaultChoices()).status, "done");
    assert.deepEqual(seen, [
      `${OpKind.PTE_WRITE} 4008 8`,
      `${OpKind.LOAD} 8000 4`,
      `${OpKind.PTE_READ} 4008 8`,
      `-1 4008 8`,
    ]);
    assert.equal(m.mem.readBe64(0x4008), 0x8000_0000_0000_0123n);
  });

  it("different schedules give different results: serial 15, interleaved loses updates", () => {
    const serial = counterRun(new DefaultChoices());
    assert.equal(serial.counter, BigInt(3 * ROUNDS));
    // Round-robin: every CPU loads before any stores → each round adds 1.
    let turn = 0;
    const rr: Choices = {
      pickCpu: (r) => r[turn++ % r.length]!,
      deliverInterrupt: () => false,
      failAllocation: () => false,
      random: () => 0,
    };
    const interleaved = counterRun(rr);
    assert.equal(interleaved.counter, BigInt(ROUNDS));
    assert.notEqual(interleaved.trace, serial.trace);
  });

  it("a diverging replay fails clearly", () => {
    const rec = new RecordingChoices(new RandomChoices(7));
    counterRun(rec);
    const bad = [...rec.schedule];
    bad[0] = 9; // no CPU 9
    assert.throws(() => counterRun(new ReplayChoices(bad)), ReplayDivergence);
    assert.throws(() => counterRun(new ReplayChoices(rec.schedule.slice(0, 3))), /exhausted/);
  });

  it("does not consult Choices when only one CPU is runnable", () => {
    const m = new Machine({ cpus: 4, memoryBytes: 1 << 20 });
    m.spawn(2, incrementer(m, m.cpu(2)));
    const rec = new RecordingChoices(new DefaultChoices());
    const r = m.run(rec);
    assert.equal(r.status, "done");
    assert.equal(rec.schedule.length, 0);
    assert.equal(r.steps, 2 * ROUNDS + 1);
    assert.equal(m.tb, r.steps * 512);
  });

  it("a blocked CPU is not runnable; mutual waiting is reported as deadlock", () => {
    const m = new Machine({ cpus: 2, memoryBytes: 1 << 20 });
    const flags = [false, false];
    function* waiter(me: number, other: number): Task {
      yield OpKind.OTHER;
      yield* waitUntil(m.cpu(me), () => flags[other]!);
      flags[me] = true;
    }
    m.spawn(0, waiter(0, 1));
    m.spawn(1, waiter(1, 0));
    const r = m.run(new DefaultChoices());
    assert.equal(r.status, "deadlock");
    assert.deepEqual(r.unfinished, [0, 1]);
  });

  it("a waiting CPU resumes once the condition holds", () => {
    const m = new Machine({ cpus: 2, memoryBytes: 1 << 20 });
    let released = false;
    const order: string[] = [];
    m.spawn(
      0,
      (function* (): Task {
        yield* waitUntil(m.cpu(0), () => released);
        order.push("cpu0 acquired");
      })(),
    );
    m.spawn(
      1,
      (function* (): Task {
        yield OpKind.OTHER;
        yield OpKind.OTHER;
        order.push("cpu1 releases");
        released = true;
      })(),
    );
    const r = m.run(new DefaultChoices());
    assert.equal(r.status, "done");
    assert.deepEqual(order, ["cpu1 releases", "cpu0 acquired"]);
  });

  it("stops at maxSteps", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    m.spawn(0, incrementer(m, m.cpu(0)));
    assert.equal(m.run(new DefaultChoices(), { maxSteps: 3 }).status, "max-steps");
    assert.equal(m.steps, 3);
  });

  it("offers a pending external interrupt through Choices only with MSR[EE]=1, and runs its handler first", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    const c = m.cpu(0);
    const log: string[] = [];
    m.interruptEntry = (_m, _cpu, vector) =>
      (function* (): Task {
        yield OpKind.OTHER;
        log.push(`handler ${vector.toString(16)}`);
      })();
    c.externalPending = true;
    m.spawn(
      0,
      (function* (): Task {
        yield OpKind.OTHER;
        log.push("ee on");
        c.msr = 0x9000_0000_0000_9033n; // MSR_KERNEL | EE
        yield OpKind.IRQ_ENABLE;
        log.push("after");
      })(),
    );
    const asked: string[] = [];
    const r = m.run({
      pickCpu: (rr) => rr[0]!,
      deliverInterrupt: (cpu, kind) => {
        asked.push(`${cpu} ${kind}`);
        return true;
      },
      failAllocation: () => false,
      random: () => 0,
    });
    assert.equal(r.status, "done");
    assert.deepEqual(asked, ["0 external"]);
    assert.deepEqual(log, ["ee on", "handler 500", "after"]);
    assert.equal(c.ee, false, "interrupt entry clears EE");
  });
});

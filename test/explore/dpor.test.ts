// Partial-order reduction against plain enumeration on small machine-level
// programs: dpor must reach every outcome the full enumeration reaches (a
// missed dependency would lose one), and in fewer executions where steps
// are independent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Controller, type Policy } from "../../src/explore/controller.ts";
import type { StepRecord } from "../../src/explore/execution.ts";
import { FootprintRecorder } from "../../src/explore/footprint.ts";
import { Dfs } from "../../src/explore/strategies/dfs.ts";
import { type DporJob, DporRun, DporTree } from "../../src/explore/strategies/dpor.ts";
import { Machine } from "../../src/machine/machine.ts";
import { OpKind, type Task } from "../../src/machine/ops.ts";
import { ld, st, visible, waitUntil } from "../../src/machine/task-ops.ts";

type Op =
  | { kind: "st"; addr: number; value: number }
  | { kind: "ld"; addr: number }
  | { kind: "lock" }
  | { kind: "unlock" };

const lock = { name: "l", owner: -1 };

function task(m: Machine, cpu: number, ops: readonly Op[], seen: number[]): Task {
  const c = m.cpu(cpu);
  return (function* () {
    for (const o of ops) {
      if (o.kind === "st") yield* st(m, c, BigInt(o.addr), 8, BigInt(o.value));
      else if (o.kind === "ld") seen.push(Number((yield* ld(m, c, BigInt(o.addr), 8)) as bigint));
      else if (o.kind === "lock") {
        yield* visible(c, OpKind.LOCK, lock);
        if (lock.owner !== -1) yield* waitUntil(c, () => lock.owner === -1, lock);
        lock.owner = cpu;
      } else {
        yield* visible(c, OpKind.UNLOCK, lock);
        lock.owner = -1;
      }
    }
  })();
}

/** One execution of `program` (ops per CPU) under `policy`; returns its outcome and steps. */
function execute(program: readonly (readonly Op[])[], prefix: readonly number[], policy: Policy) {
  lock.owner = -1;
  const m = new Machine({ cpus: program.length, memoryBytes: 1 << 20 });
  const rec = new FootprintRecorder();
  m.footprint = rec;
  const seen = program.map(() => [] as number[]);
  program.forEach((ops, cpu) => {
    m.spawn(cpu, task(m, cpu, ops, seen[cpu]!));
  });
  const ctl = new Controller(prefix, policy, {
    seed: 0,
    injectAlloc: false,
    injectCpuhp: false,
    steps: () => m.steps,
  });
  const steps: StepRecord[] = [];
  ctl.trace = steps;
  const announced = new Map<number, { op: number; object: unknown }>();
  let decisionsSeen = 0;
  m.addStepHook((_m, cpu, next) => {
    const ann = announced.get(cpu.id);
    if (
      ann !== undefined &&
      (ann.op === OpKind.LOCK || ann.op === OpKind.UNLOCK || ann.op === OpKind.WAIT)
    ) {
      rec.object(ann.object as object, true);
    }
    let decision = -1;
    for (let i = decisionsSeen; i < ctl.decisions.length; i++) decision = i;
    decisionsSeen = ctl.decisions.length;
    steps.push({
      index: steps.length,
      cpu: cpu.id,
      op: (ann?.op ?? OpKind.START) as OpKind,
      addr: 0n,
      object: null,
      fn: "",
      file: "",
      fp: rec.take(),
      decision,
      irq: false,
    });
    if (next !== -1) announced.set(cpu.id, { op: next, object: cpu.pending.object });
    if (policy.redundant?.(ctl, () => m.runnable()) === true) m.abort();
  });
  const run = m.run(ctl);
  const memory = [0x100, 0x108, 0x110].map((a) => Number(m.mem.readBe64(a)));
  return {
    outcome: JSON.stringify({ seen, memory, status: run.status }),
    steps,
    status: run.status,
  };
}

function outcomesBy(program: readonly (readonly Op[])[], strategy: "dpor" | "dfs") {
  const outcomes = new Set<string>();
  let executions = 0;
  if (strategy === "dfs") {
    const dfs = new Dfs();
    let prefix: readonly number[] | null = dfs.begin();
    while (prefix !== null) {
      outcomes.add(execute(program, prefix, dfs).outcome);
      executions++;
      prefix = dfs.next();
    }
  } else {
    const tree = new DporTree();
    let job: DporJob | null = tree.begin();
    while (job !== null) {
      const run = new DporRun(job);
      const r = execute(program, job.prefix, run);
      if (r.status !== "aborted") outcomes.add(r.outcome);
      executions++;
      job = tree.commit(job, run.trace(r.steps));
    }
  }
  return { outcomes, executions };
}

const X = 0x100;
const Y = 0x108;
const Z = 0x110;
const PROGRAMS: Record<string, Op[][]> = {
  "store buffering": [
    [
      { kind: "st", addr: X, value: 1 },
      { kind: "ld", addr: Y },
    ],
    [
      { kind: "st", addr: Y, value: 1 },
      { kind: "ld", addr: X },
    ],
  ],
  "independent CPUs": [
    [
      { kind: "st", addr: X, value: 1 },
      { kind: "ld", addr: X },
      { kind: "st", addr: X, value: 2 },
    ],
    [
      { kind: "st", addr: Y, value: 1 },
      { kind: "ld", addr: Y },
      { kind: "st", addr: Y, value: 2 },
    ],
    [
      { kind: "st", addr: Z, value: 1 },
      { kind: "ld", addr: Z },
    ],
  ],
  "lost update without the lock, exact with it": [
    [
      { kind: "ld", addr: X },
      { kind: "st", addr: X, value: 1 },
      { kind: "lock" },
      { kind: "ld", addr: Y },
      { kind: "st", addr: Y, value: 1 },
      { kind: "unlock" },
    ],
    [
      { kind: "ld", addr: X },
      { kind: "st", addr: X, value: 2 },
      { kind: "lock" },
      { kind: "ld", addr: Y },
      { kind: "st", addr: Y, value: 2 },
      { kind: "unlock" },
    ],
  ],
  "three writers, one reader": [
    [{ kind: "st", addr: X, value: 1 }],
    [{ kind: "st", addr: X, value: 2 }],
    [
      { kind: "ld", addr: X },
      { kind: "ld", addr: X },
    ],
  ],
};

describe("dpor against full enumeration", () => {
  for (const [name, program] of Object.entries(PROGRAMS)) {
    it(`${name}: the same outcomes`, () => {
      const full = outcomesBy(program, "dfs");
      const reduced = outcomesBy(program, "dpor");
      assert.deepEqual([...reduced.outcomes].sort(), [...full.outcomes].sort());
      assert.ok(
        reduced.executions <= full.executions,
        `${reduced.executions} > ${full.executions}`,
      );
    });
  }

  it("reduces independent CPUs to one execution per outcome class", () => {
    const full = outcomesBy(PROGRAMS["independent CPUs"]!, "dfs");
    const reduced = outcomesBy(PROGRAMS["independent CPUs"]!, "dpor");
    assert.equal(full.outcomes.size, 1);
    assert.equal(reduced.executions, 1);
    assert.ok(full.executions > 100, `${full.executions}`);
  });

  it("store buffering: all three sequentially consistent outcomes, never both loads 0", () => {
    const r = outcomesBy(PROGRAMS["store buffering"]!, "dpor");
    const seen = [...r.outcomes].map((o) =>
      (JSON.parse(o) as { seen: number[][] }).seen.flat().join(","),
    );
    assert.deepEqual(seen.sort(), ["0,1", "1,0", "1,1"]);
  });
});

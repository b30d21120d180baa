// The reductions against random scheduling on the real kernel: every final
// machine state (memory, TLBs, icaches) with what the threads saw that random
// schedules reach must be one the exhaustive dpor search reaches too. A dependency the footprints
// miss loses a schedule's order of two steps, and with it a final state.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { check } from "../../src/api/check.ts";
import { machineFingerprint } from "../../src/explore/fingerprint.ts";

function finals(o: Parameters<typeof check>[0]): { set: Set<string>; runs: number } {
  const set = new Set<string>();
  let runs = 0;
  const r = check({
    ...o,
    observe: (x, status) => {
      if (status !== "done" || x.redundant || x.violation !== null) return;
      runs++;
      // What the scenario's threads saw too (each CPU's in its own order, the
      // CPUs' interleaving left out): the words each `execute` fetched, each patch's result.
      const perCpu = (l: string[][]) => l.map((c) => c.join(",")).join(";");
      const seen = perCpu(
        x.m.cpus.map((c) =>
          x.executions.filter((e) => e.cpu === c.id).map((e) => e.words.join(":")),
        ),
      );
      const errs = perCpu(
        x.m.cpus.map((c) => x.patches.filter((p) => p.cpu === c.id).map((p) => String(p.err))),
      );
      set.add(`${machineFingerprint(x.m)} ${seen} ${errs}`);
    },
  });
  assert.notEqual(r.results[0]?.verdict, "violation", r.results[0]?.line);
  return { set, runs };
}

const CASES: { scenario: string; cpus: number; random: number; mmu?: "hash" }[] = [
  { scenario: "execute-vs-patch", cpus: 2, random: 300 },
  { scenario: "concurrent-patch", cpus: 3, random: 60 },
  { scenario: "patch-vs-hotplug", cpus: 3, random: 60 },
  { scenario: "patch-in-irq", cpus: 1, random: 60 },
  { scenario: "patch-same-word", cpus: 3, random: 60 },
  // The hash MMU: patching through a vmalloc area, tlbie broadcasts to every CPU.
  { scenario: "concurrent-patch", cpus: 3, random: 60, mmu: "hash" },
  { scenario: "execute-vs-patch", cpus: 2, random: 150, mmu: "hash" },
  { scenario: "patch-vs-hotplug", cpus: 3, random: 60, mmu: "hash" },
];

describe("dpor reaches every final state random schedules reach", () => {
  for (const c of CASES) {
    it(`${c.scenario}, ${c.cpus} CPUs${c.mmu === undefined ? "" : `, ${c.mmu}`}`, () => {
      const common = {
        cpus: c.cpus,
        ...(c.mmu !== undefined ? { mmu: c.mmu } : {}),
        scenarios: [c.scenario],
        suppress: ["no-leak@put_patching_mm"],
        // Final states are compared as they are, not up to swapping CPUs.
        symmetry: false,
      };
      const exhaustive = finals({ ...common, strategy: "dpor", seed: 11 });
      const random = finals({ ...common, strategy: "random", executions: c.random, seed: 11 });
      assert.ok(random.runs > 0);
      const missed = [...random.set].filter((f) => !exhaustive.set.has(f));
      assert.deepEqual(
        missed,
        [],
        `dpor: ${exhaustive.set.size} states in ${exhaustive.runs} runs; random: ${random.set.size}`,
      );
      process.stderr.write(
        `# ${c.scenario}: dpor ${exhaustive.set.size} states / ${exhaustive.runs} runs, random ${random.set.size} states\n`,
      );
    });
  }
});

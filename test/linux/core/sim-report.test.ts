// The model's reports of silent corruption: kept per kernel, in order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportToSim, simReports } from "../../../src/linux/core/sim-report.ts";
import { testKernel } from "../helpers/kernel.ts";

describe("sim reports", () => {
  it("are kept per kernel, oldest first", () => {
    const a = testKernel();
    const b = testKernel();
    assert.deepEqual(simReports(a), []);
    reportToSim(a, 1, "use-after-free", "first");
    reportToSim(a, 0, "double-free", "second");
    assert.deepEqual(simReports(a), [
      { kind: "use-after-free", cpu: 1, message: "first" },
      { kind: "double-free", cpu: 0, message: "second" },
    ]);
    assert.deepEqual(simReports(b), []);
  });
});

// Every memory instruction the interpreter executes is announced as a load
// or a store step: one that is neither would be an access nobody (scheduler,
// checker) sees.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memorySems, opKindOf } from "../../../src/machine/exec/index.ts";
import { OpKind } from "../../../src/machine/ops.ts";

describe("opKindOf", () => {
  it("classifies every memory sem as a load or a store", () => {
    const sems = memorySems();
    assert.ok(sems.length > 50, `${sems.length} memory sems`);
    for (const sem of sems) {
      const k = opKindOf({ sem }, 0);
      assert.ok(k === OpKind.LOAD || k === OpKind.STORE, `${sem}: ${k}`);
    }
  });

  it("stores are stores and loads are loads", () => {
    for (const [sem, kind] of [
      ["lwz", OpKind.LOAD],
      ["ld", OpKind.LOAD],
      ["lxv", OpKind.LOAD],
      ["stw", OpKind.STORE],
      ["std", OpKind.STORE],
      ["stxv", OpKind.STORE],
    ] as const) {
      if (memorySems().includes(sem)) assert.equal(opKindOf({ sem }, 0), kind, sem);
    }
  });

  it("register-only operations of the VSX and prefixed modules are no memory step", () => {
    for (const sem of ["fmr", "xxspltiw", "paddi", "vand"]) {
      assert.ok(!memorySems().includes(sem), sem);
      assert.equal(opKindOf({ sem }, 0), 0, sem);
    }
  });
});

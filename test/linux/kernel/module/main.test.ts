// Expected text follows print_modules()/module_flags(), kernel/module/main.c:
// "Modules linked in:" then " name(flags)" and " [last unloaded: name]".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moduleFlags, printModules } from "../../../../src/linux/kernel/module/main.ts";
import {
  TAINT_OOT_MODULE,
  TAINT_UNSIGNED_MODULE,
  TAINT_WARN,
} from "../../../../src/linux/kernel/panic.ts";

describe("print_modules", () => {
  it("prints the bare header at boot (the seed's line)", () => {
    assert.deepEqual(printModules([]), { level: 4, text: "Modules linked in:" });
  });
  it("prints modules with their taint/state flags and the last unloaded one", () => {
    const oe = (1 << TAINT_OOT_MODULE) | (1 << TAINT_UNSIGNED_MODULE) | (1 << TAINT_WARN);
    assert.equal(moduleFlags({ name: "x", taints: oe }), "(OE)");
    assert.equal(
      printModules(
        [{ name: "kprobe_example", taints: oe, state: "coming" }, { name: "xfs" }],
        "test_module",
      ).text,
      "Modules linked in: kprobe_example(OE+) xfs [last unloaded: test_module]",
    );
  });
});

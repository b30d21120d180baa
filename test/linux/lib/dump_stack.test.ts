// dump_stack_print_info(), lib/dump_stack.c (v6.2): "CPU: %d PID: %d Comm:
// %.20s %s%s %s %.*s" (version up to its first space) and "Hardware name:";
// the seed shows "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-rc2+ #1".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addTaint, TAINT_DIE } from "../../../src/linux/kernel/panic.ts";
import { dumpStackPrintInfo } from "../../../src/linux/lib/dump_stack.ts";

describe("dump_stack_print_info", () => {
  const info = {
    cpu: 0,
    pid: 1,
    comm: "swapper/0",
    taint: 0,
    release: "6.1.0-rc2+",
    version: "#1 SMP Fri Dec 16 12:43:12 AEDT 2022",
    hardwareName: "IBM PowerNV (emulated by qemu) POWER9 0x4e1200 opal:v7.0 PowerNV",
  };
  it("prints the seed's CPU and Hardware name lines", () => {
    assert.deepEqual(
      dumpStackPrintInfo(info).map((l) => l.text),
      [
        "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-rc2+ #1",
        "Hardware name: IBM PowerNV (emulated by qemu) POWER9 0x4e1200 opal:v7.0 PowerNV",
      ],
    );
  });
  it("prints Kdump and the taint columns; no Hardware name line when unset", () => {
    const { hardwareName: _, ...rest } = info;
    const lines = dumpStackPrintInfo({
      ...rest,
      cpu: 3,
      taint: addTaint(0, TAINT_DIE),
      kdumpLoaded: true,
    });
    assert.deepEqual(
      lines.map((l) => l.text),
      [
        `CPU: 3 PID: 1 Comm: swapper/0 Kdump: loaded Tainted: G      D${" ".repeat(11)} 6.1.0-rc2+ #1`,
      ],
    );
  });
});

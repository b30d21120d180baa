// Expected text follows kernel/panic.c (v6.2): taint_flags[] order and
// letters, print_tainted(), print_oops_end_marker(), __warn() and panic(),
// and boot-and-oops.md §4–§6 (reference): the end-marker and panic lines and
// the real WARNING header "WARNING: CPU: 3 PID: 650 at kernel/trace/ftrace.c:2066
// ftrace_bug+0x28c/0x2e8".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kallsyms } from "../../../src/linux/kernel/kallsyms.ts";
import {
  __warn,
  __warnPrintk,
  addTaint,
  panic,
  printOopsEndMarker,
  printTainted,
  TAINT_DIE,
  TAINT_PROPRIETARY_MODULE,
  TAINT_TEST,
  TAINT_WARN,
} from "../../../src/linux/kernel/panic.ts";

// The 19 taint columns of v6.2 in order: P F S R M B U D A W C I O E L K X T N.
const COLUMNS = "PFSRMBUDAWCIOELKXTN";
function expectedTaint(letters: string): string {
  let s = "Tainted: ";
  for (const c of COLUMNS) s += letters.includes(c) ? c : c === "P" ? "G" : " ";
  return s;
}

describe("print_tainted", () => {
  it("prints Not tainted for a clean kernel", () => {
    assert.equal(printTainted(0), "Not tainted");
  });
  it("prints W in its column with G first after a WARN", () => {
    const s = printTainted(addTaint(0, TAINT_WARN));
    assert.equal(s, "Tainted: G        W         ");
    assert.equal(s, expectedTaint("W"));
  });
  it("prints D (and W) as the die path adds them", () => {
    const d = addTaint(0, TAINT_DIE);
    assert.equal(printTainted(d), expectedTaint("D"));
    assert.equal(printTainted(addTaint(d, TAINT_WARN)), "Tainted: G      D W         ");
  });
  it("prints P instead of G and N last", () => {
    const m = addTaint(addTaint(0, TAINT_PROPRIETARY_MODULE), TAINT_TEST);
    assert.equal(printTainted(m), expectedTaint("PN"));
    assert.ok(printTainted(m).endsWith("N"));
  });
});

describe("oops end marker and panic", () => {
  it("prints the v5.19+ end-of-trace marker", () => {
    assert.deepEqual(printOopsEndMarker(), {
      level: 4,
      text: "---[ end trace 0000000000000000 ]---",
    });
  });
  it("panic with timeout 0 prints the message and the end marker at KERN_EMERG, dropping one newline", () => {
    const lines = panic("Attempted to kill init! exitcode=0x00000005\n", {
      taint: addTaint(0, TAINT_DIE),
      panicTimeout: 0,
      dumpStack: [{ level: 4, text: "should not appear" }],
    });
    assert.deepEqual(lines, [
      { level: 0, text: "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000005" },
      {
        level: 0,
        text: "---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000005 ]---",
      },
    ]);
  });
  it("panic with a timeout prints Rebooting and no end marker; without taint D it dumps the stack", () => {
    const lines = panic("VFS: Unable to mount root fs", {
      taint: 0,
      panicTimeout: 10,
      dumpStack: [{ level: 4, text: "Call Trace:" }],
    });
    assert.deepEqual(
      lines.map((l) => l.text),
      [
        "Kernel panic - not syncing: VFS: Unable to mount root fs",
        "Call Trace:",
        "Rebooting in 10 seconds..",
      ],
    );
    assert.equal(panic("x", { taint: 0, panicTimeout: -1 }).length, 1);
  });
});

describe("__warn", () => {
  const ks = new Kallsyms([
    { name: "ftrace_bug", address: 0xc000_0000_0028_0000n, size: 0x2e8, type: "T" },
  ]);
  const caller = ks.sprintSymbol(0xc000_0000_0028_0000n + 0x28cn);
  it("prints the reference's WARNING header, modules, the dump and the end marker", () => {
    const lines = __warn({
      cpu: 3,
      pid: 650,
      file: "kernel/trace/ftrace.c",
      line: 2066,
      caller,
      modules: [{ level: 4, text: "Modules linked in:" }],
      regsOrStack: [{ level: 4, text: "<regs>" }],
    });
    assert.deepEqual(
      lines.map((l) => l.text),
      [
        "WARNING: CPU: 3 PID: 650 at kernel/trace/ftrace.c:2066 ftrace_bug+0x28c/0x2e8",
        "Modules linked in:",
        "<regs>",
        "---[ end trace 0000000000000000 ]---",
      ],
    );
    assert.equal(lines[0]!.level, 4);
  });
  it("without file info prints 'at <sym>'", () => {
    const lines = __warn({
      cpu: 0,
      pid: 1,
      file: undefined,
      line: 0,
      caller,
      modules: [],
      regsOrStack: [],
    });
    assert.equal(lines[0]!.text, "WARNING: CPU: 0 PID: 1 at ftrace_bug+0x28c/0x2e8");
  });
  it("WARN(cond, fmt) prints the cut line and the message before trapping", () => {
    assert.deepEqual(
      __warnPrintk("Failed to create text area for cpu 3\n").map((l) => l.text),
      ["------------[ cut here ]------------", "Failed to create text area for cpu 3"],
    );
  });
});

// The bug table and report_bug() text, lib/bug.c and
// include/asm-generic/bug.h (v6.2): entry = s32 bug_addr_disp, s32 file_disp
// (each relative to its own address), u16 line, u16 flags; WARNING 1, ONCE 2,
// DONE 4, NO_CUT_HERE 8, taint << 8; "kernel BUG at %s:%u!" at KERN_CRIT
// after the cut line; a WARN_ONCE reports once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TAINT_WARN } from "../../../src/linux/kernel/panic.ts";
import {
  __reportBug,
  BUG_ENTRY_SIZE,
  BUG_GET_TAINT,
  BUGFLAG_NO_CUT_HERE,
  BUGFLAG_ONCE,
  BUGFLAG_TAINT,
  BUGFLAG_WARNING,
  type BugEntry,
  decodeBugEntry,
  encodeBugEntry,
} from "../../../src/linux/lib/bug.ts";

const K = 0xc000_0000_0000_0000n;

describe("struct bug_entry", () => {
  it("decodes relative displacements from each field's own address, little-endian", () => {
    // entry at K+0x1000: bug at K+0x800 (disp -0x800), file string at K+0x2004+0x10 (disp +0x1010 from K+0x1004)
    const bytes = new Uint8Array([
      0x00, 0xf8, 0xff, 0xff, 0x10, 0x10, 0x00, 0x00, 0x4d, 0x01, 0x09, 0x09,
    ]);
    const e = decodeBugEntry(bytes, 0, K + 0x1000n);
    assert.deepEqual(e, { bugAddr: K + 0x800n, fileAddr: K + 0x2014n, line: 333, flags: 0x0909 });
    assert.equal(BUG_GET_TAINT(e), TAINT_WARN);
    assert.equal(BUGFLAG_WARNING | BUGFLAG_NO_CUT_HERE | BUGFLAG_TAINT(TAINT_WARN), 0x0909);
    assert.deepEqual(encodeBugEntry(e, K + 0x1000n), bytes);
    assert.equal(BUG_ENTRY_SIZE, 12);
  });
});

describe("report_bug", () => {
  const warnCtx = () => ({
    cpu: 2,
    pid: 1,
    caller: "text_area_cpu_up_mm+0x1c4/0x2a0",
    modules: [{ level: 4 as const, text: "Modules linked in:" }],
    regsOrStack: [],
  });
  it("is none for an address outside the table", () => {
    assert.deepEqual(__reportBug([[]], K, warnCtx), { type: "none", lines: [] });
  });
  it("prints the cut line and kernel BUG at file:line! (KERN_CRIT) for a BUG", () => {
    const table: BugEntry[] = [
      { bugAddr: K + 4n, file: "arch/powerpc/mm/pgtable.c", line: 333, flags: 0 },
    ];
    const r = __reportBug([[], table], K + 4n, warnCtx);
    assert.equal(r.type, "bug");
    assert.deepEqual(r.lines, [
      { level: 4, text: "------------[ cut here ]------------" },
      { level: 2, text: "kernel BUG at arch/powerpc/mm/pgtable.c:333!" },
    ]);
  });
  it("prints a WARN_ONCE once, with the WARNING block, and returns its taint", () => {
    const entry: BugEntry = {
      bugAddr: K + 8n,
      file: "arch/powerpc/lib/code-patching.c",
      line: 219,
      flags: BUGFLAG_WARNING | BUGFLAG_ONCE | BUGFLAG_TAINT(TAINT_WARN),
    };
    const first = __reportBug([[entry]], K + 8n, warnCtx);
    assert.equal(first.type, "warn");
    assert.equal(first.taint, TAINT_WARN);
    assert.deepEqual(
      first.lines.map((l) => l.text),
      [
        "------------[ cut here ]------------",
        "WARNING: CPU: 2 PID: 1 at arch/powerpc/lib/code-patching.c:219 text_area_cpu_up_mm+0x1c4/0x2a0",
        "Modules linked in:",
        "---[ end trace 0000000000000000 ]---",
      ],
    );
    assert.deepEqual(__reportBug([[entry]], K + 8n, warnCtx), { type: "warn", lines: [] });
  });
  it("skips the cut line for WARN(cond, fmt) entries (NO_CUT_HERE)", () => {
    const entry: BugEntry = {
      bugAddr: K,
      file: "f.c",
      line: 1,
      flags: BUGFLAG_WARNING | BUGFLAG_NO_CUT_HERE,
    };
    const r = __reportBug([[entry]], K, warnCtx);
    assert.match(r.lines[0]!.text, /^WARNING: CPU: 2 PID: 1 at f\.c:1 /);
  });
  it("is none when the address is not a valid bug address", () => {
    const table: BugEntry[] = [{ bugAddr: K, file: "f.c", line: 1, flags: 0 }];
    assert.equal(__reportBug([table], K, warnCtx, () => false).type, "none");
  });
});

// kprobes on GCC's POWER10 code (fixtures/kernel/prefixed-demo.o): a probe on
// the second word of a prefixed instruction is refused with the message of
// arch/powerpc/kernel/kprobes.c (v6.2), a probe on the prefixed instruction
// itself is planted. Which words are prefixes and suffixes comes from objdump.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../src/api/boot.ts";
import { tool } from "../../machine/exec/toolchain.ts";

const OBJ = new URL("../../../fixtures/kernel/prefixed-demo.o", import.meta.url).pathname;

/** Offsets in prefixed_demo of each prefixed instruction, from objdump -d. */
function prefixedOffsets(): number[] {
  const r = tool("powerpc64le-linux-gnu-objdump", ["-d", "-M", "power10", OBJ]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.toString().split("\n");
  const out: number[] = [];
  lines.forEach((l, i) => {
    const m = /^\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} ){4}\s*(p\w+)/.exec(l);
    // A prefixed instruction prints its suffix bytes on the next line, with no mnemonic.
    if (m !== null && /^\s+[0-9a-f]+:\s+(?:[0-9a-f]{2} ){4}\s*$/.test(lines[i + 1] ?? ""))
      out.push(Number.parseInt(m[1]!, 16));
  });
  return out;
}

describe("kprobes on prefixed instructions", () => {
  it("refuse the second word of each prefixed instruction, accept the instruction", () => {
    const offs = prefixedOffsets();
    assert.equal(offs.length, 2, "GCC's pld and paddi");
    const specs = offs.flatMap((o) => [`prefixed_demo+${o + 4}`, `prefixed_demo+${o}`]);
    const r = boot({ kprobes: specs });
    assert.equal(r.exitCode, 0, r.dmesg);
    const lines = r.dmesg.split("\n").map((l) => l.replace(/^\[[ \d.]+\] /, ""));
    assert.equal(
      lines.filter(
        (l) => l === "Cannot register a kprobe on the second word of prefixed instruction",
      ).length,
      offs.length,
    );
    assert.deepEqual(
      r.kprobes.map((p) => p.ret),
      offs.flatMap(() => [-22, 0]),
    );
  });
});

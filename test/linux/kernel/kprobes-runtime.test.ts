// kprobes at run time on the booted kernel: the trap over the probed word,
// kprobe_handler, emulation or single-step from the slot, the trace
// interrupt and kprobe_post_handler. Expected values come from outside the
// model: hit counts from the C source of the compiled self-test
// (fixtures/kernel/crc32test.c calls crc32_le once, over a 69-byte vector;
// crc32.c's loop runs once per byte), instruction offsets and words from
// GNU objdump of the fixture objects, messages from
// arch/powerpc/kernel/kprobes.c and samples/kprobes/kprobe_example.c (v6.2).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type BootResult, boot } from "../../../src/api/boot.ts";
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { getKprobe } from "../../../src/linux/include/linux/kprobes.ts";
import { unregisterKprobe } from "../../../src/linux/kernel/kprobes.ts";
import { kprobeExamples } from "../../../src/linux/kernel/kprobes-example.ts";
import { FaultKind, isFault } from "../../../src/machine/mmu/fault.ts";
import { ld, st } from "../../../src/machine/task-ops.ts";
import { tool } from "../../machine/exec/toolchain.ts";

const FIXTURES = new URL("../../../fixtures/kernel/", import.meta.url).pathname;
/** `trap` (tw 31,0,0), as GNU as assembles it. */
const TRAP = 0x7fe0_0008;

/** objdump -d of a fixture object: symbol → [{offset, word, mnemonic}]. */
function objdump(object: string): Map<string, { off: number; word: number; mn: string }[]> {
  const r = tool("powerpc64le-linux-gnu-objdump", ["-d", `${FIXTURES}${object}`]);
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, { off: number; word: number; mn: string }[]>();
  let cur: { off: number; word: number; mn: string }[] | null = null;
  let base = 0;
  for (const line of r.stdout.toString().split("\n")) {
    const sym = /^([0-9a-f]+) <([^>]+)>:$/.exec(line);
    if (sym !== null) {
      base = Number.parseInt(sym[1]!, 16);
      cur = [];
      out.set(sym[2]!, cur);
      continue;
    }
    const ins = /^\s+([0-9a-f]+):\s+((?:[0-9a-f]{2} ){4})\s*(\S+)/.exec(line);
    if (ins === null || cur === null) continue;
    const b = ins[2]!.trim().split(" ");
    const word = Number.parseInt(`${b[3]}${b[2]}${b[1]}${b[0]}`, 16); // little-endian bytes
    cur.push({ off: Number.parseInt(ins[1]!, 16) - base, word, mn: ins[3]! });
  }
  return out;
}

const crc32 = objdump("crc32.o").get("crc32_le")!;
/** The loop's closing `bne` (a relative branch: kprobes must emulate it). */
const bne = crc32.filter((i) => i.mn === "bne").at(-1)!;
/** The per-byte `lbzu` (a load: single-stepped from the slot). */
const lbzu = crc32.find((i) => i.mn === "lbzu")!;
/** Bytes crc32test_init checksums: the string literal without its NUL. */
const vectorLength = (() => {
  const src = readFileSync(`${FIXTURES}crc32test.c`, "utf8");
  const lit = /crc32test_buf\[\] =\s*"([^"]*)"/.exec(src)!;
  return lit[1]!.length;
})();
/** crc32test_init's calls of crc32_le, counted in its C source. */
const crc32Calls = (() => {
  const src = readFileSync(`${FIXTURES}crc32test.c`, "utf8");
  const body = src.slice(src.indexOf("crc32test_init(void)"));
  return body.match(/crc32_le\(/g)!.length;
})();

const selfTest = (r: BootResult) =>
  r.dmesg
    .split("\n")
    .filter((l) => l.includes("crc32: "))
    // The elapsed time differs: the probe's traps take time, as they would.
    .map((l) => l.replace(/^\[[ \d.]+\] /, "").replace(/in \d+ nsec/, "in N nsec"));

/** Run `fn` as PID 1 on CPU 0 of a booted kernel; returns its result. */
function onBootCpu<T>(k: Kernel, fn: (c: Ctx) => KGen<T>): T {
  const box: { v?: T } = {};
  const c: Ctx = { k, cpu: k.machine.cpu(0), current: k.tasks.get(1)! };
  k.machine.spawn(
    0,
    (function* () {
      box.v = yield* fn(c);
    })(),
  );
  assert.equal(k.machine.run(k.choices, { maxSteps: 1_000_000 }).status, "done");
  return box.v as T;
}

describe("kprobes at run time", () => {
  const plain = boot({});

  it("a kprobe on crc32_le fires once per call crc32test_init makes, and the self-test still passes", () => {
    assert.equal(crc32Calls, 1);
    const r = boot({ kprobes: ["crc32_le"] });
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(r.kprobes[0]!.hits, crc32Calls);
    assert.equal(r.kprobes[0]!.nmissed, 0);
    assert.deepEqual(selfTest(r), selfTest(plain));
    assert.match(selfTest(r).join("\n"), /self tests passed/);
    const addr = r.kernel.kallsyms.lookupName("crc32_le")!;
    const hex = addr.toString(16);
    const lines = r.dmesg.split("\n").map((l) => l.replace(/^\[[ \d.]+\] /, ""));
    assert.ok(lines.includes(`kprobe_init: Planted kprobe at ${hex.padStart(16, "0")}`));
    const pre = lines.filter((l) => l.startsWith("handler_pre: "));
    assert.equal(pre.length, crc32Calls);
    assert.match(
      pre[0]!,
      new RegExp(`^handler_pre: <crc32_le> p->addr = 0x${hex}, nip = 0x${hex}, msr = 0x[0-9a-f]+$`),
    );
    assert.equal(lines.filter((l) => l.startsWith("handler_post: <crc32_le>")).length, crc32Calls);
  });

  it("a probe on the loop's relative branch fires once per byte and branches from the probed address (emulated)", () => {
    const r = boot({ kprobes: [`crc32_le+${bne.off}`] });
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(r.kprobes[0]!.hits, vectorLength);
    assert.deepEqual(selfTest(r), selfTest(plain));
    assert.equal(getKprobe(r.kernel, r.kprobes[0]!.addr)!.ainsn.boostable, 1);
  });

  it("a probe on a load fires once per byte, single-stepped from the slot through the trace interrupt", () => {
    const r = boot({ kprobes: [`crc32_le+0x${lbzu.off.toString(16)}`] });
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(r.kprobes[0]!.hits, vectorLength);
    assert.deepEqual(selfTest(r), selfTest(plain));
    // Not emulated (a load): stepped, and kprobe_post_handler ran each time.
    assert.equal(getKprobe(r.kernel, r.kprobes[0]!.addr)!.ainsn.boostable, -1);
    const post = r.dmesg.split("\n").filter((l) => l.includes("handler_post: <crc32_le>"));
    assert.equal(post.length, vectorLength);
  });

  it("the probed word is `trap` while armed, the slot holds the original and is read-only, and unregister_kprobe restores the word", () => {
    const r = boot({ kprobes: ["crc32_le"] });
    const k = r.kernel;
    const kp = kprobeExamples(k)[0]!.kp;
    const original = crc32[0]!.word;
    const word = (a: bigint) =>
      onBootCpu(k, function* (c) {
        return yield* ld(k.machine, c.cpu, a, 4);
      });
    assert.equal(word(kp.addr), BigInt(TRAP));
    const slot = kp.ainsn.insn!;
    assert.equal(word(slot), BigInt(original));
    const fault = onBootCpu(k, function* (c) {
      return yield* st(k.machine, c.cpu, slot, 4, 0x6000_0000n);
    });
    assert.ok(isFault(fault) && fault.kind === FaultKind.DSI, "a store to the slot faults");
    assert.equal(word(slot), BigInt(original));
    onBootCpu(k, (c) => unregisterKprobe(c, kp));
    assert.equal(word(kp.addr), BigInt(original));
    assert.equal(getKprobe(k, kp.addr), undefined);
  });

  it("a probe on mtmsrd is refused with the kernel's message and -EINVAL, and the word is left alone", () => {
    const fn = objdump("hw_irq.o").get("__hard_irq_disable")!;
    const mtmsrd = fn.find((i) => i.mn === "mtmsrd")!;
    const r = boot({ kprobes: [`__hard_irq_disable+${mtmsrd.off}`] });
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(r.kprobes[0]!.ret, -22);
    const lines = r.dmesg.split("\n").map((l) => l.replace(/^\[[ \d.]+\] /, ""));
    const i = lines.indexOf(
      "Cannot register a kprobe on instructions that can't be single stepped",
    );
    assert.ok(i >= 0, r.dmesg);
    assert.equal(lines[i + 1], "kprobe_init: register_kprobe failed, returned -22");
    const k = r.kernel;
    const at = k.kallsyms.lookupName("__hard_irq_disable")! + BigInt(mtmsrd.off);
    const w = onBootCpu(k, function* (c) {
      return yield* ld(k.machine, c.cpu, at, 4);
    });
    assert.equal(w, BigInt(mtmsrd.word));
  });
});

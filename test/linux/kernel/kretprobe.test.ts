// kretprobes on compiled code (kernel/kprobes.c and arch/powerpc/kernel/kprobes.c,
// v6.2, without CONFIG_KRETPROBE_ON_RETHOOK; samples/kprobes/kretprobe_example.c).
// Expected values come from outside the model: return values from zlib's CRC-32
// (crc32_le(~0, p, n) == ~zlib.crc32(p[0..n)), as fixtures/kernel/crc32test.c
// states), the vector and the number of calls from the C source of the
// self-test, the messages and the default maxactive from the v6.2 sources.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { type BootResult, boot } from "../../../src/api/boot.ts";
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { callCompiled } from "../../../src/linux/image/call-compiled.ts";
import {
  getKprobe,
  type Kretprobe,
  newKretprobe,
  outstandingKretprobeInstances,
} from "../../../src/linux/include/linux/kprobes.ts";
import { runKernelThread } from "../../../src/linux/kernel/exit.ts";
import {
  KRETPROBE_MAX_DATA_SIZE,
  registerKretprobe,
  unregisterKretprobe,
} from "../../../src/linux/kernel/kprobes.ts";
import { kretprobeExamples, kretprobeExit } from "../../../src/linux/kernel/kretprobe-example.ts";
import { createKthread } from "../../../src/linux/kernel/kthread.ts";
import { ld } from "../../../src/machine/task-ops.ts";
import type { Choices } from "../../../src/util/choices.ts";
import { runOn } from "../helpers/run-kernel.ts";

const FIXTURES = new URL("../../../fixtures/kernel/", import.meta.url).pathname;
const crc32testSource = readFileSync(`${FIXTURES}crc32test.c`, "utf8");
/** The bytes crc32test_init checksums: the string literal without its NUL. */
const vector = Buffer.from(/crc32test_buf\[\] =\s*"([^"]*)"/.exec(crc32testSource)![1]!, "latin1");
/** crc32test_init's calls of crc32_le, counted in its C source. */
const crc32Calls = crc32testSource
  .slice(crc32testSource.indexOf("crc32test_init(void)"))
  .match(/crc32_le\(/g)!.length;
/** crc32_le(~0, p, n), by zlib: crc32_le has no pre/post inversion, zlib has both. */
const crc32LeOfOnes = (b: Uint8Array) => ~crc32(b) >>> 0;
/** crc32_le(seed, p, n) for any seed, by zlib (which inverts its seed and its result). */
const crc32Le = (seed: number, b: Uint8Array) => ~crc32(b, ~seed >>> 0) >>> 0;

const strip = (l: string) => l.replace(/^\[[ \d.]+\] /, "");
const lines = (r: BootResult) => r.dmesg.split("\n").map(strip);
const RETURNED = /^crc32_le returned (\d+) and took (-?\d+) ns to execute$/;

/** Every runnable CPU in turn, one step each: two calls overlap deterministically. */
class RoundRobin implements Choices {
  private last = -1;
  pickCpu(runnable: readonly number[]): number {
    const next = runnable.find((c) => c > this.last) ?? runnable[0]!;
    this.last = next;
    return next;
  }
  deliverInterrupt(): boolean {
    return true;
  }
  failAllocation(): boolean {
    return false;
  }
  random(): number {
    return 0;
  }
}

/** One kernel thread per CPU (0, 1, ...) running `bodies`, interleaved step by step. */
function interleaved(k: Kernel, bodies: readonly ((c: Ctx) => KGen<void>)[]): void {
  // No timer interrupts in the middle: only the threads' own steps interleave.
  for (const cpu of k.machine.cpus) cpu.writeDec(k.machine.tb, 0x7fff_ffff);
  bodies.forEach((body, cpu) => {
    const c: Ctx = { k, cpu: k.machine.cpu(cpu), current: createKthread(k, `test/${cpu}`) };
    k.machine.spawn(
      cpu,
      (function* () {
        yield* runKernelThread(c, body);
      })(),
    );
  });
  assert.equal(k.machine.run(new RoundRobin(), { maxSteps: 2_000_000 }).status, "done");
}

/** `len` bytes of kernel text at `addr`, read through the MMU (the call's input). */
function textBytes(k: Kernel, addr: bigint, len: number): Uint8Array {
  return runOn(k, 0, function* (c) {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = Number(yield* ld(k.machine, c.cpu, addr + BigInt(i), 1));
    return out;
  });
}

/** Register `rp` from a thread of the booted kernel; returns register_kretprobe's value. */
const register = (k: Kernel, rp: Kretprobe) => runOn(k, 0, (c) => registerKretprobe(c, rp));

describe("kretprobes on compiled code", () => {
  const plain = boot({});
  const r = boot({ kretprobes: ["crc32_le"] });
  const k = r.kernel;
  const addr = k.kallsyms.lookupName("crc32_le")!;

  it("the sample's return handler prints crc32_le's real return value, once per call crc32test makes", () => {
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(crc32Calls, 1);
    const ret = lines(r).filter((l) => RETURNED.test(l));
    assert.equal(ret.length, crc32Calls, r.dmesg);
    assert.equal(Number(RETURNED.exec(ret[0]!)![1]), crc32LeOfOnes(vector));
    assert.deepEqual(r.kretprobes, [
      {
        symbol: "crc32_le",
        ret: 0,
        addr,
        entries: crc32Calls,
        returns: crc32Calls,
        nmissed: 0,
        modelled: false,
      },
    ]);
    assert.ok(
      lines(r).includes(`Planted return probe at crc32_le: ${addr.toString(16).padStart(16, "0")}`),
    );
  });

  it("the return address is restored: crc32test_init goes on, and after the handler's line", () => {
    const l = lines(r);
    const selfTest = (ls: string[]) =>
      ls.filter((x) => x.startsWith("crc32: ")).map((x) => x.replace(/in \d+ nsec/, "in N nsec"));
    assert.deepEqual(selfTest(l), selfTest(lines(plain)));
    assert.match(selfTest(l).join("\n"), /self tests passed/);
    // The handler runs at the return, before the caller prints its verdict.
    const at = l.findIndex((x) => RETURNED.test(x));
    assert.ok(at >= 0 && at < l.findIndex((x) => x.includes("self tests passed")));
    // The call took part of what the self-test measured around it, and some time.
    const took = BigInt(RETURNED.exec(l[at]!)![2]!);
    const whole = BigInt(/processed \d+ bytes in (\d+) nsec/.exec(r.dmesg)![1]!);
    assert.ok(took > 0n && took <= whole, `${took} of ${whole}`);
    // Resumed exactly at the return address, not past it (crc32test_init's `bl` is
    // followed by a nop, which would hide one instruction too many): a direct call
    // returns to its caller's sentinel address with the right value.
    const buf = addr + 0x40n;
    const expect = BigInt(crc32Le(0, textBytes(k, buf, 8)));
    assert.equal(
      runOn(k, 0, (c) => callCompiled(c, "crc32_le", [0n, buf, 8n])),
      expect,
    );
    // Every instance came back to the freelist; none is left on a task.
    const rp = kretprobeExamples(k)[0]!.rp;
    assert.equal(rp.hits, crc32Calls + 1);
    assert.equal(rp.freelist.free.length, 20);
    assert.equal(outstandingKretprobeInstances(k), 0);
  });

  it("maxactive 0 takes the v6.2 default, max(10, 2 * num_possible_cpus())", () => {
    for (const [cpus, want] of [
      [2, 10],
      [8, 16],
    ] as const) {
      const kk = boot({ cpus }).kernel;
      const rp = newKretprobe({ symbolName: "crc32_le" });
      assert.equal(register(kk, rp), 0);
      assert.equal(rp.maxactive, want);
      assert.equal(rp.freelist.free.length, want);
      assert.equal(rp.rph?.ref, want);
    }
  });

  it("with maxactive 1, a second call entered while the first is out is missed (nmissed), and both return right", () => {
    const kk = boot({}).kernel;
    const rp = newKretprobe({ symbolName: "crc32_le", maxactive: 1, handler: noop });
    assert.equal(register(kk, rp), 0);
    const buf = kk.kallsyms.lookupName("crc32_le")! + 0x40n;
    const expect = crc32Le(0, textBytes(kk, buf, 64));
    const got: bigint[] = [];
    const call = function* (c: Ctx): KGen<void> {
      got.push((yield* callCompiled(c, "crc32_le", [0n, buf, 64n]))!);
    };
    interleaved(kk, [call, call]);
    assert.deepEqual(got, [BigInt(expect), BigInt(expect)]);
    assert.equal(rp.kp.hits, 2, "both calls hit the entry probe");
    assert.equal(rp.nmissed, 1, "the second found no free instance");
    assert.equal(rp.hits, 1, "only the tracked call returned through the trampoline");
    assert.equal(rp.freelist.free.length, 1);
  });

  it("kretprobe_exit: the probe's word is restored, the trampoline probe stays, later calls are not tracked", () => {
    const kk = boot({ kretprobes: ["crc32_le"] }).kernel;
    const e = kretprobeExamples(kk)[0]!;
    const trampoline = kk.kallsyms.lookupName("__kretprobe_trampoline")!;
    const word = (a: bigint) =>
      runOn(kk, 0, function* (c) {
        return yield* ld(kk.machine, c.cpu, a, 4);
      });
    const original = word(e.rp.kp.ainsn.insn!);
    const before = kk.printk.dmesg().length;
    runOn(kk, 0, (c) => kretprobeExit(c, e));
    const out = kk.printk.dmesg().slice(before).split("\n").map(strip);
    const hex = addr.toString(16).padStart(16, "0");
    assert.deepEqual(out.slice(0, 2), [
      `kretprobe at ${hex} unregistered`,
      "Missed probing 0 instances of crc32_le",
    ]);
    assert.equal(word(addr), original);
    assert.equal(getKprobe(kk, addr), undefined);
    assert.notEqual(getKprobe(kk, trampoline), undefined, "trampoline_p is never unregistered");
    assert.equal(e.rp.rph, null, "every instance was freed, and the holder with them");
    assert.equal(e.rp.freelist.free.length, 0);
    // A call now returns straight to its caller: no entry, no handler, no new line.
    const v = runOn(kk, 0, (c) => callCompiled(c, "crc32_le", [0n, addr + 0x40n, 8n]));
    assert.equal(v, BigInt(crc32Le(0, textBytes(kk, addr + 0x40n, 8))));
    assert.equal(e.rp.kp.hits, 1);
    assert.equal(e.rp.hits, 1);
    assert.doesNotMatch(kk.printk.dmesg().slice(before), /crc32_le returned/);
  });

  it("unregistered while a call is out: that call returns right through the trampoline, runs no handler, and its instance is freed", () => {
    const kk = boot({}).kernel;
    const rp = newKretprobe({ symbolName: "crc32_le", maxactive: 2, handler: noop });
    assert.equal(register(kk, rp), 0);
    const buf = kk.kallsyms.lookupName("crc32_le")! + 0x40n;
    const expect = BigInt(crc32Le(0, textBytes(kk, buf, 64)));
    let got: bigint | null = null;
    let outWhenUnregistered = -1;
    interleaved(kk, [
      function* (c) {
        got = yield* callCompiled(c, "crc32_le", [0n, buf, 64n]);
      },
      function* (c) {
        yield* unregisterKretprobe(c, rp);
        outWhenUnregistered = outstandingKretprobeInstances(kk);
      },
    ]);
    assert.equal(outWhenUnregistered, 1, "the call was still out when unregister returned");
    assert.equal(got, expect);
    assert.equal(rp.kp.hits, 1);
    assert.equal(rp.hits, 0, "get_kretprobe() is NULL: no handler");
    assert.equal(outstandingKretprobeInstances(kk), 0);
    // The freelist's instance went at unregister, the late one at its return; with
    // the last reference the holder is freed (free_rp_inst_rcu; rp->rph still points at it).
    assert.equal(rp.rph?.ref, 0);
  });

  it("refuses what register_kretprobe refuses: no symbol (-ENOENT), not a function's entry (-EINVAL), data_size too big (-E2BIG)", () => {
    const kk = boot({}).kernel;
    assert.equal(register(kk, newKretprobe({ symbolName: "no_such_function" })), -2);
    // ELFv2: up to 8 bytes in (the global entry's TOC setup) is still the entry.
    assert.equal(register(kk, newKretprobe({ symbolName: "crc32_le", offset: 12 })), -22);
    const big = newKretprobe({ symbolName: "crc32_le", dataSize: KRETPROBE_MAX_DATA_SIZE + 1 });
    assert.equal(register(kk, big), -7);
    assert.equal(getKprobe(kk, addr), undefined, "nothing was armed");
  });

  it("a return through the trampoline with no instance is the kernel's pr_err and BUG", () => {
    const kk = boot({}).kernel;
    const c: Ctx = { k: kk, cpu: kk.machine.cpu(0), current: createKthread(kk, "test") };
    kk.machine.spawn(
      0,
      (function* () {
        yield* runKernelThread(c, function* (cc) {
          yield* callCompiled(cc, "__kretprobe_trampoline", []);
        });
      })(),
    );
    kk.machine.run(kk.choices, { maxSteps: 2_000_000 });
    const l = kk.printk.dmesg().split("\n").map(strip);
    const i = l.indexOf(
      "kprobes: kretprobe: Return address not found, not execute handler. Maybe there is a bug in the kernel.",
    );
    assert.ok(i >= 0, kk.printk.dmesg());
    assert.ok(l.slice(i).includes("kernel BUG at kernel/kprobes.c:2016!"), kk.printk.dmesg());
  });
});

// biome-ignore lint/correctness/useYield: a kretprobe handler is a generator by contract
function* noop(): KGen<number> {
  return 0;
}

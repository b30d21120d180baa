// Enabling the function tracer on compiled code: the traced function's
// mcount site becomes `bl ftrace_caller` (the branch target decoded here
// from the word), ftrace_call a `bl` to function_trace_call's local entry,
// untraced sites stay nops, and the calls the compiled late initcall
// patch_clients_init makes are recorded in order with their parents (from
// the C source: patch_clients_init calls ftrace_demo_caller, which calls
// ftrace_demo_leaf twice). A site corrupted before ftrace_make_call is
// refused (ftrace_modify_code's -EINVAL, ftrace_bug's report and WARN) and
// nothing is written there. Disabling puts the nop back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../../src/api/boot.ts";
import { ftraceMakeCall } from "../../../../src/linux/arch/powerpc/kernel/trace/ftrace.ts";
import { __pa } from "../../../../src/linux/arch/powerpc/kernel/vmlinux.ts";
import type { Ctx, KGen } from "../../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../../../src/linux/image/build.ts";
import { callCompiled } from "../../../../src/linux/image/call-compiled.ts";
import {
  ftraceDisableFunction,
  ftraceEnableFunction,
  traceBufferEvents,
} from "../../../../src/linux/kernel/trace/trace.ts";
import { isync } from "../../../../src/machine/task-ops.ts";
import { bootKernel, runOn } from "../../helpers/run-kernel.ts";

const NOP = 0x6000_0000;
const ON = ["CONFIG_FUNCTION_TRACER=y"];
const word = (k: Kernel, addr: bigint) => k.machine.mem.read32(__pa(addr));
const sym = (k: Kernel, n: string) => imageSymbol(k, n)!.address;

/** The target of an I-form `bl` at `at`, or null if the word is not one. */
function blTarget(w: number, at: bigint): bigint | null {
  if ((w & 0xfc00_0003) >>> 0 !== 0x4800_0001) return null;
  let li = w & 0x03ff_fffc;
  if (li & 0x0200_0000) li -= 0x0400_0000;
  return at + BigInt(li);
}

/** The sites (objdump: ftrace_demo_leaf+0x4, ftrace_demo_caller+0xc after its TOC setup). */
/** isync, then call: what the checker's `call` action does. */
function* callSynced(c: Ctx, name: string, args: bigint[]): KGen<bigint | null> {
  yield* isync(c.k.machine, c.cpu);
  return yield* callCompiled(c, name, args);
}

const leafSite = (k: Kernel) => sym(k, "ftrace_demo_leaf") + 4n;
const callerSite = (k: Kernel) => sym(k, "ftrace_demo_caller") + 0xcn;

describe("the function tracer on compiled code", () => {
  it("boot --ftrace: traced sites call ftrace_caller, ftrace_call calls the tracer, the calls are recorded in order", () => {
    const r = boot({ sets: ON, ftrace: ["ftrace_demo_leaf", "ftrace_demo_caller"] });
    assert.equal(r.exitCode, 0, r.dmesg);
    const k = r.kernel;
    const caller = sym(k, "ftrace_caller");
    assert.equal(blTarget(word(k, leafSite(k)), leafSite(k)), caller);
    assert.equal(blTarget(word(k, callerSite(k)), callerSite(k)), caller);
    // static_branch_demo is not in the filter: still a nop.
    assert.equal(word(k, sym(k, "static_branch_demo") + 4n), NOP);
    // function_trace_call sets up no TOC, so its local entry is its address.
    const call = sym(k, "ftrace_call");
    assert.equal(blTarget(word(k, call), call), sym(k, "function_trace_call"));
    assert.match(
      r.dmesg,
      /\] Kernel command line: console=hvc0 ftrace=function ftrace_filter=ftrace_demo_leaf,ftrace_demo_caller\n/,
    );
    assert.match(r.dmesg, /\] Starting tracer 'function'\n/);

    const ev = traceBufferEvents(k).events.flat();
    const name = (a: bigint) => k.kallsyms.lookup(a)!.symbol.name;
    assert.deepEqual(
      ev.map((e) => `${name(e.ip)} <-${name(e.parentIp)}`),
      [
        "ftrace_demo_caller <-patch_clients_init",
        "ftrace_demo_leaf <-ftrace_demo_caller",
        "ftrace_demo_leaf <-ftrace_demo_caller",
      ],
    );
    // ip is the site itself; both leaf calls return to different places in the caller.
    assert.deepEqual(
      ev.map((e) => e.ip),
      [callerSite(k), leafSite(k), leafSite(k)],
    );
    assert.notEqual(ev[1]!.parentIp, ev[2]!.parentIp);
    for (const e of ev) {
      assert.equal(e.cpu, 0);
      assert.equal(e.pid, 1);
      // ftrace_test_recursion_trylock's preempt_disable: depth 1; interrupts on.
      assert.equal(e.preemptCount, 1);
      assert.equal(e.flags, 0);
    }
  });

  it("tracing patch_clients_init: its parent is do_one_initcall (the return address after its call)", () => {
    const r = boot({ sets: ON, ftrace: ["patch_clients_init"] });
    const k = r.kernel;
    const ev = traceBufferEvents(k).events.flat();
    assert.equal(ev.length, 1);
    assert.equal(k.kallsyms.lookup(ev[0]!.ip)!.symbol.name, "patch_clients_init");
    assert.equal(k.kallsyms.lookup(ev[0]!.parentIp)!.symbol.name, "do_one_initcall");
    // The parent is the instruction after a `bl patch_clients_init` in do_one_initcall.
    // (to its local entry: patch_clients_init sets up the TOC first).
    const ret = ev[0]!.parentIp;
    const callee = imageSymbol(k, "patch_clients_init")!;
    assert.equal(
      blTarget(word(k, ret - 4n), ret - 4n),
      callee.address + BigInt(callee.localEntryOffset),
    );
  });

  it("enable at run time, call, disable: the site goes nop → bl ftrace_caller → nop and only the enabled calls are recorded", () => {
    const k = bootKernel({ sets: ON });
    const site = leafSite(k);
    assert.equal(word(k, site), NOP);
    assert.equal(
      runOn(k, 0, (c) => ftraceEnableFunction(c, "ftrace_demo_leaf")),
      0,
    );
    assert.equal(blTarget(word(k, site), site), sym(k, "ftrace_caller"));
    // ftrace_demo_caller(2) = leaf(2) + leaf(3) = 7 + 10 (the C source).
    assert.equal(
      runOn(k, 1, (c) => callCompiled(c, "ftrace_demo_caller", [2n])),
      17n,
    );
    assert.equal(
      runOn(k, 0, (c) => ftraceDisableFunction(c, "ftrace_demo_leaf")),
      0,
    );
    assert.equal(word(k, site), NOP);
    const call = sym(k, "ftrace_call");
    assert.equal(blTarget(word(k, call), call), sym(k, "ftrace_stub"));
    // CPU 1 still holds the old lines (bl ftrace_caller, bl function_trace_call),
    // icbi'd but executable until it context-synchronises; function_trace_op
    // is already ftrace_list_end, so running them would pass op->private ==
    // NULL. The kernel's ftrace_sync_ipi is that synchronisation (not
    // modelled): an isync stands for it, as the checker's `call` action does.
    assert.equal(
      runOn(k, 1, (c) => callSynced(c, "ftrace_demo_caller", [2n])),
      17n,
    );
    const { events, entries, written } = traceBufferEvents(k);
    assert.equal(events[1]!.length, 2);
    assert.equal(events[0]!.length, 0);
    assert.equal(entries, 2);
    assert.equal(written, 2);
  });

  it("a site corrupted before ftrace_make_call is refused: -EINVAL, the ftrace bug report and WARN, nothing written", () => {
    const k = bootKernel({ sets: ON });
    const site = leafSite(k);
    const corrupt = 0x6021_0000; // ori r1,r1,0: not the nop ftrace_init left
    k.machine.mem.write32(__pa(site), corrupt);
    const ret = runOn(k, 0, (c) => ftraceMakeCall(c, site, sym(k, "ftrace_caller")));
    assert.equal(ret, -22);
    assert.equal(word(k, site), corrupt);
    assert.match(
      k.printk.dmesg(),
      /\] ftrace-powerpc: \(____ptrval____\): replaced \(60210000\) != old \(60000000\)\n$/,
    );

    // Through the tracer's start: ftrace_replace_code reports it with ftrace_bug.
    assert.equal(
      runOn(k, 0, (c) => ftraceEnableFunction(c, "ftrace_demo_leaf")),
      0,
    );
    assert.equal(word(k, site), corrupt);
    const lines = k.printk
      .dmesg()
      .split("\n")
      .map((l) => l.replace(/^\[[ 0-9.]+\] /, ""));
    const at = lines.indexOf("------------[ ftrace bug ]------------");
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1, at + 8), [
      "ftrace failed to modify ",
      `[<${site.toString(16).padStart(16, "0")}>] ftrace_demo_leaf+0x4/0x${imageSymbol(k, "ftrace_demo_leaf")!.size.toString(16)}`,
      " actual:   00:00:21:60",
      "Setting ftrace call site to call ftrace function",
      // FTRACE_FL_ENABLED with one reference.
      "ftrace record flags: 80000001",
      " (1)  ",
      ` expected tramp: ${sym(k, "ftrace_caller").toString(16)}`,
    ]);
    assert.equal(lines[at + 8], "------------[ cut here ]------------");
    assert.match(
      lines[at + 9]!,
      /^WARNING: CPU: 0 PID: \d+ at kernel\/trace\/ftrace\.c:\d+ ftrace_bug\+0x/,
    );
    // ftrace is dead now: enabling another function changes nothing.
    const callerWord = word(k, callerSite(k));
    assert.notEqual(
      runOn(k, 0, (c) => ftraceEnableFunction(c, "ftrace_demo_caller")),
      0,
    );
    assert.equal(word(k, callerSite(k)), callerWord);
  });
});

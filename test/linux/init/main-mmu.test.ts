// The boot with the MMU on: kernel text read-only after mark_rodata_ro, and
// BUG/WARN during the initcalls going through the real die path. Expected
// texts come from the kernel's formats (boot-and-oops.md §4–§6, the seed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../src/api/boot.ts";
import { bugOn, warnOn } from "../../../src/linux/arch/powerpc/include/asm/bug.ts";
import type { Ctx, KGen } from "../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { kfunc } from "../../../src/linux/core/kfunc.ts";
import { imageSymbol } from "../../../src/linux/image/build.ts";
import { declareBugSite } from "../../../src/linux/image/sites.ts";
import type { Initcall } from "../../../src/linux/include/linux/init.ts";
import { reachedInit } from "../../../src/linux/init/main.ts";
import { getTaint, TAINT_WARN, testTaint } from "../../../src/linux/kernel/panic.ts";
import { bugTable } from "../../../src/linux/lib/bug.ts";
import { FaultKind, isFault } from "../../../src/machine/mmu/fault.ts";
import { ld, st } from "../../../src/machine/task-ops.ts";

const K = 0xc000_0000_0000_0000n;
/** DSISR bits (Power ISA Book III §7.5.3, IBM numbering in a 32-bit register). */
const DSISR_PROTFAULT = 1 << (63 - 36);
const DSISR_ISSTORE = 1 << (63 - 38);

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

const stripTime = (dmesg: string) => dmesg.split("\n").map((l) => l.replace(/^\[[ \d.]+\] /, ""));

// Test-only initcalls (declared once: kfuncs are global). The BUG_ON's site is
// declared so the image holds its trap word, as a compiled kernel would.
const BUG_FILE = "init/textpoke-test.c";
const testBugInit = kfunc(
  { name: "textpoke_test_bug_init", file: BUG_FILE, init: true, size: 0x80 },
  function* (c: Ctx): KGen<number> {
    yield* bugOn(c, true, { file: BUG_FILE, line: 12 });
    return 0;
  },
);
declareBugSite({ fn: "textpoke_test_bug_init", file: BUG_FILE, line: 12, kind: "bug-on" });
declareBugSite({ fn: "textpoke_test_warn_init", file: BUG_FILE, line: 20, kind: "warn-on" });
const testWarnInit = kfunc(
  { name: "textpoke_test_warn_init", file: BUG_FILE, init: true, size: 0x80 },
  function* (c: Ctx): KGen<number> {
    yield* warnOn(c, true, { file: BUG_FILE, line: 20 });
    return 0;
  },
);
const early = (name: string, fn: (c: Ctx) => KGen<number>): Initcall => ({
  level: "early",
  name,
  fn,
});

describe("boot with the MMU on", () => {
  it("every CPU runs relocated (MSR[IR,DR]) with the Radix tables set up, and the dmesg shows the PowerNV MMU lines", () => {
    const r = boot({ cpus: 4 });
    assert.equal(r.exitCode, 0, r.dmesg);
    for (const cpu of r.kernel.machine.cpus) {
      assert.equal(cpu.ir && cpu.dr, true, `CPU ${cpu.id} relocation`);
      assert.notEqual(cpu.ptcr, 0n, `CPU ${cpu.id} PTCR`);
    }
    const lines = stripTime(r.dmesg);
    // The order of a real v6.2 POWER9 PowerNV boot: device-tree page sizes,
    // KUAP/KUEP, the linear map, then the banner.
    const want = [
      "radix-mmu: Page sizes from device-tree:",
      "radix-mmu: Page size shift = 12 AP=0x0",
      "radix-mmu: Page size shift = 16 AP=0x5",
      "radix-mmu: Page size shift = 21 AP=0x1",
      "radix-mmu: Page size shift = 30 AP=0x2",
      "Activating Kernel Userspace Access Prevention",
      "Activating Kernel Userspace Execution Prevention",
    ];
    assert.deepEqual(lines.slice(0, want.length), want);
    const mapped = lines.filter((l) => l.startsWith("radix-mmu: Mapped "));
    assert.match(
      mapped[0] ?? "",
      /^radix-mmu: Mapped 0x0000000000000000-0x[0-9a-f]{16} with 2\.00 MiB pages \(exec\)$/,
    );
    assert.match(mapped.at(-1) ?? "", /-0x0000000080000000 with 1\.00 GiB pages$/);
    const banner = lines.findIndex((l) => l.startsWith("Linux version "));
    assert.equal(lines[banner - 1], "radix-mmu: Initializing Radix MMU");
  });

  it("with the hash MMU the dmesg shows the segment page sizes and SLB lines before the banner", () => {
    const r = boot({ cpus: 2, mmu: "hash" });
    assert.equal(r.exitCode, 0, r.dmesg);
    const lines = stripTime(r.dmesg);
    assert.equal(lines[0], "hash-mmu: Page sizes from device-tree:");
    assert.equal(
      lines[4],
      "hash-mmu: base_shift=16: shift=16, sllp=0x0110, avpnm=0x00000000, tlbiel=1, penc=1",
    );
    const banner = lines.findIndex((l) => l.startsWith("Linux version "));
    assert.deepEqual(lines.slice(banner - 2, banner), [
      "Using 1TB segments",
      "hash-mmu: Initializing hash mmu with SLB",
    ]);
    for (const cpu of r.kernel.machine.cpus) assert.equal(cpu.ir && cpu.dr, true);
  });

  for (const mmu of ["radix", "hash"] as const) {
    it(`${mmu}: after mark_rodata_ro a store to kernel text or rodata takes a DSI (protection fault); loads and data stores still work`, () => {
      const k = boot({ cpus: 2, mmu }).kernel;
      const img = k.image!;
      const text = imageSymbol(k, "do_one_initcall")!.address;
      const r = onBootCpu(k, function* (c) {
        const m = c.k.machine;
        const word = yield* ld(m, c.cpu, text, 4);
        const toText = yield* st(m, c.cpu, text, 4, 0x6000_0000n);
        const toRodata = yield* st(m, c.cpu, img.startRodata, 8, 0n);
        // The linear map above the image stays writable.
        const toData = yield* st(m, c.cpu, img.end + 0x10_0000n, 8, 0x1234n);
        return { word, toText, toRodata, toData };
      });
      assert.equal(typeof r.word, "bigint");
      for (const f of [r.toText, r.toRodata]) {
        assert.ok(isFault(f), "store faulted");
        assert.equal(f.kind, FaultKind.DSI);
        assert.equal(f.dsisr & DSISR_PROTFAULT, DSISR_PROTFAULT);
        assert.equal(f.dsisr & DSISR_ISSTORE, DSISR_ISSTORE);
      }
      assert.equal(r.toData, null);
      assert.ok(text >= img.stext && text < img.etext && text >= K);
    });
  }

  it("kernel text is still writable while the initcalls run (mark_rodata_ro comes after them)", () => {
    let result: unknown = "not run";
    const probe = function* (c: Ctx): KGen<number> {
      const at = imageSymbol(c.k, "do_one_initcall")!.address;
      const m = c.k.machine;
      const w = yield* ld(m, c.cpu, at, 4);
      result = typeof w === "bigint" ? yield* st(m, c.cpu, at, 4, w) : w;
      return 0;
    };
    const r = boot({ cpus: 2, boot: { initcalls: [{ level: "late", name: "probe", fn: probe }] } });
    assert.equal(r.exitCode, 0);
    assert.equal(result, null);
  });

  it("a BUG_ON in an early initcall oopses, kills PID 1 and panics: exit 1, the trace runs through do_one_initcall ← kernel_init_freeable ← kernel_init ← ret_from_kernel_thread", () => {
    const r = boot({
      cpus: 2,
      boot: { initcalls: [early("textpoke_test_bug_init", testBugInit)] },
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.kernel.systemState, "panic");
    assert.equal(reachedInit(r.kernel), false);
    const lines = stripTime(r.dmesg);
    const at = (s: string) => {
      const i = lines.indexOf(s);
      assert.ok(i >= 0, `missing: ${s}\n${r.dmesg}`);
      return i;
    };
    const cut = at("------------[ cut here ]------------");
    assert.equal(lines[cut + 1], `kernel BUG at ${BUG_FILE}:12!`);
    assert.equal(lines[cut + 2], "Oops: Exception in kernel mode, sig: 5 [#1]");
    assert.equal(lines[cut + 3], "LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA PowerNV");
    assert.equal(lines[cut + 4], "Modules linked in:");
    assert.equal(
      lines[cut + 5],
      "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.2.0-rc1 #1",
      "the CPU line (release, version from the banner)",
    );
    assert.equal(
      lines[cut + 6],
      "Hardware name: IBM PowerNV (emulated by qemu) POWER9 0x4e1200 opal:v7.0 PowerNV",
    );
    assert.match(lines[cut + 7]!, /^NIP: {2}[0-9a-f]{16} LR: [0-9a-f]{16} CTR: [0-9a-f]{16}$/);
    assert.match(
      r.dmesg,
      /\] MSR: {2}9000000000029033 <SF,HV,EE,ME,IR,DR,RI,LE> {2}CR: /,
      "the oops' MSR: the kernel's with relocation and EE on (soft-masked), as on PowerNV",
    );
    assert.match(r.dmesg, /\] NIP \[[0-9a-f]{16}\] textpoke_test_bug_init\+0x[0-9a-f]+\/0x80\n/);
    const trace = at("Call Trace:");
    const frames = lines
      .slice(trace + 1)
      .filter((l) => l.startsWith("["))
      .map((l) => l.replace(/^\[[0-9a-f]{16}\] \[[0-9a-f]{16}\] /, "").replace(/\+.*/, ""));
    const from = frames.indexOf("do_one_initcall");
    assert.deepEqual(frames.slice(from, from + 4), [
      "do_one_initcall",
      "kernel_init_freeable",
      "kernel_init",
      "ret_from_kernel_thread",
    ]);
    // The trap word at NIP is the tdnei r9,0 the image holds there.
    assert.match(r.dmesg, /\] Code: (?:[0-9a-f]{8} ){12}<0b090000>/);
    at("---[ end trace 0000000000000000 ]---");
    const panicLine = at("Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000005");
    assert.equal(
      lines[panicLine + 1],
      "---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000005 ]---",
    );
    // oops_end waits 1 s (mdelay(1000)) before the panic of PID 1.
    const ts = (re: RegExp) =>
      Number(/^\[\s*([\d.]+)\]/.exec(r.dmesg.split("\n").find((l) => re.test(l))!)![1]);
    assert.ok(ts(/Kernel panic - not syncing/) - ts(/end trace 0000000000000000/) >= 1.0);
    // Secondary CPUs were never brought up.
    assert.doesNotMatch(r.dmesg, /smp: Bringing up secondary CPUs/);
  });

  it("a WARN_ON in an early initcall prints the WARNING block, taints W and the boot continues to /init", () => {
    const r = boot({
      cpus: 2,
      boot: { initcalls: [early("textpoke_test_warn_init", testWarnInit)] },
    });
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.match(r.dmesg, /\] Run \/init as init process\n$/);
    const lines = stripTime(r.dmesg);
    const cut = lines.indexOf("------------[ cut here ]------------");
    assert.ok(cut >= 0, r.dmesg);
    assert.match(
      lines[cut + 1]!,
      new RegExp(
        `^WARNING: CPU: 0 PID: 1 at ${BUG_FILE}:20 textpoke_test_warn_init\\+0x[0-9a-f]+/0x80$`,
      ),
    );
    assert.ok(lines.slice(cut).includes("---[ end trace 0000000000000000 ]---"));
    assert.doesNotMatch(r.dmesg, /Oops|Kernel panic/);
    assert.ok(testTaint(getTaint(r.kernel), TAINT_WARN));
  });

  it("a DEBUG_VM image holds the seed's tdnei r9,0 at assert_pte_locked+0x180 with its bug-table entry pgtable.c:333", () => {
    const k = boot({ cpus: 1, sets: ["CONFIG_DEBUG_VM=y"] }).kernel;
    const sym = imageSymbol(k, "assert_pte_locked")!;
    const addr = sym.address + 0x180n;
    assert.equal(k.machine.mem.read32(Number(addr - K)), 0x0b09_0000);
    const entry = bugTable(k).find((b) => b.bugAddr === addr);
    assert.equal(entry?.file, "arch/powerpc/mm/pgtable.c");
    assert.equal(entry?.line, 333);
    assert.equal(entry?.flags, 0, "a BUG: no WARNING flag");
    const noDebug = boot({ cpus: 1, sets: ["CONFIG_DEBUG_VM=n"] }).kernel;
    const a2 = imageSymbol(noDebug, "assert_pte_locked")!.address + 0x180n;
    assert.notEqual(noDebug.machine.mem.read32(Number(a2 - K)), 0x0b09_0000);
  });
});

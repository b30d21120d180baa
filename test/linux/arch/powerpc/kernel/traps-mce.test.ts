// A machine check in kernel code on PowerNV, v6.2: the POWER9 decode
// (arch/powerpc/kernel/mce_power.c) finds no error it can correct, so
// exceptions-64s.S goes to unrecoverable_mce → machine_check_exception()
// (traps.c: taint M, ppc_md.machine_check_exception = opal_machine_check),
// which prints the event (mce.c machine_check_print_event_info: "%sMCE:
// CPU%d: machine check (%s) %s %s %s %s[%s]", "...NIP: [%016llx] %pS%s",
// "...Initiator %s", the error class) and asks opal_recover_mce(): a store's
// bad real address is fatal ("Machine check interrupt is fatal"), a load's
// would kill the task but die_will_crash() holds in the NMI; either way
// pnv_platform_error_reboot(): "Hardware platform error: %s", show_regs,
// "Reboot type %d not supported for %s" and panic(msg). opal.c's pr_fmt is
// "opal: ".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ppcInst } from "../../../../../src/isa/powerpc/inst.ts";
import {
  PAGE_KERNEL,
  PAGE_OFFSET,
} from "../../../../../src/linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { machineCheckEarlyRealmodeP9 } from "../../../../../src/linux/arch/powerpc/kernel/mce_power.ts";
import type { PtRegs } from "../../../../../src/linux/arch/powerpc/kernel/process.ts";
import {
  patchingOps,
  setCodePatchingVariant,
} from "../../../../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import { mapKernelPage } from "../../../../../src/linux/arch/powerpc/mm/pgtable_64.ts";
import type { Ctx, KGen } from "../../../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../../../../src/linux/image/build.ts";
import { callCompiled } from "../../../../../src/linux/image/call-compiled.ts";
import { KPROBES_STATE } from "../../../../../src/linux/include/linux/kprobes.ts";
import { getVmArea, VM_ALLOC } from "../../../../../src/linux/mm/vmalloc.ts";
import { defineVariant } from "../../../../../src/variants/api.ts";
import { bootKernel, dmesgLines, spawnOn } from "../../../helpers/run-kernel.ts";

/** get_patch_pfn() taking every address for a linear-map one (__pa_symbol), vmalloc ones too. */
const LINEAR_PFN = defineVariant({
  commit: "980411a4d1bb",
  subject: "get_patch_pfn without vmalloc",
  overrides: {
    // biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
    *getPatchPfn(c: Ctx, addr: bigint) {
      return (addr - PAGE_OFFSET) >> BigInt(c.k.config.pageShift);
    },
  },
});

/** Run `body` as a kernel thread on CPU 1 until the machine stops; the new dmesg lines. */
function runOnCpu1(
  k: Kernel,
  body: (c: Ctx) => KGen<void>,
): { lines: string[]; returned: boolean } {
  const before = dmesgLines(k).length;
  const box = { returned: false };
  spawnOn(k, 1, function* (c) {
    yield* body(c);
    box.returned = true;
  });
  k.machine.run(k.choices, { maxSteps: 5_000_000 });
  return { lines: dmesgLines(k).slice(before), returned: box.returned };
}

const PLATFORM_ERROR = ["opal: Hardware platform error: Unrecoverable Machine Check exception"];
const END = [
  "opal: Reboot type 1 not supported for Unrecoverable Machine Check exception",
  "Kernel panic - not syncing: Unrecoverable Machine Check exception",
];

describe("a machine check in kernel code (PowerNV, POWER9)", () => {
  it("a store through an alias of no memory (patch_instruction of module text): fatal, platform reboot, panic", () => {
    const k = bootKernel();
    setCodePatchingVariant(k, LINEAR_PFN);
    // A kprobe instruction-slot page: module_alloc'd, so a vmalloc/module address.
    const slot = k.slot(KPROBES_STATE).insnPages[0]!.addr;
    const { lines, returned } = runOnCpu1(k, function* (c) {
      yield* patchingOps(c.k).patchInstruction(c, slot, ppcInst(0x6000_0000));
    });
    assert.equal(returned, false);
    assert.equal(k.systemState, "panic");
    assert.deepEqual(lines.slice(0, 1), [
      "MCE: CPU1: machine check (Fatal)  Real address Store (bad) [Not recovered]",
    ]);
    assert.match(
      lines[1]!,
      /^MCE: CPU1: NIP: \[c[0-9a-f]{15}\] patch_instruction\+0x[0-9a-f]+\/0x[0-9a-f]+$/,
    );
    assert.deepEqual(lines.slice(2, 6), [
      "MCE: CPU1: Initiator CPU",
      "MCE: CPU1: Hardware error",
      "opal: Machine check interrupt is fatal",
      ...PLATFORM_ERROR,
    ]);
    assert.match(lines[6]!, /^CPU: 1 PID: \d+ Comm: test\/1 Tainted: G {3}M {15}6\.2\.0-rc1 #1$/);
    assert.ok(lines.some((l) => /^REGS: [0-9a-f]{16} TRAP: 0200 {3}Tainted: G {3}M/.test(l)));
    // SRR1 = MSR | the store's cause bits (36, 42, 43, 45).
    assert.ok(
      lines.some((l) => /^MSR: {2}9000000008349033 </.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) =>
        /^CFAR: [0-9a-f]{16} DAR: [0-9a-f]{16} DSISR: [0-9a-f]{8} IRQMASK: /.test(l),
      ),
    );
    const end = lines.indexOf(END[0]!);
    assert.ok(end > 6, lines.join("\n"));
    assert.deepEqual(lines.slice(end, end + 2), END);
    assert.ok(!lines.some((l) => l.startsWith("Oops")));
  });

  it("a load of compiled code from a page of no memory: severe, with its DAR; platform reboot, panic", () => {
    const k = bootKernel();
    const fn = imageSymbol(k, "crc32_le")!;
    let ea = 0n;
    const { lines, returned } = runOnCpu1(k, function* (c) {
      const area = (yield* getVmArea(c, c.k.config.pageSize, VM_ALLOC))!;
      ea = area.addr;
      // A kernel mapping of a real address 1 TiB up: the machine has 2 GiB.
      assert.equal(yield* mapKernelPage(c, ea, 2 ** 40, PAGE_KERNEL), 0);
      yield* callCompiled(c, "crc32_le", [0n, ea + 0x20n, 4n]);
    });
    assert.equal(returned, false);
    assert.equal(k.systemState, "panic");
    const dar = (ea + 0x20n).toString(16).padStart(16, "0");
    assert.equal(
      lines[0],
      `MCE: CPU1: machine check (Severe)  Real address Load (bad) DAR: ${dar} [Not recovered]`,
    );
    const m = /^MCE: CPU1: NIP: \[([0-9a-f]{16})\] crc32_le\+0x([0-9a-f]+)\/0x[0-9a-f]+$/.exec(
      lines[1]!,
    );
    assert.ok(m !== null, lines[1]);
    assert.ok(BigInt(`0x${m[1]}`) > fn.address);
    assert.deepEqual(lines.slice(2, 5), [
      "MCE: CPU1: Initiator CPU",
      "MCE: CPU1: Hardware error",
      ...PLATFORM_ERROR,
    ]);
    assert.ok(lines.some((l) => l.includes(`DAR: ${dar} DSISR: 00000040 `)));
    assert.ok(lines.includes(END[1]!));
  });
});

describe("the POWER9 decode (mce_power.c)", () => {
  const regs = (msr: bigint, dsisr = 0n, dar = 0n): PtRegs =>
    ({ msr, dsisr, dar, nip: 0xc000_0000_0000_1000n }) as PtRegs;
  it("a store's cause is in SRR1 with bit 42 set: bit 42 is cleared and the ierror table says RA store, fatal, async", () => {
    const d = machineCheckEarlyRealmodeP9(regs(0x9000_0000_0834_9033n));
    assert.equal(d.handled, 0);
    assert.deepEqual(
      [d.info.errorType, d.info.subtype, d.info.severity, d.info.syncError, d.addr],
      [6, 6, 3, false, 0n],
    );
  });
  it("a load: the derror table by DSISR 0x40, DAR the address", () => {
    const d = machineCheckEarlyRealmodeP9(regs(0x9000_0000_0020_9033n, 0x40n, 0x1234n));
    assert.deepEqual(
      [d.info.errorType, d.info.subtype, d.info.severity, d.addr],
      [6, 5, 2, 0x1234n],
    );
  });
  it("a fetch: RA ifetch with the NIP; an unknown cause is the tables' default; the P9 paste case is handled", () => {
    const f = machineCheckEarlyRealmodeP9(regs(0x9000_0000_080c_9033n));
    assert.deepEqual([f.info.subtype, f.addr], [1, 0xc000_0000_0000_1000n]);
    const u = machineCheckEarlyRealmodeP9(regs(0x9000_0000_0020_9033n, 0x1n));
    assert.deepEqual([u.info.errorType, u.info.severity, u.info.syncError], [0, 2, true]);
    assert.equal(
      machineCheckEarlyRealmodeP9(regs(0x9000_0000_0020_9033n, 0x0200_0000n)).handled,
      1,
    );
  });
});

// An illegal instruction in compiled kernel code: the CPU (hypervisor mode,
// POWER9) raises the Hypervisor Emulation Assistance interrupt (0xE40);
// arch/powerpc/kernel/traps.c (v6.2) emulation_assist_interrupt() sets
// REASON_ILLEGAL in regs->msr and calls do_program_check(), which for a
// kernel-mode check goes to `sigill:` → _exception(SIGILL, regs, ILL_ILLOPC)
// → die("Exception in kernel mode", regs, SIGILL): "Oops: Exception in
// kernel mode, sig: 4 [#1]" (traps.c __die: "Oops: %s, sig: %ld [#%d]"),
// show_regs with "TRAP: 0e40", and the task dies.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_OFFSET } from "../../../../../src/linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { imageSymbol } from "../../../../../src/linux/image/build.ts";
import { callCompiled } from "../../../../../src/linux/image/call-compiled.ts";
import { bootKernel, dmesgLines, spawnOn } from "../../../helpers/run-kernel.ts";

describe("an illegal instruction in compiled kernel code", () => {
  it("oopses with sig 4 and TRAP 0e40 at the word, and kills the task (not the kernel)", () => {
    const k = bootKernel();
    const fn = imageSymbol(k, "crc32_le")!;
    const pa = Number(fn.address - PAGE_OFFSET);
    k.machine.mem.write32(pa, 0x0000_0000);
    k.machine.icbi(pa);
    const before = dmesgLines(k).length;
    const seen: { returned: boolean } = { returned: false };
    spawnOn(k, 1, function* (c) {
      yield* callCompiled(c, "crc32_le", [0n, fn.address, 4n]);
      seen.returned = true;
    });
    const r = k.machine.run(k.choices, { maxSteps: 5_000_000 });
    assert.equal(r.status, "done");
    assert.equal(seen.returned, false, "the call returned: the task did not die");
    assert.notEqual(k.systemState, "panic");
    const oops = dmesgLines(k).slice(before);
    assert.equal(oops[0], "Oops: Exception in kernel mode, sig: 4 [#1]", oops.join("\n"));
    assert.equal(oops[1], "LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA PowerNV");
    const nip = fn.address.toString(16).padStart(16, "0");
    assert.ok(oops.some((l) => l.startsWith(`NIP:  ${nip} LR: `)));
    assert.ok(
      oops.some((l) => /^REGS: [0-9a-f]{16} TRAP: 0e40 {3}Not tainted {2}\(6\.2\.0-rc1\)$/.test(l)),
    );
    // HSRR1 has the interrupted MSR; the handler ORs REASON_ILLEGAL (0x80000) in.
    assert.ok(oops.some((l) => /^MSR: {2}9000000000089033 </.test(l)));
    assert.ok(oops.includes(`NIP [${nip}] crc32_le+0x0/0x${fn.size.toString(16)}`));
    assert.ok(oops.some((l) => l.startsWith("Code: ") && l.includes("<00000000>")));
    assert.ok(oops.includes("---[ end trace 0000000000000000 ]---"));
    assert.ok(!oops.some((l) => l.includes("Kernel panic")));
  });
});

// A real address with no memory behind it: the access raises a machine check
// (0x200), in real mode and — the translation made — with relocation on. The
// cause bits are those QEMU's powernv POWER9 sets
// (target/ppc ppc_cpu_do_transaction_failed), which the kernel's POWER9
// decode (arch/powerpc/kernel/mce_power.c) reads: a load SRR1[42] with
// DSISR[57]; a store SRR1[36,42,43,45]; a fetch SRR1[36,44,45].
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fetch, load, store } from "../../src/machine/access.ts";
import { raiseFault } from "../../src/machine/exceptions.ts";
import { FaultKind, isFault } from "../../src/machine/mmu/fault.ts";
import { PAGE_KERNEL, PAGE_KERNEL_X } from "./helpers/radix-tables.ts";
import { MSR_KERNEL, radixMachine } from "./helpers/setup.ts";

/** A kernel page mapped to a real address 4 GiB up: the machine has 256 MiB. */
const EA = 0xc008_0000_0001_0000n;
const BAD_PA = 0x1_0000_0000;

describe("machine check on a bad real address", () => {
  it("a relocated store: MCE fault, SRR1 0x08340000 cause, DAR = EA, SRR0 = the store, real vector 0x200", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, EA, BAD_PA, PAGE_KERNEL);
    const c = m.cpu(0);
    const f = store(m, c, EA + 0x10n, 4, 0x6000_0000);
    assert.ok(isFault(f));
    assert.equal(f.kind, FaultKind.MCE);
    assert.equal(f.srr1, 0x0834_0000);
    c.dsisr = 0x1234;
    assert.equal(raiseFault(c, f, 0xc000_0000_0000_0abcn), 0x200);
    assert.equal(c.srr0, 0xc000_0000_0000_0abcn);
    assert.equal(c.srr1, MSR_KERNEL | 0x0834_0000n);
    assert.equal(c.dar, EA + 0x10n);
    assert.equal(c.dsisr, 0x1234, "a store leaves DSISR alone");
    // Machine check never uses AIL: real mode at 0x200, ME kept.
    assert.equal(c.nia, 0x200n);
    assert.equal(c.msr, 0x9000_0000_0000_1001n);
  });

  it("a relocated load: SRR1[42] and DSISR 0x40; nothing is read", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, EA, BAD_PA, PAGE_KERNEL);
    const c = m.cpu(0);
    const f = load(m, c, EA, 8);
    assert.ok(isFault(f));
    assert.equal(f.kind, FaultKind.MCE);
    raiseFault(c, f, 0xc000_0000_0000_0100n);
    assert.equal(c.srr1, MSR_KERNEL | 0x0020_0000n);
    assert.equal(c.dsisr, 0x40);
    assert.equal(c.dar, EA);
  });

  it("a fetch: SRR1 0x080c0000, SRR0 = the address fetched", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, EA, BAD_PA, PAGE_KERNEL_X);
    const c = m.cpu(0);
    const f = fetch(m, c, EA + 8n);
    assert.ok(isFault(f));
    assert.equal(f.kind, FaultKind.MCE);
    raiseFault(c, f, 0n);
    assert.equal(c.srr0, EA + 8n);
    assert.equal(c.srr1, MSR_KERNEL | 0x080c_0000n);
  });

  it("real mode: the same causes; memory that exists still works", () => {
    const { m } = radixMachine(16);
    const c = m.cpu(0);
    c.msr = 0x9000_0000_0000_1001n; // IR = DR = 0
    const f = store(m, c, BigInt(BAD_PA), 4, 0);
    assert.ok(isFault(f));
    assert.equal(f.kind, FaultKind.MCE);
    assert.equal(f.srr1, 0x0834_0000);
    assert.equal(store(m, c, 0x2000n, 4, 7), null);
    assert.equal(load(m, c, 0x2000n, 4), 7n);
  });
});

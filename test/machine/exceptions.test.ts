import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { store } from "../../src/machine/access.ts";
import {
  deliverInterrupt,
  programInterrupt,
  raiseFault,
  rfid,
  systemCall,
} from "../../src/machine/exceptions.ts";
import { Machine } from "../../src/machine/machine.ts";
import { isFault } from "../../src/machine/mmu/fault.ts";
import { PAGE_KERNEL_ROX } from "./helpers/radix-tables.ts";
import { MSR_KERNEL, radixMachine } from "./helpers/setup.ts";

describe("interrupts", () => {
  it("DSI on a store to read-only text: DSISR 0x0A000000, DAR = EA, SRR0 = the store, vector 0xc000000000004300", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, 0xc000_0000_0000_0000n, 0, PAGE_KERNEL_ROX);
    const c = m.cpu(0);
    c.msr = MSR_KERNEL | 0x8000n; // EE on
    const f = store(m, c, 0xc000_0000_0000_1234n, 4, 0n);
    assert.ok(isFault(f));
    const vector = raiseFault(c, f, 0xc000_0000_0000_0abcn);
    assert.equal(vector, 0x300);
    assert.equal(c.dsisr, 0x0a00_0000);
    assert.equal(c.dar, 0xc000_0000_0000_1234n);
    assert.equal(c.srr0, 0xc000_0000_0000_0abcn);
    assert.equal(c.srr1, MSR_KERNEL | 0x8000n);
    assert.equal(c.nia, 0xc000_0000_0000_4300n);
    // New MSR: SF HV ME IR DR LE (AIL=3 keeps translation on), EE/RI/PR clear.
    assert.equal(c.msr, 0x9000_0000_0000_1031n);
  });

  it("program interrupt for a trap: SRR1 carries 0x20000 and the old MSR bits", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    const c = m.cpu(0);
    c.msr = MSR_KERNEL;
    c.lpcr = 0x0200_0000n; // ILE, no AIL
    programInterrupt(c, 0xc000_0000_0000_2000n, 0x2_0000);
    assert.equal(c.srr0, 0xc000_0000_0000_2000n);
    assert.equal(c.srr1, MSR_KERNEL | 0x2_0000n);
    assert.equal(c.nia, 0x700n, "without AIL the vector is the real offset");
    assert.equal(c.msr, 0x9000_0000_0000_1001n, "IR/DR off in real mode");
  });

  it("system call: SRR0 is the instruction after sc; vector 0xc00", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    const c = m.cpu(0);
    c.msr = 0x9000_0000_0000_d033n; // MSR_USER64
    systemCall(c, 0x1000_0100n);
    assert.equal(c.srr0, 0x1000_0104n);
    assert.equal(c.nia, 0xc00n);
    assert.equal(c.pr, false);
  });

  it("rfid restores MSR from SRR1 and continues at SRR0", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    const c = m.cpu(0);
    c.msr = 0x9000_0000_0000_d033n;
    deliverInterrupt(c, 0x900, 0x1000_0200n);
    assert.equal(c.ee, false);
    rfid(c);
    assert.equal(c.msr, 0x9000_0000_0000_d033n);
    assert.equal(c.nia, 0x1000_0200n);
  });

  it("the cause bits in SRR1 do not reach the MSR on rfid", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 20 });
    const c = m.cpu(0);
    c.msr = MSR_KERNEL;
    programInterrupt(c, 0n, 0x8_0000);
    rfid(c);
    assert.equal(c.msr, MSR_KERNEL);
  });
});

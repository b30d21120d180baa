import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { load, store } from "../../../src/machine/access.ts";
import { Machine } from "../../../src/machine/machine.ts";
import { isFault } from "../../../src/machine/mmu/fault.ts";
import { LEAF, PAGE_KERNEL_RO } from "../helpers/radix-tables.ts";
import { MSR_KERNEL } from "../helpers/setup.ts";

describe("hash-mode MMU (software-managed translations)", () => {
  it("translates installed pages and faults like Radix on missing or read-only ones", () => {
    const m = new Machine({ cpus: 1, memoryBytes: 1 << 24, mmu: "hash" });
    const c = m.cpu(0);
    c.msr = MSR_KERNEL;
    m.hash.insert(0, 0x1_0000, 16, BigInt(0x50_0000) | LEAF | PAGE_KERNEL_RO);
    m.mem.write32(0x50_0010, 0xabcd);
    assert.equal(load(m, c, 0xc000_0000_0001_0010n, 4), 0xabcdn);
    const ro = store(m, c, 0xc000_0000_0001_0010n, 4, 1n);
    assert.ok(isFault(ro) && ro.dsisr === 0x0a00_0000);
    const missing = load(m, c, 0xc000_0000_0002_0000n, 4);
    assert.ok(isFault(missing) && missing.dsisr === 0x4000_0000);
  });
});

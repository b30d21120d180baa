import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { load, store } from "../../../src/machine/access.ts";
import { Machine } from "../../../src/machine/machine.ts";
import { isFault } from "../../../src/machine/mmu/fault.ts";
import { HashMmu } from "../../../src/machine/mmu/hash.ts";
import { Cloner, FORK, type Forkable } from "../../../src/util/clone.ts";
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

describe("HashMmu forks: translations shared copy-on-write per context", () => {
  const fork = (h: HashMmu): HashMmu => (h as unknown as Forkable)[FORK](new Cloner()) as HashMmu;
  const pte = (pa: number): bigint => BigInt(pa) | LEAF | PAGE_KERNEL_RO;

  it("neither side sees the other's inserts, removes or R/C updates after a fork", () => {
    const parent = new HashMmu();
    parent.insert(0, 0x10_0000, 16, pte(0x20_0000));
    parent.insert(0, 0x20_0000, 16, pte(0x30_0000));
    const rc = (h: HashMmu) => {
      const r = h.translate(0, 0x10_0000);
      return r.ok ? r.flags & 0x180 : -1;
    };
    const before = rc(parent);
    assert.notEqual(before, 0x180, "C is clear to begin with");
    const child = fork(parent);
    child.insert(0, 0x30_0000, 16, pte(0x40_0000));
    parent.remove(0, 0x20_0000, 16);
    child.setRc(0, 0x10_0000, 16, 0x180n);
    assert.equal(parent.translate(0, 0x30_0000).ok, false, "the child's insert is its own");
    assert.equal(child.translate(0, 0x20_0000).ok, true, "the parent's remove is its own");
    assert.equal(rc(child), 0x180);
    assert.equal(rc(parent), before, "R/C set in the child only");
    const grandchild = fork(child);
    child.remove(0, 0x30_0000, 16);
    assert.equal(grandchild.translate(0, 0x30_0000).ok, true);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { load, translate } from "../../src/machine/access.ts";
import { Access, isFault } from "../../src/machine/mmu/fault.ts";
import { LEAF, PAGE_KERNEL } from "./helpers/radix-tables.ts";
import { radixMachine } from "./helpers/setup.ts";

const EA = 0xc000_0000_0123_0000n;
const PA_OLD = 0x200_0000;
const PA_NEW = 0x300_0000;
/** RB for a single-page invalidation: EPN | AP << 5, AP 5 = 64 KiB (isa.md §12.1). */
const RB_64K = (EA & ~0xfffn) | (5n << 5n);
/** RS for PID 0, LPID 0. */
const RS_PID0 = 0n;

function setup() {
  const { m, t, kpgd } = radixMachine(16);
  const slot = t.map(kpgd, EA, PA_OLD, PAGE_KERNEL);
  m.mem.write64(PA_OLD, 0x01d0n);
  m.mem.write64(PA_NEW, 0x0e3en);
  return { m, slot };
}

describe("TLB", () => {
  it("uses a stale entry after the PTE changes, until tlbiel; then the new PTE", () => {
    const { m, slot } = setup();
    const c = m.cpu(0);
    assert.equal(load(m, c, EA, 8), 0x01d0n);
    m.storePte(c, slot, BigInt(PA_NEW) | LEAF | PAGE_KERNEL);
    m.ptesync(c);
    assert.equal(load(m, c, EA, 8), 0x01d0n, "stale translation still used");
    m.tlbiel(c, RB_64K, RS_PID0, 0, true, true);
    assert.equal(load(m, c, EA, 8), 0x0e3en);
  });

  it("keeps using a cleared PTE's translation until invalidated", () => {
    const { m, slot } = setup();
    const c = m.cpu(0);
    load(m, c, EA, 8);
    m.storePte(c, slot, 0n);
    m.ptesync(c);
    assert.equal(load(m, c, EA, 8), 0x01d0n);
    m.tlbiel(c, RB_64K, RS_PID0, 0, true, true);
    assert.equal((load(m, c, EA, 8) as { dsisr: number }).dsisr, 0x4000_0000);
  });

  it("tlbie from CPU 0 removes CPU 1's entry; tlbiel from CPU 0 does not", () => {
    const { m } = setup();
    const c0 = m.cpu(0);
    const c1 = m.cpu(1);
    load(m, c1, EA, 8);
    load(m, c0, EA, 8);
    m.tlbiel(c0, RB_64K, RS_PID0, 0, true, true);
    assert.equal(c1.tlb!.size, 1, "tlbiel is local");
    assert.equal(c0.tlb!.size, 0);
    load(m, c0, EA, 8);
    m.tlbie(c0, RB_64K, RS_PID0, 0, true, true);
    assert.equal(c1.tlb!.size, 0, "tlbie is broadcast");
    assert.equal(c0.tlb!.size, 0);
  });

  it("an invalidation with the wrong page size (AP) leaves the entry", () => {
    const { m } = setup();
    const c = m.cpu(0);
    load(m, c, EA, 8);
    m.tlbiel(c, EA & ~0xfffn, RS_PID0, 0, true, true); // AP 0 = 4 KiB
    assert.equal(c.tlb!.size, 1);
  });

  it("RIC=1 (page-walk cache only) leaves TLB entries; RIC=2 removes them", () => {
    const { m } = setup();
    const c = m.cpu(0);
    load(m, c, EA, 8);
    m.tlbiel(c, 0x400n, RS_PID0, 1, true, true);
    assert.equal(c.tlb!.size, 1);
    m.tlbiel(c, 0x400n, RS_PID0, 2, true, true);
    assert.equal(c.tlb!.size, 0);
  });

  it("invalidation by PID (IS=1) removes only that PID's entries", () => {
    const { m, t } = radixMachine(16);
    const pgd7 = t.newPgd();
    t.setProcess(7, pgd7);
    t.map(pgd7, 0x1_0000n, PA_OLD, PAGE_KERNEL);
    const kpgdEa = 0xc000_0000_0005_0000n;
    t.map(Number(m.mem.readBe64(0x10000) & 0x0fff_ffff_ffff_ff00n), kpgdEa, PA_NEW, PAGE_KERNEL);
    const c = m.cpu(0);
    c.pidr = 7;
    load(m, c, 0x1_0000n, 8);
    load(m, c, kpgdEa, 8);
    assert.equal(c.tlb!.size, 2);
    m.tlbiel(c, 0x400n, 7n << 32n, 0, true, true);
    assert.deepEqual(
      c.tlb!.entries().map((e) => e.pid),
      [0],
    );
  });

  it("a page-table store is visible to the storing CPU's walks only after ptesync", () => {
    const { m, t, kpgd } = radixMachine(16);
    const ea = 0xc000_0000_0900_0000n;
    const slot = t.slot(kpgd, ea, 3); // tables exist, leaf empty
    const c0 = m.cpu(0);
    const c1 = m.cpu(1);
    m.storePte(c0, slot, BigInt(PA_NEW) | LEAF | PAGE_KERNEL);
    assert.ok(isFault(translate(m, c0, ea, Access.LOAD)), "own walker before ptesync");
    assert.equal(translate(m, c1, ea, Access.LOAD), PA_NEW);
    m.ptesync(c0);
    assert.equal(translate(m, c0, ea, Access.LOAD), PA_NEW);
  });
});

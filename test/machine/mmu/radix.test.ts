import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspectTranslation, load, store, translate } from "../../../src/machine/access.ts";
import { Access, type Fault, isFault } from "../../../src/machine/mmu/fault.ts";
import {
  PAGE_KERNEL,
  PAGE_KERNEL_RO,
  PAGE_USER_RW_NO_RC,
  RadixTables,
} from "../helpers/radix-tables.ts";
import { radixMachine } from "../helpers/setup.ts";

function asFault(x: unknown): Fault {
  assert.ok(isFault(x), `expected a fault, got ${String(x)}`);
  return x;
}

describe("Radix translation on architected tables", () => {
  it("64K geometry (13-9-9-5): a kernel page translates to its RPN plus the offset", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, 0xc000_0000_0123_0000n, 0x200_0000, PAGE_KERNEL);
    assert.equal(translate(m, m.cpu(0), 0xc000_0000_0123_1234n, Access.LOAD), 0x200_1234);
    // The neighbouring 64K page has no PTE: a load DSI with DSISR NOHPTE.
    const f = asFault(translate(m, m.cpu(0), 0xc000_0000_0124_0000n, Access.LOAD));
    assert.equal(f.kind, "dsi");
    assert.equal(f.dsisr, 0x4000_0000);
  });

  it("4K geometry (13-9-9-9): each 4K page maps independently", () => {
    const { m, t, kpgd } = radixMachine(12);
    t.map(kpgd, 0xc000_0000_0000_5000n, 0x30_0000, PAGE_KERNEL);
    t.map(kpgd, 0xc000_0000_0000_6000n, 0x50_0000, PAGE_KERNEL);
    assert.equal(translate(m, m.cpu(0), 0xc000_0000_0000_5abcn, Access.LOAD), 0x30_0abc);
    assert.equal(translate(m, m.cpu(0), 0xc000_0000_0000_6008n, Access.LOAD), 0x50_0008);
    assert.equal(m.cpu(0).tlb?.entries()[0]?.shift, 12);
  });

  it("translates EAs that come back in turn, more of them than it remembers, each to its own page", () => {
    const { m, t, kpgd } = radixMachine(12);
    const pages = 9;
    for (let i = 0; i < pages; i++) {
      t.map(
        kpgd,
        0xc000_0000_0010_0000n + BigInt(i) * 0x1000n,
        0x40_0000 + i * 0x3000,
        PAGE_KERNEL,
      );
    }
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < pages; i++) {
        const ea = 0xc000_0000_0010_0000n + BigInt(i) * 0x1000n + BigInt(8 * i);
        assert.equal(translate(m, m.cpu(0), ea, Access.LOAD), 0x40_0000 + i * 0x3000 + 8 * i);
      }
    }
  });

  it("a leaf at the PMD level maps a 2 MiB page", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, 0xc000_0000_0040_0000n, 0x80_0000, PAGE_KERNEL, 2);
    assert.equal(translate(m, m.cpu(0), 0xc000_0000_0052_3456n, Access.LOAD), 0x92_3456);
    const e = m.cpu(0).tlb!.entries();
    assert.equal(e.length, 1);
    assert.equal(e[0]!.shift, 21);
  });

  it("a leaf at the PUD level maps a 1 GiB page", () => {
    const { m, t, kpgd } = radixMachine(16);
    // A 1 GiB leaf at EA 1 GiB onto real 0 (physical memory is 256 MiB, and a
    // translation to a real address with no memory behind it is a machine check).
    t.map(kpgd, 0xc000_0000_4000_0000n, 0, PAGE_KERNEL, 1);
    assert.equal(translate(m, m.cpu(0), 0xc000_0000_4123_4567n, Access.LOAD), 0x0123_4567);
  });

  it("quadrant 0 uses PIDR's tree, quadrant 3 always PID 0's tree", () => {
    const { m, t, kpgd } = radixMachine(16);
    const upgd = t.newPgd();
    t.setProcess(5, upgd);
    t.map(upgd, 0x1000_0000n, 0x10_0000 * 3, PAGE_KERNEL);
    t.map(kpgd, 0xc000_0000_1000_0000n, 0x10_0000 * 5, PAGE_KERNEL);
    t.map(kpgd, 0xc000_0000_2000_0000n, 0x10_0000 * 4, PAGE_KERNEL);
    const c = m.cpu(0);
    c.pidr = 5;
    assert.equal(translate(m, c, 0x1000_0010n, Access.LOAD), 0x30_0010);
    assert.equal(translate(m, c, 0xc000_0000_1000_0010n, Access.LOAD), 0x50_0010);
    c.pidr = 0;
    // PIDR=0 duplicates the kernel map at address 0 (mm-primitives.md §3.4).
    assert.equal(translate(m, c, 0x2000_0010n, Access.LOAD), 0x40_0010);
    assert.equal(translate(m, c, 0x1000_0010n, Access.LOAD), 0x50_0010);
    // A PID whose process-table entry is empty (the guard PID) cannot translate.
    c.pidr = 1;
    assert.ok(isFault(translate(m, c, 0x1000_0010n, Access.LOAD)));
  });

  it("quadrants 1 and 2 raise a data segment interrupt when MSR[HV]=0", () => {
    const { m } = radixMachine(16);
    const c = m.cpu(0);
    c.msr = 0x8000_0000_0000_1033n; // MSR_KERNEL without HV
    assert.equal(asFault(translate(m, c, 0x4000_0000_0000_0000n, Access.LOAD)).kind, "dseg");
    assert.equal(asFault(translate(m, c, 0x8000_0000_0000_0000n, Access.STORE)).kind, "dseg");
    // EA bits 2:11 non-zero cannot be qualified either.
    assert.equal(asFault(translate(m, c, 0xc010_0000_0000_0000n, Access.LOAD)).kind, "dseg");
  });

  it("records R on a load and R+C on a store, and nothing when inspecting", () => {
    const { m, t, kpgd } = radixMachine(16);
    const ea = 0xc000_0000_0200_0000n;
    const slot = t.map(kpgd, ea, 0x300_0000, PAGE_USER_RW_NO_RC);
    const c = m.cpu(0);
    const leaf = m.mem.readBe64(slot);
    const r = inspectTranslation(m, c, ea, Access.STORE);
    assert.ok(!isFault(r) && r.pa === 0x300_0000 && r.source === "walk");
    assert.equal(m.mem.readBe64(slot), leaf, "inspection must not set R/C");
    assert.equal(c.tlb?.size ?? 0, 0, "inspection must not fill the TLB");
    assert.equal(load(m, c, ea, 8), 0n);
    assert.equal(m.mem.readBe64(slot), leaf | 0x100n);
    assert.equal(store(m, c, ea, 8, 7n), null);
    assert.equal(m.mem.readBe64(slot), leaf | 0x180n);
    // The TLB caches the leaf as written back, whole and as its low word.
    const [e] = c.tlb?.entries() ?? [];
    assert.equal(e?.pte, leaf | 0x180n);
    assert.equal(e?.flags, Number((leaf | 0x180n) & 0xffff_ffffn));
  });

  it("store to a read-only PTE: DSI with DSISR 0x0A000000 (PROTFAULT|ISSTORE)", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, 0xc000_0000_0001_0000n, 0x20_0000, PAGE_KERNEL_RO);
    const f = asFault(store(m, m.cpu(0), 0xc000_0000_0001_0040n, 4, 1n));
    assert.equal(f.kind, "dsi");
    assert.equal(f.dsisr, 0x0a00_0000);
    assert.equal(f.ea, 0xc000_0000_0001_0040n);
    assert.equal(load(m, m.cpu(0), 0xc000_0000_0001_0040n, 4), 0n);
  });

  it("store to an unmapped address: DSISR 0x42000000 (NOHPTE|ISSTORE)", () => {
    const { m } = radixMachine(12);
    const f = asFault(store(m, m.cpu(0), 0xc000_0000_0777_0000n, 8, 1n));
    assert.equal(f.dsisr, 0x4200_0000);
  });

  it("problem state cannot access a privileged page (PROTFAULT)", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, 0xc000_0000_0001_0000n, 0x20_0000, PAGE_KERNEL);
    const c = m.cpu(0);
    c.msr = 0x9000_0000_0000_d033n; // MSR_USER64
    assert.equal(asFault(load(m, c, 0xc000_0000_0001_0000n, 8)).dsisr, 0x0800_0000);
  });

  it("instruction fetch from a non-executable page is an ISI with SRR1 cause 0x08000000", () => {
    const { m, t, kpgd } = radixMachine(16);
    t.map(kpgd, 0xc000_0000_0001_0000n, 0x20_0000, PAGE_KERNEL);
    const f = asFault(translate(m, m.cpu(0), 0xc000_0000_0001_0100n, Access.IFETCH));
    assert.equal(f.kind, "isi");
    assert.equal(f.srr1, 0x0800_0000);
  });

  it("real mode bypasses translation: EA & 0x0FFF_FFFF_FFFF_FFFF", () => {
    const { m } = radixMachine(16);
    const c = m.cpu(0);
    c.msr = 0x9000_0000_0000_1003n; // IR=DR=0
    assert.equal(translate(m, c, 0xc000_0000_0012_3456n, Access.LOAD), 0x12_3456);
  });

  it("the test table builder writes the documented 52-bit root value", () => {
    const { m } = radixMachine(16);
    const t2 = new RadixTables(m.mem, 16);
    assert.equal(m.mem.readBe64(0x1000) >> 60n, 0xcn); // HR | RTS bit
    assert.equal(t2.ptcr, 0x1000n);
  });
});

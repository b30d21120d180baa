// Radix geometry and PTE bits against the tables of mm-primitives.md §2-4.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  _PAGE_PTE,
  geometry,
  hasPteBit,
  PAGE_KERNEL,
  PAGE_KERNEL_ROX,
  PAGE_KERNEL_X,
  pdIsLeaf,
  pfnPte,
  pgdIndex,
  pmdIndex,
  pteHwValid,
  pteIndex,
  pteNone,
  ptePresent,
  pudIndex,
  VMALLOC_START,
} from "../../../../../../../../src/linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { Prng } from "../../../../../../../../src/util/prng.ts";

describe("Radix geometry (mm-primitives.md §2)", () => {
  it("64K pages: 13/9/9/5 index bits, 256-byte PTE tables, 256 PTE and 16 PMD fragments per page", () => {
    const g = geometry(16);
    assert.deepEqual(
      [g.pgdIndexSize, g.pudIndexSize, g.pmdIndexSize, g.pteIndexSize],
      [13, 9, 9, 5],
    );
    assert.deepEqual([g.pgdirShift, g.pudShift, g.pmdShift], [39, 30, 21]);
    assert.deepEqual(
      [g.pgdTableSize, g.pudTableSize, g.pmdTableSize, g.pteTableSize],
      [65536, 4096, 4096, 256],
    );
    assert.equal(g.pteFragNr, 256);
    assert.equal(g.pmdFragNr, 16);
    assert.equal(g.ap, 5);
  });
  it("4K pages: 9-bit PTE index, one fragment per page", () => {
    const g = geometry(12);
    assert.equal(g.pteIndexSize, 9);
    assert.equal(g.pteTableSize, 4096);
    assert.equal(g.pteFragNr, 1);
    assert.equal(g.ap, 0);
  });
  it("indexes as the header's (addr >> SHIFT) & (PTRS_PER - 1), whatever address came before", () => {
    // Addresses from every quadrant and a random walk of bits, interleaved so
    // that each index helper sees a different address than the call before.
    let x = 0x9e37_79b9_7f4a_7c15n;
    const next = () => {
      x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
      return x;
    };
    for (const shift of [12, 16] as const) {
      const g = geometry(shift);
      const ref = (a: bigint, s: number, bits: number) =>
        Number((a >> BigInt(s)) & ((1n << BigInt(bits)) - 1n));
      for (let i = 0; i < 2000; i++) {
        const a = next();
        const b = i % 2 === 0 ? a : a ^ (1n << BigInt(i % 64));
        assert.equal(pgdIndex(g, a), ref(a, g.pgdirShift, g.pgdIndexSize));
        assert.equal(pudIndex(g, b), ref(b, g.pudShift, g.pudIndexSize));
        assert.equal(pmdIndex(g, a), ref(a, g.pmdShift, g.pmdIndexSize));
        assert.equal(pteIndex(g, b), ref(b, g.pageShift, g.pteIndexSize));
        assert.equal(pudIndex(g, a), ref(a, g.pudShift, g.pudIndexSize));
      }
    }
  });
  it("puts VMALLOC_START at PGD index 4096 and the linear map at 0", () => {
    assert.equal(pgdIndex(geometry(16), VMALLOC_START), 0x1000);
    assert.equal(pgdIndex(geometry(16), 0xc000_0000_0000_0000n), 0);
  });
});

describe("PTE bits (mm-primitives.md §3.1)", () => {
  it("has the kernel protections and the alias PTE of code patching", () => {
    assert.equal(PAGE_KERNEL, 0x8000_0000_0000_018en);
    assert.equal(PAGE_KERNEL_X, 0x8000_0000_0000_018fn);
    assert.equal(PAGE_KERNEL_ROX, 0x8000_0000_0000_010dn);
    assert.equal(
      pfnPte(geometry(16), 0x123n, PAGE_KERNEL),
      (0x123n << 16n) | 0xc000_0000_0000_018en,
    );
  });
  it("pte_none ignores R/C; present needs PRESENT|PTE or INVALID|PTE", () => {
    assert.ok(pteNone(0x180n));
    assert.ok(!pteNone(0x8000_0000_0000_0000n));
    assert.ok(pteHwValid(0xc000_0000_0000_0000n));
    assert.ok(!pteHwValid(0x8000_0000_0000_0000n));
    assert.ok(ptePresent(0x6000_0000_0000_0000n));
  });
});

describe("hasPteBit: `& _PAGE_PTE` by comparisons", () => {
  it("agrees with the BigInt `&` on boundaries and 5000 random 64-bit values", () => {
    const rng = new Prng(62);
    const values: bigint[] = [0n, 1n, (1n << 62n) - 1n, 1n << 62n, (1n << 63n) - 1n, 1n << 63n];
    values.push((3n << 62n) - 1n, 3n << 62n, (1n << 64n) - 1n, 0xc000_0000_0000_018en);
    for (let i = 0; i < 5000; i++) {
      values.push((BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32()));
    }
    for (const v of values) {
      const expected = (v & _PAGE_PTE) !== 0n;
      assert.equal(hasPteBit(v), expected, `0x${v.toString(16)}`);
      assert.equal(pdIsLeaf(v), expected, `pdIsLeaf 0x${v.toString(16)}`);
    }
  });
  it("takes a negative (signed) or wider value as the `&` does", () => {
    assert.equal(hasPteBit(1n << 64n), false, "2^64: bit 62 clear");
    assert.equal(hasPteBit((1n << 64n) | (1n << 62n)), true);
    assert.equal(hasPteBit(-1n), true);
    assert.equal(hasPteBit(-(1n << 62n)), true, "0xc000...: bit 62 set");
    assert.equal(hasPteBit(-(1n << 63n)), false, "0x8000...: bit 62 clear");
  });
});

describe("pfnPte remembers its last answer per page size and protection", () => {
  it("gives the formula's value when only the page size or prot changes", () => {
    for (const shift of [12, 16, 12] as const) {
      const g = geometry(shift);
      for (const prot of [PAGE_KERNEL, PAGE_KERNEL_X, PAGE_KERNEL]) {
        const pfn = 0x1234n;
        assert.equal(pfnPte(g, pfn, prot), (pfn << BigInt(shift)) | prot | _PAGE_PTE);
      }
    }
  });
});

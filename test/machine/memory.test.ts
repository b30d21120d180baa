import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PhysMemory } from "../../src/machine/memory.ts";
import { Cloner, FORK, type Forkable } from "../../src/util/clone.ts";

describe("PhysMemory", () => {
  it("reads untouched memory as zero without materialising it", () => {
    const m = new PhysMemory(1 << 30);
    assert.equal(m.read64(0x1234_5678), 0n);
    assert.equal(m.read32(0x3fff_fffc), 0);
    assert.equal(
      m.readBytes(0x8000, 16).every((b) => b === 0),
      true,
    );
    assert.equal(m.chunkCount, 0);
  });

  it("stores little-endian: a word 0x11223344 lies in memory as 44 33 22 11", () => {
    const m = new PhysMemory(1 << 20);
    m.write32(0x100, 0x1122_3344);
    assert.deepEqual([...m.readBytes(0x100, 4)], [0x44, 0x33, 0x22, 0x11]);
    m.write64(0x200, 0x0102_0304_0506_0708n);
    assert.deepEqual([...m.readBytes(0x200, 8)], [8, 7, 6, 5, 4, 3, 2, 1]);
    assert.equal(m.read16(0x202), 0x0506);
    assert.equal(m.chunkCount, 1);
  });

  it("keeps table entries big-endian: readBe64 of bytes 80 00 .. 01 is 0x8000000000000001", () => {
    const m = new PhysMemory(1 << 20);
    m.writeBytes(0x40, Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 1]));
    assert.equal(m.readBe64(0x40), 0x8000_0000_0000_0001n);
    m.writeBe64(0x48, 0xc000_0000_0000_018en);
    assert.deepEqual([...m.readBytes(0x48, 8)], [0xc0, 0, 0, 0, 0, 0, 0x01, 0x8e]);
  });

  it("handles accesses that straddle a 4 KiB chunk boundary", () => {
    const m = new PhysMemory(1 << 20);
    m.write64(0xffc, 0xaabb_ccdd_1122_3344n);
    assert.equal(m.read64(0xffc), 0xaabb_ccdd_1122_3344n);
    assert.equal(m.read32(0x1000), 0xaabb_ccdd);
    assert.deepEqual([...m.readBytes(0xffe, 4)], [0x22, 0x11, 0xdd, 0xcc]);
  });

  it("zero() releases whole chunks and clears partial ones", () => {
    const m = new PhysMemory(1 << 20);
    m.write8(0x1000, 1);
    m.write8(0x2ff0, 2);
    m.zero(0x1000, 0x1800);
    assert.equal(m.read8(0x1000), 0);
    assert.equal(m.read8(0x2ff0), 2);
    assert.equal(m.chunkCount, 1);
  });

  it("a chunk released by zero() and reused for another address comes back all zeroes", () => {
    const m = new PhysMemory(1 << 24);
    m.writeBytes(0x1000, new Uint8Array(4096).fill(0xab));
    m.zero(0x1000, 4096);
    m.write32(0x9000, 0x1234_5678); // materialises a chunk: the released one
    assert.equal(m.read32(0x9000), 0x1234_5678);
    assert.deepEqual(m.readBytes(0x9004, 8), new Uint8Array(8));
    assert.deepEqual(m.readBytes(0x1000, 8), new Uint8Array(8));
    // Many chunks (more than one backing buffer) stay distinct.
    for (let i = 0; i < 200; i++) m.write32(0x10_0000 + i * 4096, i);
    for (let i = 0; i < 200; i++) assert.equal(m.read32(0x10_0000 + i * 4096), i);
  });

  it("writeSmall stores the low 1, 2 or 4 bytes of a number little-endian", () => {
    const m = new PhysMemory(1 << 20);
    m.writeSmall(0x100, 4, 0x8899_aabb);
    assert.equal(m.read32(0x100), 0x8899_aabb);
    m.writeSmall(0x100, 2, 0x1_2345);
    assert.equal(
      m.read32(0x100),
      0x8899_2345,
      "2 bytes: the 0x1_0000 bit dropped, the rest untouched",
    );
    m.writeSmall(0x103, 1, 0x1ff);
    assert.equal(m.read32(0x100), 0xff99_2345);
    m.writeSmall(0xffe, 4, -1);
    assert.equal(m.read32(0xffe), 0xffff_ffff, "across a chunk boundary, -1 as 0xffffffff");
  });

  it("wraps 64-bit stores modulo 2^64 (a negative or too-wide bigint)", () => {
    const m = new PhysMemory(1 << 20);
    m.writeBe64(0x200, -1n);
    assert.equal(m.readBe64(0x200), 0xffff_ffff_ffff_ffffn);
    m.writeBe64(0x200, (1n << 64n) | 5n);
    assert.equal(m.readBe64(0x200), 5n);
    m.write64(0x208, -2n);
    assert.equal(m.read64(0x208), 0xffff_ffff_ffff_fffen);
  });

  it("rejects accesses outside physical memory", () => {
    const m = new PhysMemory(0x1000);
    assert.throws(() => m.read8(0x1000), RangeError);
    assert.throws(() => m.write32(0xffe, 0), RangeError);
  });
});

describe("PhysMemory forks: copy-on-write per chunk", () => {
  const fork = (m: PhysMemory): PhysMemory =>
    (m as unknown as Forkable)[FORK](new Cloner()) as PhysMemory;

  it("a fork reads what its parent wrote, and neither sees the other's later writes", () => {
    const m = new PhysMemory(1 << 20);
    m.write32(0x100, 0x1111_1111);
    m.writeBe64(0x2000, 0xaaaa_0000_0000_0001n);
    const f = fork(m);
    assert.equal(f.read32(0x100), 0x1111_1111);
    assert.equal(f.readBe64(0x2000), 0xaaaa_0000_0000_0001n);
    f.write32(0x100, 0x2222_2222);
    m.write32(0x104, 0x3333_3333);
    assert.equal(m.read32(0x100), 0x1111_1111, "the fork's write is its own");
    assert.equal(f.read32(0x104), 0, "the parent's write after the fork is its own");
    assert.equal(f.read32(0x100), 0x2222_2222);
    assert.equal(m.chunkCount, 2);
    assert.equal(f.chunkCount, 2);
  });

  it("a table-entry store through a chunk cached by a read copies it first", () => {
    const m = new PhysMemory(1 << 20);
    m.writeBe64(0x3000, 1n);
    const f = fork(m);
    assert.equal(f.readBe64(0x3000), 1n, "the read caches the shared chunk");
    assert.equal(f.readBe32(0x3004), 1);
    f.writeBe64(0x3000, 2n);
    f.writeBe32(0x3008, 3);
    assert.equal(f.readBe64(0x3000), 2n);
    assert.equal(m.readBe64(0x3000), 1n);
    assert.equal(m.readBe32(0x3008), 0);
    const g = fork(m);
    assert.equal(g.readBe64(0x3000), 1n, "a later fork of the parent sees the parent's bytes");
  });

  it("bumps the generation when a write copies a shared chunk (cached views are stale)", () => {
    const m = new PhysMemory(1 << 20);
    m.write8(0x10, 1);
    const f = fork(m);
    const gen = f.generation;
    f.write8(0x11, 2);
    assert.ok(f.generation > gen);
    const g2 = f.generation;
    f.write8(0x12, 3);
    assert.equal(f.generation, g2, "only the first write to the chunk copies it");
  });

  it("a fork's chunkForWrite is its own; its parent's earlier views are sealed away", () => {
    const m = new PhysMemory(1 << 20);
    const before = m.chunkForWrite(0x5000);
    before.setUint32(0, 7, true);
    const genBefore = m.generation;
    const f = fork(m);
    assert.ok(
      m.generation > genBefore,
      "forking seals the parent's chunks: its cached views must go",
    );
    const mine = f.chunkForWrite(0x5000);
    assert.notEqual(mine, before);
    mine.setUint32(0, 8, true);
    assert.equal(m.read32(0x5000), 7);
    const again = m.chunkForWrite(0x5000);
    assert.notEqual(again, before, "the parent copies too before writing");
    again.setUint32(0, 9, true);
    assert.equal(f.read32(0x5000), 8);
  });

  it("zeroing a shared chunk in a fork hides it there only; a part of one copies it", () => {
    const m = new PhysMemory(1 << 20);
    m.writeBytes(0x1000, new Uint8Array(8192).fill(0xab));
    const f = fork(m);
    f.zero(0x1000, 4096);
    f.zero(0x2000, 16);
    assert.equal(f.read8(0x1000), 0);
    assert.equal(f.read8(0x2000), 0);
    assert.equal(f.read8(0x2010), 0xab);
    assert.equal(m.read8(0x1000), 0xab);
    assert.equal(m.read8(0x2000), 0xab);
    assert.equal(f.chunkCount, 1);
    assert.deepEqual(f.chunkAddresses(), [0x2000]);
    assert.deepEqual(m.chunkAddresses(), [0x1000, 0x2000]);
    f.write8(0x1004, 5);
    assert.equal(f.read8(0x1000), 0, "a zeroed chunk written again starts from zeroes");
    assert.equal(f.read8(0x1004), 5);
    const g = fork(f);
    assert.equal(g.read8(0x1004), 5);
    assert.equal(g.read8(0x1000), 0);
    assert.equal(g.read8(0x2010), 0xab);
  });

  it("forking a memory nothing wrote since its last fork shares one sealed layer", () => {
    const m = new PhysMemory(1 << 20);
    m.write8(0, 1);
    const a = fork(m);
    const b = fork(m);
    a.write8(0, 2);
    b.write8(0, 3);
    assert.deepEqual([m.read8(0), a.read8(0), b.read8(0)], [1, 2, 3]);
  });
});

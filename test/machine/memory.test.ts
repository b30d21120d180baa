import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PhysMemory } from "../../src/machine/memory.ts";

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

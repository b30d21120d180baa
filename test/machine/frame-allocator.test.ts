import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DefaultChoices } from "../../src/machine/choices/default.ts";
import { RecordingChoices } from "../../src/machine/choices/recording.ts";
import { ReplayChoices } from "../../src/machine/choices/replay.ts";
import { FrameAllocator } from "../../src/machine/frame-allocator.ts";
import { PhysMemory } from "../../src/machine/memory.ts";
import type { Choices } from "../../src/util/choices.ts";

const failSite = (bad: string): Choices => ({
  pickCpu: (r) => r[0]!,
  deliverInterrupt: () => false,
  failAllocation: (site) => site === bad,
  random: () => 0,
});

describe("FrameAllocator", () => {
  it("allocates naturally aligned blocks of 2^order 64 KiB frames", () => {
    const a = new FrameAllocator(0x100_0000, 0x100_0000, 65536);
    const ch = new DefaultChoices();
    const one = a.alloc(ch, "pte", 0);
    const four = a.alloc(ch, "pgd", 2);
    assert.equal(one, 0x100_0000);
    assert.equal(four, 0x104_0000); // next 256 KiB-aligned free block
    assert.equal(a.allocatedFrames, 5);
    assert.equal(a.perSite.get("pgd")?.liveFrames, 4);
  });

  it("is first fit: every allocation takes the lowest free aligned block, after frees too", () => {
    const frame = 4096;
    const a = new FrameAllocator(0, 64 * frame, frame);
    const ch = new DefaultChoices();
    const f = (order: number) => (a.alloc(ch, "t", order)! as number) / frame;
    assert.deepEqual([f(0), f(0), f(0), f(0), f(0)], [0, 1, 2, 3, 4]);
    a.free(1 * frame);
    a.free(3 * frame);
    assert.equal(
      f(1),
      6,
      "frames 5 and 4..5 are not both free: the first free aligned pair is 6..7",
    );
    assert.equal(f(0), 1, "a freed frame below the others is found again");
    assert.equal(f(0), 3);
    assert.equal(f(0), 5);
    assert.equal(f(2), 8);
    a.free(0);
    assert.equal(f(0), 0);
    assert.equal(f(0), 12, "0..11 are taken now");
  });

  it("fails an allocation when Choices says so, and counts it", () => {
    const a = new FrameAllocator(0, 0x10_0000, 4096);
    const ch = failSite("text_area");
    assert.equal(a.alloc(ch, "text_area"), null);
    assert.notEqual(a.alloc(ch, "other"), null);
    assert.equal(a.perSite.get("text_area")?.failures, 1);
    assert.equal(a.allocatedFrames, 1);
  });

  it("records the failure decision in the schedule and replays it", () => {
    const a = new FrameAllocator(0, 0x10_0000, 4096);
    const rec = new RecordingChoices(failSite("x"));
    a.alloc(rec, "y");
    a.alloc(rec, "x");
    assert.deepEqual(rec.schedule, [0, 1]);
    const b = new FrameAllocator(0, 0x10_0000, 4096);
    const rep = new ReplayChoices(rec.schedule);
    assert.notEqual(b.alloc(rep, "y"), null);
    assert.equal(b.alloc(rep, "x"), null);
  });

  it("tracks frees for leak checks and reuses freed frames", () => {
    const a = new FrameAllocator(0, 0x10_0000, 4096);
    const ch = new DefaultChoices();
    const p = a.alloc(ch, "s")!;
    a.free(p);
    assert.equal(a.allocatedFrames, 0);
    assert.equal(a.totalAllocs, 1);
    assert.equal(a.totalFrees, 1);
    assert.equal(a.alloc(ch, "s"), p);
  });

  it("throws on double free, on freeing an unallocated frame and on an order mismatch", () => {
    const a = new FrameAllocator(0, 0x10_0000, 4096);
    const ch = new DefaultChoices();
    const p = a.alloc(ch, "s", 1)!;
    assert.throws(() => a.free(p, 0));
    assert.throws(() => a.free(p + 4096, 0));
    a.free(p, 1);
    assert.throws(() => a.free(p, 1), /double free/);
    assert.throws(() => a.free(0x8_0000), /not allocated/);
  });

  it("zeroes freed frames in memory when given one", () => {
    const mem = new PhysMemory(0x10_0000);
    const a = new FrameAllocator(0, 0x10_0000, 4096, mem);
    const p = a.alloc(new DefaultChoices(), "s")!;
    mem.write32(p + 8, 0xdead_beef);
    a.free(p);
    assert.equal(mem.read32(p + 8), 0);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fetch, icbi } from "../../src/machine/access.ts";
import { deliverInterrupt, rfid } from "../../src/machine/exceptions.ts";
import { Machine } from "../../src/machine/machine.ts";
import { predecodeOf } from "../../src/machine/predecode.ts";
import { deepClone } from "../../src/util/clone.ts";

const NOP = 0x6000_0000; // nop (isa.md §17)
const LI_R3_1 = 0x3860_0001; // li r3,1
const TRAP = 0x7fe0_0008; // tw 31,0,0

/** Two CPUs fetching in real mode (MSR[IR]=0), so only the icache is under test. */
function setup() {
  const m = new Machine({ cpus: 2, memoryBytes: 1 << 20 });
  for (const c of m.cpus) c.msr = 0x9000_0000_0000_1003n;
  m.mem.write32(0x4010, NOP);
  return m;
}

describe("instruction cache", () => {
  it("executes the stale instruction after a store until icbi + isync", () => {
    const m = setup();
    const c = m.cpu(0);
    assert.equal(fetch(m, c, 0x4010n), NOP);
    m.mem.write32(0x4010, LI_R3_1);
    assert.equal(fetch(m, c, 0x4010n), NOP, "a store does not update the icache");
    assert.equal(icbi(m, c, 0x4010n), null);
    assert.equal(fetch(m, c, 0x4010n), NOP, "icbi without isync: still stale");
    m.isync(c);
    assert.equal(fetch(m, c, 0x4010n), LI_R3_1);
  });

  it("icbi on another CPU marks the line stale, but only the fetching CPU's isync drops it", () => {
    const m = setup();
    const [c0, c1] = [m.cpu(0), m.cpu(1)];
    fetch(m, c0, 0x4010n);
    m.mem.write32(0x4010, TRAP);
    icbi(m, c1, 0x4010n);
    m.isync(c1);
    assert.equal(fetch(m, c0, 0x4010n), NOP);
    m.isync(c0);
    assert.equal(fetch(m, c0, 0x4010n), TRAP);
  });

  it("without icbi, even isync keeps the old line", () => {
    const m = setup();
    const c = m.cpu(0);
    fetch(m, c, 0x4010n);
    m.mem.write32(0x4010, TRAP);
    m.isync(c);
    assert.equal(fetch(m, c, 0x4010n), NOP);
  });

  it("a line not yet cached is filled with the current memory contents", () => {
    const m = setup();
    m.mem.write32(0x4010, TRAP);
    assert.equal(fetch(m, m.cpu(1), 0x4010n), TRAP);
  });

  it("an interrupt and rfid are context synchronising", () => {
    const m = setup();
    const c = m.cpu(0);
    fetch(m, c, 0x4010n);
    m.mem.write32(0x4010, TRAP);
    icbi(m, c, 0x4010n);
    deliverInterrupt(c, 0x500, 0x4010n);
    assert.equal(fetch(m, c, 0x4010n), TRAP);
    m.mem.write32(0x4010, NOP);
    icbi(m, c, 0x4010n);
    c.srr1 = 0x9000_0000_0000_1003n;
    rfid(c);
    assert.equal(fetch(m, c, 0x4010n), NOP);
  });

  it("reports dropped lines (128-byte aligned) to the invalidation hook", () => {
    const m = setup();
    const c = m.cpu(0);
    fetch(m, c, 0x4010n);
    const dropped: number[] = [];
    c.icache!.dropListener = { dropLine: (line) => dropped.push(line) };
    icbi(m, c, 0x407cn); // same 128-byte line as 0x4010
    m.isync(c);
    assert.deepEqual(dropped, [0x4000]);
  });
});

describe("icache and predecode cache forks", () => {
  it("a fork of a machine keeps its own stale bits, lines and predecoded slots", () => {
    const m = setup();
    const c = m.cpu(0);
    assert.equal(fetch(m, c, 0x4010n), NOP);
    const pre = predecodeOf(m, c, false);
    pre.decode(m, c, pre.page(0x4000), 4);
    const f = deepClone(m);
    const fc = f.cpu(0);
    const fpre = predecodeOf(f, fc, false);
    assert.notEqual(fpre, pre, "the fork's predecode cache is its own");
    assert.equal(fpre.page(0x4000).singles[4] !== undefined, true, "and holds what was decoded");
    // The fork patches and resynchronises: its line and slot go, the original's stay.
    f.mem.write32(0x4010, TRAP);
    icbi(f, fc, 0x4010n);
    f.isync(fc);
    assert.equal(fetch(f, fc, 0x4010n), TRAP);
    assert.equal(fpre.page(0x4000).singles[4], undefined, "the fork dropped its decoded slot");
    assert.equal(c.icache!.peek32(0x4010)?.stale, false, "the original's line is not stale");
    assert.equal(fetch(m, c, 0x4010n), NOP, "and still holds the old word");
    assert.notEqual(pre.page(0x4000).singles[4], undefined, "the original's slot is kept");
    assert.equal(m.mem.read32(0x4010), NOP);
    // The original decodes on: the fork's page does not change with it.
    const g = deepClone(m);
    pre.decode(m, c, pre.page(0x4000), 5);
    assert.equal(predecodeOf(g, g.cpu(0), false).page(0x4000).singles[5], undefined);
  });
});

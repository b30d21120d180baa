// What the machine reports for a checker's dependency relation where it is
// exact rather than conservative: a TLB invalidation writes a CPU's TLB only
// where it removes an entry (and that entry's key), reads it elsewhere; an
// icbi or isync writes an icache only where it changes it. A relation that
// wrote everywhere would be sound but explode the search; one that only read
// would lose schedules.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FootprintRecorder } from "../../src/explore/footprint.ts";
import { Machine } from "../../src/machine/machine.ts";
import { TlbEntry } from "../../src/machine/tlb.ts";

const PAGE = 0x7000_0000; // an effective page (EA without quadrant bits)
const OTHER = 0x7100_0000;
const RB = (ea: number) => BigInt(ea); // IS=0, AP=0: one 4 KiB page
const RS = 5n << 32n; // PID 5, LPID 0

function setup() {
  const m = new Machine({ cpus: 2, memoryBytes: 1 << 24 });
  const rec = new FootprintRecorder();
  m.footprint = rec;
  m.tlbOf(m.cpu(1)).insert(new TlbEntry(0, 5, PAGE, 12, 0x10000, 0, 0x100, 0x2000));
  rec.discard();
  return { m, rec };
}

/** Keys another CPU's step touching CPU 1's TLB would conflict with. */
function conflicts(a: { reads: readonly number[]; writes: readonly number[] }, b: typeof a) {
  return (
    a.writes.some((k) => b.reads.includes(k) || b.writes.includes(k)) ||
    b.writes.some((k) => a.reads.includes(k))
  );
}

describe("exact footprints", () => {
  it("tlbie of a page CPU 1 holds writes CPU 1's TLB; of a page it lacks only reads it", () => {
    const { m, rec } = setup();
    m.tlbie(m.cpu(0), RB(OTHER), RS, 0, true, true);
    const miss = rec.take();
    assert.equal(m.cpu(1).tlb!.size, 1);
    m.tlbie(m.cpu(0), RB(PAGE), RS, 0, true, true);
    const hit = rec.take();
    assert.equal(m.cpu(1).tlb!.size, 0);
    assert.ok(hit.writes.length > 0, "removing an entry is a write");
    assert.equal(miss.writes.length, 0, `removing nothing only reads: ${miss.writes}`);
    // Two invalidations of pages nobody holds commute; one that removes conflicts with one that does not.
    assert.ok(!conflicts(miss, miss));
    assert.ok(conflicts(hit, { reads: [...hit.writes], writes: [] }));
  });

  it("a fill conflicts with an invalidation of its own page, not of another page", () => {
    const { m, rec } = setup();
    m.tlbie(m.cpu(0), RB(OTHER), RS, 0, true, true);
    const other = rec.take();
    m.tlbie(m.cpu(0), RB(PAGE + 0x1000), RS, 0, true, true);
    const same = rec.take();
    // CPU 1 fills PAGE + 0x1000: what a translation miss reports.
    m.footprint!.tlb(1, true);
    m.footprint!.tlbEntry(1, 12, PAGE + 0x1000, true);
    const fill = rec.take();
    assert.ok(conflicts(fill, same), "the invalidation of the page filled");
    assert.ok(!conflicts(fill, other), "an invalidation of another page");
  });

  it("icbi writes only the icaches holding the line fresh; isync writes only with a stale line to drop", () => {
    const { m, rec } = setup();
    const ic = m.icacheOf(m.cpu(1));
    ic.fetch32(m.mem, 0x4000);
    rec.discard();
    m.icbi(0x8000); // a line no CPU holds
    const none = rec.take();
    m.icbi(0x4000);
    const held = rec.take();
    m.isync(m.cpu(0));
    const isyncClean = rec.take();
    m.isync(m.cpu(1));
    const isyncStale = rec.take();
    assert.equal(none.writes.length, 0);
    assert.equal(held.writes.length, 1);
    assert.equal(isyncClean.writes.length, 0);
    assert.equal(isyncStale.writes.length, 1);
    assert.ok(conflicts(held, isyncStale) && !conflicts(none, isyncClean));
  });
});

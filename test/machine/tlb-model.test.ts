import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Tlb, TlbEntry, type TlbiTarget } from "../../src/machine/tlb.ts";

/**
 * The TLB against a naive reference: a list of entries, looked up and
 * invalidated by linear search with the architected matching rules. The
 * TLB keeps recent entries in a front and the rest in maps, moving entries
 * between them; whatever it does inside, what it answers must be the
 * reference's answer.
 */
class ReferenceTlb {
  entries: TlbEntry[] = [];
  lookup(lpid: number, pid: number, ea52: number): TlbEntry | undefined {
    return this.entries.find(
      (e) => e.lpid === lpid && e.pid === pid && ea52 >= e.ea && ea52 - e.ea < 2 ** e.shift,
    );
  }
  insert(e: TlbEntry): void {
    this.entries = this.entries.filter(
      (o) => !(o.lpid === e.lpid && o.pid === e.pid && o.ea === e.ea && o.shift === e.shift),
    );
    this.entries.push(e);
  }
  invalidate(t: TlbiTarget): number {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !refMatches(e, t));
    return before - this.entries.length;
  }
}

function refMatches(e: TlbEntry, t: TlbiTarget): boolean {
  const base = (shift: number) => Math.floor(t.ea / 2 ** shift) * 2 ** shift;
  switch (t.is) {
    case 0:
      if (!t.radix) return e.ea === base(e.shift);
      return (
        e.lpid === t.lpid &&
        (!t.prs || e.pid === t.pid) &&
        e.shift === t.shift &&
        e.ea === base(e.shift)
      );
    case 1:
      return e.lpid === t.lpid && (!t.prs || e.pid === t.pid);
    case 2:
      return e.lpid === t.lpid;
    default:
      return true;
  }
}

// Few contexts and pages, so that sequences revisit them; 52-bit EAs.
const SHIFTS = [12, 16, 21];
const PAGES = [0, 1, 2, 3, 5, 8, 13, 0x3_ffff_ffff];
const arbEa = fc
  .tuple(fc.constantFrom(...PAGES), fc.integer({ min: 0, max: 0xffff }))
  .map(([page, off]) => page * 2 ** 16 + off);
const arbCtx = fc.record({ lpid: fc.constantFrom(0, 1), pid: fc.constantFrom(0, 3, 7) });
const arbOp = fc.oneof(
  fc.record({
    op: fc.constant("insert" as const),
    ctx: arbCtx,
    ea: arbEa,
    shift: fc.constantFrom(...SHIFTS),
    tag: fc.nat(1000),
  }),
  fc.record({ op: fc.constant("lookup" as const), ctx: arbCtx, ea: arbEa }),
  fc.record({
    op: fc.constant("invalidate" as const),
    ctx: arbCtx,
    ea: arbEa,
    shift: fc.constantFrom(...SHIFTS),
    is: fc.constantFrom(0, 0, 1, 2, 3),
    prs: fc.boolean(),
    radix: fc.boolean(),
  }),
);

describe("TLB against a linear reference", () => {
  it("answers every lookup, invalidation count, size and listing as the reference does", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 120 }), (ops) => {
        const tlb = new Tlb();
        const ref = new ReferenceTlb();
        for (const o of ops) {
          if (o.op === "insert") {
            const ea = Math.floor(o.ea / 2 ** o.shift) * 2 ** o.shift;
            const pa = o.tag * 2 ** o.shift;
            const e = new TlbEntry(o.ctx.lpid, o.ctx.pid, ea, o.shift, pa, 0, 0x18e, 0);
            tlb.insert(e);
            ref.insert(e);
          } else if (o.op === "lookup") {
            const want = ref.lookup(o.ctx.lpid, o.ctx.pid, o.ea);
            const got = tlb.lookup(o.ctx.lpid, o.ctx.pid, o.ea);
            // Overlapping sizes may both cover an EA; then any covering entry is a correct hit.
            if (want === undefined) assert.equal(got, undefined);
            else
              assert.ok(got !== undefined && ref.entries.includes(got) && got.lpid === o.ctx.lpid);
          } else {
            const t: TlbiTarget = {
              is: o.is,
              lpid: o.ctx.lpid,
              pid: o.ctx.pid,
              ea: Math.floor(o.ea / 4096) * 4096,
              shift: o.shift,
              prs: o.prs,
              radix: o.radix,
            };
            assert.equal(tlb.invalidate(t), ref.invalidate(t));
          }
          assert.equal(tlb.size, ref.entries.length);
        }
        assert.deepEqual(tlb.entries(), ref.entries);
      }),
      { numRuns: 300, seed: 0x7b1 },
    );
  });

  it("keeps an entry found beyond the recent front, and invalidates it there", () => {
    const tlb = new Tlb();
    const es = [0, 1, 2, 3, 4, 5, 6, 7].map(
      (i) => new TlbEntry(0, 0, i * 4096, 12, 0x10_0000 + i * 4096, 0, 0x18e, 0),
    );
    for (const e of es) tlb.insert(e);
    assert.equal(tlb.lookup(0, 0, 0x10), es[0], "oldest entry, long out of the front");
    assert.equal(tlb.lookup(0, 0, 7 * 4096 + 8), es[7]);
    const t = { is: 0, lpid: 0, pid: 0, ea: 4096, shift: 12, prs: true, radix: true };
    assert.equal(tlb.invalidate(t), 1);
    assert.equal(tlb.lookup(0, 0, 4096), undefined);
    assert.equal(tlb.size, 7);
  });
});

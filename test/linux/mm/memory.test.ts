// get_locked_pte: which tables it allocates and which lock it takes
// (mm-primitives.md §2 fragment sizes, §7 locking; split PTE locks when
// NR_CPUS >= SPLIT_PTLOCK_CPUS = 4).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mmu from "../../../src/linux/arch/powerpc/include/asm/book3s/64/mmu.ts";
import type { MmStruct } from "../../../src/linux/include/linux/mm_types.ts";
import { mmAlloc } from "../../../src/linux/kernel/fork.ts";
import { getLockedPte, type LockedPte, pteUnmapUnlock } from "../../../src/linux/mm/memory.ts";
import { frameAllocator } from "../../../src/linux/mm/page_alloc.ts";
import { bootedKernel, runOn, task } from "../helpers/kernel.ts";

const ALIAS = 0x0000_0abc_0000_0000n;

function live(k: Parameters<typeof frameAllocator>[0], site: string): number {
  return frameAllocator(k).perSite.get(site)?.liveFrames ?? 0;
}

describe("get_locked_pte", () => {
  for (const split of [true, false]) {
    it(`allocates one PUD, PMD and PTE table and takes the ${split ? "split PTE lock" : "mm page_table_lock"}`, () => {
      const k = bootedKernel(mmu, { sets: split ? [] : ["CONFIG_NR_CPUS=2"] });
      assert.equal(k.config.bool("SPLIT_PTE_PTLOCKS"), split);
      const t = task(k, 1, "init");
      let mm: MmStruct | undefined;
      let first: LockedPte | null = null;
      let ownerInside = -1;
      const before = {
        pud: live(k, "pud_alloc"),
        pmd: live(k, "pmd_alloc"),
        pte: live(k, "pte_alloc"),
      };
      runOn(k, 0, t, function* (c) {
        mm = (yield* mmAlloc(c))!;
        first = yield* getLockedPte(c, mm, ALIAS);
        ownerInside = first!.ptl.owner;
        yield* pteUnmapUnlock(c, first!);
      });
      assert.ok(first !== null && mm !== undefined);
      const l = first as LockedPte;
      assert.equal(ownerInside, 0, "the lock is held by this CPU on return");
      assert.equal(l.ptl.owner, -1);
      assert.equal(live(k, "pud_alloc") - before.pud, 1);
      assert.equal(live(k, "pmd_alloc") - before.pmd, 1);
      assert.equal(live(k, "pte_alloc") - before.pte, 1);
      // 64K pages: 4 KiB PUD + 4 KiB PMD + 256-byte PTE table accounted.
      assert.equal(mm.pgtablesBytes, 4096 + 4096 + 256);
      if (split) assert.notEqual(l.ptl, mm.pageTableLock);
      else assert.equal(l.ptl, mm.pageTableLock);
      // The next page in the same PMD range needs no new table.
      let second: LockedPte | null = null;
      runOn(k, 0, t, function* (c) {
        second = yield* getLockedPte(c, mm!, ALIAS + 0x10000n);
        yield* pteUnmapUnlock(c, second!);
      });
      assert.equal(live(k, "pte_alloc") - before.pte, 1);
      assert.equal((second as LockedPte | null)!.pte, l.pte + 8);
      // A second mm takes its fragments from its own pages.
      runOn(k, 0, t, function* (c) {
        const mm2 = (yield* mmAlloc(c))!;
        const p = (yield* getLockedPte(c, mm2, ALIAS))!;
        assert.notEqual(Math.floor(p.pte / 65536), Math.floor(l.pte / 65536));
        yield* pteUnmapUnlock(c, p);
      });
    });
  }

  it("returns NULL when a table allocation fails", () => {
    const k = bootedKernel(mmu);
    const t = task(k, 1, "init");
    for (const site of ["pud_alloc", "pmd_alloc", "pte_alloc"]) {
      let got: LockedPte | null | undefined;
      const fail = k.choices as { failAllocation: (s: string) => boolean };
      const orig = fail.failAllocation.bind(fail);
      runOn(k, 0, t, function* (c) {
        const mm = (yield* mmAlloc(c))!;
        fail.failAllocation = (s) => s === site;
        got = yield* getLockedPte(c, mm, ALIAS);
        fail.failAllocation = orig;
      });
      assert.equal(got, null, site);
    }
  });
});

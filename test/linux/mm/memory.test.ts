// get_locked_pte: which tables it allocates and which lock it takes
// (mm-primitives.md §2 fragment sizes, §7 locking; split PTE locks when
// NR_CPUS >= SPLIT_PTLOCK_CPUS = 4).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mmu from "../../../src/linux/arch/powerpc/include/asm/book3s/64/mmu.ts";
import {
  geometry,
  PAGE_KERNEL,
  pfnPte,
} from "../../../src/linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { setPteAt } from "../../../src/linux/arch/powerpc/mm/pgtable.ts";
import type { MmStruct } from "../../../src/linux/include/linux/mm_types.ts";
import { mmAlloc } from "../../../src/linux/kernel/fork.ts";
import { getLockedPte, type LockedPte, pteUnmapUnlock } from "../../../src/linux/mm/memory.ts";
import { frameAllocator } from "../../../src/linux/mm/page_alloc.ts";
import { OpKind } from "../../../src/machine/ops.ts";
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

  // VM_BUG_ON(pmd_trans_huge(*pmd)) in walk_to_pmd: without CONFIG_DEBUG_VM the
  // macro is BUILD_BUG_ON_INVALID, which does not evaluate its condition.
  for (const debugVm of [false, true]) {
    it(`reads the PMD ${debugVm ? "three times with DEBUG_VM (VM_BUG_ON's *pmd)" : "twice without DEBUG_VM"} once the tables exist`, () => {
      const k = bootedKernel(mmu, { sets: debugVm ? ["CONFIG_DEBUG_VM=y"] : [] });
      assert.equal(k.config.bool("DEBUG_VM"), debugVm);
      const t = task(k, 1, "init");
      let mm: MmStruct | undefined;
      runOn(k, 0, t, function* (c) {
        mm = (yield* mmAlloc(c))!;
        yield* pteUnmapUnlock(c, (yield* getLockedPte(c, mm, ALIAS))!);
      });
      const reads: number[] = [];
      const off = k.machine.addStepHook((_m, cpu) => {
        if (cpu.pending.kind === OpKind.PTE_READ) reads.push(Number(cpu.pending.ea));
      });
      let pte = -1;
      runOn(k, 0, t, function* (c) {
        const l = (yield* getLockedPte(c, mm!, ALIAS))!;
        pte = l.pte;
        yield* pteUnmapUnlock(c, l);
      });
      off();
      // pud_alloc reads the PGD entry, pmd_alloc the PUD entry; then the PMD
      // entry for pte_alloc's pmd_none and for pte_offset_map_lock.
      assert.equal(reads.length, debugVm ? 5 : 4, `reads: ${reads.map((a) => a.toString(16))}`);
      const pmdReads = reads.slice(2);
      assert.ok(
        pmdReads.every((a) => a === pmdReads[0]),
        "the last reads are all of one PMD slot",
      );
      assert.notEqual(pmdReads[0], pte, "not the PTE slot itself");
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

describe("set_pte_at", () => {
  // VM_WARN_ON(pte_hw_valid(*ptep) && !pte_protnone(*ptep)): evaluated, and so
  // *ptep read, only under CONFIG_DEBUG_VM.
  for (const debugVm of [false, true]) {
    it(`${debugVm ? "reads the old PTE first with DEBUG_VM" : "writes without reading the old PTE without DEBUG_VM"}`, () => {
      const k = bootedKernel(mmu, { sets: debugVm ? ["CONFIG_DEBUG_VM=y"] : [] });
      const t = task(k, 1, "init");
      const kinds: number[] = [];
      let written = 0n;
      runOn(k, 0, t, function* (c) {
        const mm = (yield* mmAlloc(c))!;
        const l = (yield* getLockedPte(c, mm, ALIAS))!;
        const off = k.machine.addStepHook((_m, cpu) => {
          kinds.push(cpu.pending.kind);
        });
        yield* setPteAt(c, mm, ALIAS, l.pte, pfnPte(geometry(k.pageShift), 0x123n, PAGE_KERNEL));
        off();
        written = k.machine.loadPte(l.pte);
        yield* pteUnmapUnlock(c, l);
      });
      const reads = kinds.filter((x) => x === OpKind.PTE_READ).length;
      assert.equal(reads, debugVm ? 1 : 0);
      assert.ok(kinds.includes(OpKind.PTE_WRITE), "the PTE is written");
      assert.equal(written, pfnPte(geometry(k.pageShift), 0x123n, PAGE_KERNEL));
    });
  }
});

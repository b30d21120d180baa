// mm_alloc / mmput page-table lifetimes (mm-primitives.md §6) and what the
// kernel leaks when an mmu_gather is never finished (code-patching.md §5.3:
// put_patching_mm = tlb_gather_mmu + free_pgd_range(0, 0) + mmput).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as mmu from "../../../src/linux/arch/powerpc/include/asm/book3s/64/mmu.ts";
import { contextIdsInUse } from "../../../src/linux/arch/powerpc/mm/book3s64/mmu_context.ts";
import { prtb0Addr } from "../../../src/linux/arch/powerpc/mm/book3s64/radix_pgtable.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { simReports } from "../../../src/linux/core/sim-report.ts";
import type { MmStruct } from "../../../src/linux/include/linux/mm_types.ts";
import { mmAlloc, mmdrop, mmput } from "../../../src/linux/kernel/fork.ts";
import { freePgdRange, getLockedPte, pteUnmapUnlock } from "../../../src/linux/mm/memory.ts";
import { tlbFinishMmu, tlbGatherMmu } from "../../../src/linux/mm/mmu_gather.ts";
import { frameAllocator, slabCounters } from "../../../src/linux/mm/page_alloc.ts";
import { bootedKernel, FailAt, log, runOn, task } from "../helpers/kernel.ts";

const ALIAS = 0x0000_0123_4567_0000n;
const SITES = ["pgd_alloc", "pud_alloc", "pmd_alloc", "pte_alloc", "mmu_gather_batch"];

function snapshot(k: Kernel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of SITES) out[s] = frameAllocator(k).perSite.get(s)?.liveFrames ?? 0;
  out.mm_alloc = slabCounters(k, "mm_alloc").live;
  out.frames = frameAllocator(k).allocatedFrames;
  out.pids = contextIdsInUse(k).size;
  return out;
}

describe("mm_alloc and mmput", () => {
  it("mm_alloc writes the PID's process-table entry; mmput gives everything back", () => {
    const k = bootedKernel(mmu);
    const t = task(k, 1, "init");
    const before = snapshot(k);
    let mm: MmStruct | undefined;
    let prtb0 = 0n;
    runOn(k, 0, t, function* (c) {
      mm = (yield* mmAlloc(c))!;
      prtb0 = k.machine.mem.readBe64(prtb0Addr(k, mm.context.id));
    });
    // The guard PID is 1, so the first mm gets PID 2 (mm-primitives.md §3.4).
    assert.equal(mm!.context.id, 2);
    assert.equal(prtb0, 0x4000_0000_0000_00a0n | BigInt(mm!.pgd) | 13n);
    assert.equal(snapshot(k).pgd_alloc, before.pgd_alloc! + 1);
    runOn(k, 0, t, (c) => mmput(c, mm!));
    assert.deepEqual(snapshot(k), before);
    assert.equal(k.machine.mem.readBe64(prtb0Addr(k, 2)), 0n);
    assert.ok(!log(k).some((l) => l.includes("WARNING") || l.includes("BUG")));
  });

  it("put_patching_mm leaks the gathered tables and the batch page; finishing the gather does not", () => {
    for (const finish of [false, true]) {
      const k = bootedKernel(mmu);
      const t = task(k, 1, "init");
      const before = snapshot(k);
      runOn(k, 0, t, function* (c) {
        const mm = (yield* mmAlloc(c))!;
        const l = (yield* getLockedPte(c, mm, ALIAS))!;
        yield* pteUnmapUnlock(c, l);
        const tlb = tlbGatherMmu(mm);
        yield* freePgdRange(c, tlb, ALIAS, ALIAS + 0x10000n, 0n, 0n);
        if (finish) yield* tlbFinishMmu(c, tlb);
        yield* mmput(c, mm);
      });
      const after = snapshot(k);
      const leaked = finish ? 0 : 1;
      assert.equal(after.pud_alloc, before.pud_alloc! + leaked, `pud finish=${finish}`);
      assert.equal(after.pmd_alloc, before.pmd_alloc! + leaked);
      assert.equal(after.pte_alloc, before.pte_alloc! + leaked);
      assert.equal(after.mmu_gather_batch, before.mmu_gather_batch! + leaked);
      assert.equal(after.pgd_alloc, before.pgd_alloc);
      assert.equal(after.mm_alloc, before.mm_alloc);
      assert.equal(after.pids, before.pids);
      // free_pgd_range un-accounted the tables: check_mm stays quiet.
      assert.ok(!log(k).some((l) => l.includes("non-zero pgtables_bytes")));
    }
  });

  for (const site of ["mm_alloc", "pgd_alloc", "ida_alloc"]) {
    it(`returns NULL with nothing leaked when ${site} fails`, () => {
      const choices = new FailAt(site, 1);
      const k = bootedKernel(mmu, { choices });
      const t = task(k, 1, "init");
      const before = snapshot(k);
      let got: MmStruct | null | undefined;
      runOn(k, 0, t, function* (c) {
        got = yield* mmAlloc(c);
      });
      assert.equal(got, null);
      assert.deepEqual(snapshot(k), before);
    });
  }

  // kernel/fork.c (v6.2): mmput() is `if (atomic_dec_and_test(&mm->mm_users))
  // __mmput(mm);` and mmdrop() (include/linux/sched/mm.h) the same on
  // mm_count: atomic_t has no underflow check, so an mmput too many writes
  // into the freed mm_struct without a word in the log.
  it("an mmput of a freed mm: silent in the kernel (count -1, no teardown, no log), reported to the model", () => {
    const k = bootedKernel(mmu);
    const t = task(k, 1, "init");
    let mm: MmStruct | undefined;
    runOn(k, 0, t, function* (c) {
      mm = (yield* mmAlloc(c))!;
      yield* mmput(c, mm);
    });
    assert.equal(mm!.freed, true);
    assert.deepEqual(simReports(k), []);
    const before = snapshot(k);
    const logBefore = log(k).length;
    const r = runOn(k, 1, t, (c) => mmput(c, mm!));
    assert.equal(r.status, "done");
    assert.equal(mm!.mmUsers, -1);
    assert.deepEqual(snapshot(k), before);
    assert.equal(log(k).length, logBefore);
    assert.deepEqual(simReports(k), [
      {
        kind: "use-after-free",
        cpu: 1,
        message: `mmput(${mm!.name}): mm_users of a freed mm_struct decremented (0 -> -1)`,
      },
    ]);
    runOn(k, 0, t, (c) => mmdrop(c, mm!));
    assert.equal(mm!.mmCount, -1);
    assert.equal(simReports(k).length, 2);
    assert.match(simReports(k)[1]!.message, /^mmdrop\(mm#\d+\): mm_count of a freed mm_struct/);
  });

  it("an mm that is still alive reports nothing", () => {
    const k = bootedKernel(mmu);
    const t = task(k, 1, "init");
    runOn(k, 0, t, function* (c) {
      const mm = (yield* mmAlloc(c))!;
      mm.mmUsers++; // mmget()
      yield* mmput(c, mm);
      yield* mmput(c, mm);
    });
    assert.deepEqual(simReports(k), []);
  });
});

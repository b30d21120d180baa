// docs/findings.md: at 980411a4d1bb put_patching_mm() never finishes its
// mmu_gather, so every CPU taken offline leaves the alias's PTE, PMD and PUD
// tables and the gather's batch page allocated; examples/variants/
// tlb-finish-mmu.js adds the tlb_finish_mmu() call and leaks nothing. Counted
// with liveAllocations() (page frames by site and kind, slab objects by cache).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../src/api/boot.ts";
import { loadVariant } from "../../src/cli/load-variant.ts";
import type { CodePatchingVariant } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import { cpuDown, cpuUp } from "../../src/linux/kernel/cpu.ts";
import {
  type AllocationDelta,
  allocationDelta,
  liveAllocations,
} from "../../src/linux/mm/live-allocations.ts";
import { runCli } from "../cli/run-cli.ts";
import { bootKernel, runOn } from "../linux/helpers/run-kernel.ts";

const EXAMPLE = new URL("../../examples/variants/tlb-finish-mmu.js", import.meta.url).pathname;
const CPUS = 4;
const SECONDARIES = CPUS - 1;

/** Frames one put_patching_mm() of 980411a4d1bb leaves: PTE, PMD, PUD table and the batch page. */
const LEAK_PER_OFFLINE = new Map([
  ["mmu_gather_batch", 1],
  ["pmd_alloc", 1],
  ["pte_alloc", 1],
  ["pud_alloc", 1],
]);

function times(m: ReadonlyMap<string, number>, n: number): Map<string, number> {
  return new Map([...m].map(([k, v]) => [k, v * n]));
}

/** Boot with `hotplug` down/up cycles of every secondary CPU, compared with a boot without. */
function hotplugDelta(hotplug: number, variant?: CodePatchingVariant): AllocationDelta {
  const v = variant ? { variant } : {};
  const plain = boot({ cpus: CPUS, ...v });
  const cycled = boot({ cpus: CPUS, hotplug, ...v });
  assert.equal(plain.exitCode, 0, plain.dmesg);
  assert.equal(cycled.exitCode, 0, cycled.dmesg);
  return allocationDelta(liveAllocations(plain.kernel), liveAllocations(cycled.kernel));
}

describe("put_patching_mm without tlb_finish_mmu leaks page-table pages", () => {
  it("boot --cpus 4 --hotplug 4: the built-in fix keeps 4 frames per CPU offline (48)", () => {
    const d = hotplugDelta(4);
    const offlines = 4 * SECONDARIES;
    assert.deepEqual(d.framesBySite, times(LEAK_PER_OFFLINE, offlines));
    assert.deepEqual(d.framesByKind, { "page-table": 3 * offlines, "mmu-gather-batch": offlines });
    assert.equal(d.totalFrames, 4 * offlines);
    // Not an mm_struct or a vm area: those are all freed.
    assert.deepEqual(d.objectsByCache, new Map());
    assert.deepEqual(d.objectsByKind, {});
  });

  it("boot --cpus 4 --hotplug 4 with tlb-finish-mmu.js: nothing beyond the post-boot count", async () => {
    const variant = await loadVariant(EXAMPLE);
    const d = hotplugDelta(4, variant);
    assert.deepEqual(d.framesBySite, new Map());
    assert.equal(d.totalFrames, 0);
    assert.deepEqual(d.objectsByCache, new Map());
    // And without hotplug the two variants allocate alike.
    const fixed = liveAllocations(boot({ cpus: CPUS }).kernel);
    const mine = liveAllocations(boot({ cpus: CPUS, variant }).kernel);
    assert.deepEqual(mine, fixed);
  });

  it("every cpu_down/cpu_up of a booted kernel: +4 frames (built-in), +0 (variant)", async () => {
    const variant = await loadVariant(EXAMPLE);
    for (const [v, perCycle] of [
      [undefined, LEAK_PER_OFFLINE],
      [variant, new Map<string, number>()],
    ] as const) {
      const k = bootKernel({ cpus: 2, ...(v ? { variant: v } : {}) });
      for (let cycle = 1; cycle <= 3; cycle++) {
        const before = liveAllocations(k);
        runOn(k, 0, function* (c) {
          assert.equal(yield* cpuDown(c, 1), 0);
          assert.equal(yield* cpuUp(c, 1), 0);
        });
        const d = allocationDelta(before, liveAllocations(k));
        // The test's own kernel thread (runOn) takes a stack each time.
        const sites = new Map([...d.framesBySite].filter(([s]) => s !== "thread_stack"));
        assert.deepEqual(sites, perCycle, `cycle ${cycle} (${v ? "variant" : "built-in"})`);
        assert.deepEqual(d.objectsByCache, new Map());
      }
    }
  });

  it("the example boots from the command line", async () => {
    const r = await runCli("boot", "--cpus", "4", "--hotplug", "4", "--variant", EXAMPLE);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /smp: Brought up 1 node, 4 CPUs\n/);
    assert.match(r.stdout, /Run \/init as init process\n$/);
  });
});

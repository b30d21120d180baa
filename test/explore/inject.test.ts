// --inject alloc,cpuhp: every allocation and hotplug callback the scenario
// reaches fails in some execution; the fix's error paths roll back (nothing
// leaks but the put_patching_mm finding, no CPU is left half set up, which
// bringing it back up would show), and the error paths of code-patching.c
// reached are the ones its source has.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { check } from "../../src/api/check.ts";
import { loadVariant } from "../../src/cli/load-variant.ts";

const inject = { alloc: true, cpuhp: true };

describe("check --inject alloc,cpuhp", () => {
  it("radix: the fix's temporary-mm error paths are all reached, and leak nothing beyond put_patching_mm's gather", () => {
    const r = check({
      scenarios: ["patch-vs-hotplug"],
      inject,
      suppress: ["no-leak@put_patching_mm"],
    });
    const s = r.results[0]!;
    assert.equal(s.verdict, "clean", s.counterexample ?? s.line);
    assert.deepEqual(s.suppressed, ["no-leak"]);
    const paths = s.errorPaths;
    for (const expected of [
      // text_area_cpu_up_mm: mm_alloc() fails → WARN_ON(!patching_mm), -ENOMEM
      "mm_alloc in mm_alloc < text_area_cpu_up_mm",
      // get_locked_pte() fails → put_patching_mm(), -ENOMEM
      "pud_alloc in __get_locked_pte < text_area_cpu_up_mm",
      "pmd_alloc in __get_locked_pte < text_area_cpu_up_mm",
      "pte_alloc in __get_locked_pte < text_area_cpu_up_mm",
      // put_patching_mm's gather cannot get its batch page: tables freed one by one
      "mmu_gather_batch in free_pgd_range < text_area_cpu_down_mm",
      // the cpuhp state poking_init installed fails for the CPU coming up
      "cpuhp/powerpc/text_poke_mm:online in ",
    ]) {
      assert.ok(
        paths.some((p) => p.startsWith(expected)),
        `${expected} not in:\n${paths.join("\n")}`,
      );
    }
  });

  it("hash: the vmalloc path's error paths are reached and leak nothing", () => {
    const r = check({ mmu: "hash", scenarios: ["patch-vs-hotplug"], inject });
    const s = r.results[0]!;
    assert.equal(s.verdict, "clean", s.counterexample ?? s.line);
    assert.ok(
      s.errorPaths.some((p) => p.startsWith("get_vm_area in get_vm_area < text_area_cpu_up")),
      s.errorPaths.join("\n"),
    );
    assert.ok(
      s.errorPaths.some((p) => p.startsWith("cpuhp/powerpc/text_poke:online")),
      s.errorPaths.join("\n"),
    );
  });

  it("the fix with tlb_finish_mmu() is clean with no suppression", async () => {
    const path = new URL("../../examples/variants/tlb-finish-mmu.js", import.meta.url).pathname;
    const variant = await loadVariant(path);
    const r = check({ variant, scenarios: ["patch-vs-hotplug"], inject });
    assert.equal(r.results[0]!.verdict, "clean", r.results[0]!.counterexample ?? "");
  });

  it("without the suppression the built-in fix's gather leak is reported, named by put_patching_mm", () => {
    const r = check({ scenarios: ["patch-vs-hotplug"] });
    const s = r.results[0]!;
    assert.equal(s.invariant, "no-leak");
    assert.match(
      s.counterexample!,
      /4 page-table frames \(the batch page; tables: pte, pmd, pud\) queued on an mmu_gather under text_area_cpu_down_mm < free_pgd_range < put_patching_mm and never freed/,
    );
  });
});

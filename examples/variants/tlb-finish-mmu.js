// The fix (980411a4d1bb) with the gather in put_patching_mm() finished.
// At 980411a4d1bb put_patching_mm() starts an mmu_gather and hands the alias's
// page tables to it with free_pgd_range(), but never calls tlb_finish_mmu():
// the gather's batch page and the PTE, PMD and PUD tables queued in it are
// never freed — four page frames for every CPU taken offline (docs/findings.md).
// This is the same function with the missing call added.
//
//   node scripts/build.mjs
//   ./bin/textpoke boot --cpus 4 --hotplug 4 --variant ./examples/variants/tlb-finish-mmu.js
export default (tp) => {
  function* putPatchingMm(c, mm, patchingAddr) {
    const tlb = tp.tlbGatherMmu(mm);
    const end = patchingAddr + BigInt(c.k.config.pageSize);
    yield* tp.freePgdRange(c, tlb, patchingAddr, end, 0n, 0n);
    yield* tp.tlbFinishMmu(c, tlb); // the call 980411a4d1bb does not make
    yield* tp.mmput(c, mm);
  }

  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject:
      "powerpc/code-patching: Fix oops with DEBUG_VM enabled (with tlb_finish_mmu() in put_patching_mm())",
    overrides: { putPatchingMm },
  });
};

// might-sleep: __do_patch_instruction_mm() that reserves a scratch vm area
// (get_vm_area(), a GFP_KERNEL allocation) after taking the alias's PTE
// lock, and frees it before unlocking. A GFP_KERNEL allocation may sleep;
// here interrupts are off and a spinlock is held.
//
//   ./bin/textpoke check --variant test/explore/variants/alloc-under-ptl.js --scenario concurrent-patch
export default (tp) => {
  function* __doPatchInstructionMm(c, addr, instr) {
    const ops = tp.patchingOps(c.k);
    const pfn = yield* ops.getPatchPfn(c, addr);
    const ctx = tp.patchContext(c.k, c.cpu.id);
    const patchingMm = ctx.mm;
    const textPokeAddr = ctx.addr;
    const patchAddr = textPokeAddr + tp.base.offsetInPage(c.k, addr);

    const locked = yield* tp.getLockedPte(c, patchingMm, textPokeAddr);
    if (locked === null) return -tp.ENOMEM;
    const scratch = yield* tp.getVmArea(c, c.k.config.pageSize, tp.VM_ALLOC);
    const g = tp.geometry(c.k.config.pageShift);
    yield* tp.__setPteAt(
      c,
      patchingMm,
      textPokeAddr,
      locked.pte,
      tp.pfnPte(g, pfn, tp.PAGE_KERNEL),
    );
    yield* tp.ptesync(c.k.machine, c.cpu);
    yield* tp.isync(c.k.machine, c.cpu);

    const origMm = yield* tp.base.startUsingTempMm(c, patchingMm);
    const err = yield* ops.__patchInstruction(c, addr, instr, patchAddr);
    if (err) yield* tp.visible(c.cpu, tp.OpKind.SYNC, "mb");
    yield* tp.base.stopUsingTempMm(c, patchingMm, origMm);

    yield* tp.pteClear(c, patchingMm, textPokeAddr, locked.pte);
    yield* tp.localFlushTlbPagePsize(c, patchingMm, textPokeAddr, g.pageShift);
    if (scratch !== null) yield* tp.freeVmArea(c, scratch);
    yield* tp.pteUnmapUnlock(c, locked);
    return err;
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject:
      "powerpc/code-patching: Fix oops with DEBUG_VM enabled (a GFP_KERNEL allocation under the PTE lock)",
    overrides: { __doPatchInstructionMm },
  });
};

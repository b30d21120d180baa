// What if __do_patch_instruction_mm() forgot its local TLB flush?
// The same function as 980411a4d1bb (src/linux/arch/powerpc/lib/code-patching.ts)
// with local_flush_tlb_page_psize() removed: the alias translation stays in
// this CPU's TLB after the PTE is cleared — a stale writable alias of kernel
// text that later accesses on this CPU really use.
//
//   ./bin/textpoke boot --variant ./examples/variants/no-local-flush.js
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
    // local_flush_tlb_page_psize(patching_mm, text_poke_addr, mmu_virtual_psize);  -- forgotten
    yield* tp.pteUnmapUnlock(c, locked);
    return err;
  }

  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (without the local TLB flush)",
    overrides: { __doPatchInstructionMm },
  });
};

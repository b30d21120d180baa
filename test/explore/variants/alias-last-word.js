// alias-bounds: __do_patch_instruction_mm() that stores at the alias page's
// last word (text_poke_addr + PAGE_SIZE - 4) whatever the target's offset
// in its page. An 8-byte prefixed store there runs 4 bytes past the page
// the alias maps.
//
//   ./bin/textpoke check --variant test/explore/variants/alias-last-word.js \
//     --scenario test/explore/scenarios/patch-prefixed.json
export default (tp) => {
  function* __doPatchInstructionMm(c, addr, instr) {
    const ops = tp.patchingOps(c.k);
    const pfn = yield* ops.getPatchPfn(c, addr);
    const ctx = tp.patchContext(c.k, c.cpu.id);
    const patchingMm = ctx.mm;
    const textPokeAddr = ctx.addr;
    const patchAddr = textPokeAddr + BigInt(c.k.config.pageSize) - 4n;

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
    yield* tp.localFlushTlbPagePsize(c, patchingMm, textPokeAddr, g.pageShift);
    yield* tp.pteUnmapUnlock(c, locked);
    return err;
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject:
      "powerpc/code-patching: Fix oops with DEBUG_VM enabled (alias store at the page's end)",
    overrides: { __doPatchInstructionMm },
  });
};

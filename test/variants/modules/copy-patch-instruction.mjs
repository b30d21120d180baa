// 980411a4d1bb's __patch_instruction() and get_patch_pfn(), written again
// against the variant API only: the red-zone spill (tp.spillVal), the
// ppc_inst helpers, is_vmalloc_or_module_addr / vmalloc_to_pfn and
// PAGE_OFFSET. A faithful copy takes exactly the built-in's steps.
export default (tp) => {
  function* __patchInstruction(c, execAddr, instr, patchAddr) {
    const m = c.k.machine;
    yield* tp.spillVal(c, instr);
    const fault = tp.ppcInstPrefixed(instr)
      ? yield* tp.st(m, c.cpu, patchAddr, 8, tp.ppcInstAsUlong(instr))
      : yield* tp.st(m, c.cpu, patchAddr, 4, tp.ppcInstVal(instr));
    if (fault !== null) return -tp.EPERM;
    yield* tp.visible(c.cpu, tp.OpKind.DCBST, "dcbst", patchAddr);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    const f = yield* tp.icbiOp(m, c.cpu, execAddr);
    if (f !== null) throw new Error(`icbi of 0x${execAddr.toString(16)} faulted`);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    yield* tp.isync(m, c.cpu);
    return 0;
  }

  function* getPatchPfn(c, addr) {
    if (c.k.config.bool("MODULES") && tp.isVmallocOrModuleAddr(addr)) {
      return (yield* tp.vmallocToPfn(c, addr)) ?? 0n;
    }
    return (addr - tp.PAGE_OFFSET) >> BigInt(c.k.config.pageShift);
  }

  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (rewritten through the API)",
    overrides: { __patchInstruction, getPatchPfn },
  });
};

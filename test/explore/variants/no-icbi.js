// icache-coherent: __patch_instruction() without the icbi. The new word
// reaches memory, but a line of it already in another CPU's instruction
// cache is never invalidated, so that CPU goes on executing the old
// instruction after patch_instruction() has returned — even after an isync.
//
//   ./bin/textpoke check --variant test/explore/variants/no-icbi.js --scenario execute-vs-patch
export default (tp) => {
  function* __patchInstruction(c, _execAddr, instr, patchAddr) {
    const m = c.k.machine;
    yield* tp.spillVal(c, instr);
    const fault = tp.ppcInstPrefixed(instr)
      ? yield* tp.st(m, c.cpu, patchAddr, 8, tp.ppcInstAsUlong(instr))
      : yield* tp.st(m, c.cpu, patchAddr, 4, tp.ppcInstVal(instr));
    if (fault !== null) return -tp.EPERM;
    yield* tp.visible(c.cpu, tp.OpKind.DCBST, "dcbst", patchAddr);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    // icbi(exec_addr);  -- forgotten
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    yield* tp.isync(m, c.cpu);
    return 0;
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (without the icbi)",
    overrides: { __patchInstruction },
  });
};

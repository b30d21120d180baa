// no-torn-prefixed: __patch_instruction() that writes a prefixed instruction
// as two 4-byte stores, prefix first. Between the two, memory holds the new
// prefix with the old second word: a CPU whose fetch of that address misses
// its instruction cache there executes half of the new instruction.
//
//   ./bin/textpoke check --variant test/explore/variants/prefixed-two-stores.js \
//     --scenario test/explore/scenarios/execute-prefixed.json
export default (tp) => {
  function* __patchInstruction(c, execAddr, instr, patchAddr) {
    const m = c.k.machine;
    yield* tp.spillVal(c, instr);
    let fault = yield* tp.st(m, c.cpu, patchAddr, 4, tp.ppcInstVal(instr));
    if (fault === null && tp.ppcInstPrefixed(instr)) {
      const suffix = Number((tp.ppcInstAsUlong(instr) >> 32n) & 0xffff_ffffn);
      fault = yield* tp.st(m, c.cpu, patchAddr + 4n, 4, suffix);
    }
    if (fault !== null) return -tp.EPERM;
    yield* tp.visible(c.cpu, tp.OpKind.DCBST, "dcbst", patchAddr);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    yield* tp.icbiOp(m, c.cpu, execAddr);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    yield* tp.isync(m, c.cpu);
    return 0;
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject:
      "powerpc/code-patching: Fix oops with DEBUG_VM enabled (prefixed instructions as two stores)",
    overrides: { __patchInstruction },
  });
};

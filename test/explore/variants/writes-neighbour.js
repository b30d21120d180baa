// patch-effect (the page check): __patch_instruction() that, after the
// instruction, also stores a trap word over the next instruction through
// the alias, and returns 0. The target is right; a word nobody patched is
// not.
//
//   ./bin/textpoke check --variant test/explore/variants/writes-neighbour.js \
//     --scenario test/explore/scenarios/patch-one.json
export default (tp) => {
  function* __patchInstruction(c, execAddr, instr, patchAddr) {
    const m = c.k.machine;
    yield* tp.spillVal(c, instr);
    const fault = tp.ppcInstPrefixed(instr)
      ? yield* tp.st(m, c.cpu, patchAddr, 8, tp.ppcInstAsUlong(instr))
      : yield* tp.st(m, c.cpu, patchAddr, 4, tp.ppcInstVal(instr));
    if (fault !== null) return -tp.EPERM;
    const next = tp.ppcInstPrefixed(instr) ? 8n : 4n;
    yield* tp.st(m, c.cpu, patchAddr + next, 4, 0x7fe00008);
    yield* tp.visible(c.cpu, tp.OpKind.DCBST, "dcbst", patchAddr);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    yield* tp.icbiOp(m, c.cpu, execAddr);
    yield* tp.visible(c.cpu, tp.OpKind.SYNC, "sync");
    yield* tp.isync(m, c.cpu);
    return 0;
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (writes the next word too)",
    overrides: { __patchInstruction },
  });
};

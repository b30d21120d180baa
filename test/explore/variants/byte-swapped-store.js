// patch-effect: __patch_instruction() that stores the instruction word
// byte-reversed (a big-endian store on a little-endian kernel) and returns
// 0: the call reports success, the target holds a different word.
//
//   ./bin/textpoke check --variant test/explore/variants/byte-swapped-store.js --scenario concurrent-patch
export default (tp) => {
  const bswap32 = (w) =>
    (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
  function* __patchInstruction(c, execAddr, instr, patchAddr) {
    const m = c.k.machine;
    yield* tp.spillVal(c, instr);
    const fault = tp.ppcInstPrefixed(instr)
      ? yield* tp.st(m, c.cpu, patchAddr, 8, tp.ppcInstAsUlong(instr))
      : yield* tp.st(m, c.cpu, patchAddr, 4, bswap32(tp.ppcInstVal(instr)));
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
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (byte-reversed store)",
    overrides: { __patchInstruction },
  });
};

// no-oops: __do_patch_instruction_mm() with a sanity check written the wrong
// way round: WARN_ON(instr is a nop) where patching in a nop is the commonest
// patch there is. Every such patch prints a WARNING and taints the kernel.
//
//   ./bin/textpoke check --variant test/explore/variants/warn-on-nop.js --scenario concurrent-patch
export default (tp) => {
  const FILE = "arch/powerpc/lib/code-patching.c";
  const LINE = 301;
  function* __doPatchInstructionMm(c, addr, instr) {
    yield* tp.warnOn(c, tp.ppcInstVal(instr) === 0x60000000, { file: FILE, line: LINE });
    return yield* tp.base.__doPatchInstructionMm(c, addr, instr);
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (WARN_ON a nop)",
    overrides: { __doPatchInstructionMm },
    bugSites: [{ fn: "patch_instruction", file: FILE, line: LINE, kind: "warn-on" }],
  });
};

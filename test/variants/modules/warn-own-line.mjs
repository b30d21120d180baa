// A WARN at a line the built-in functions have no check at: the variant
// declares the site (bugSites), so the image carries its trap word and the
// WARN prints like any other. __do_patch_instruction_mm is inlined into
// patch_instruction (neither here nor in the kernel has it a frame), so the
// check is compiled into patch_instruction.
export const FILE = "arch/powerpc/lib/code-patching-check.c";
export const LINE = 42;
/** Patching this word makes the check fire. */
export const SUSPICIOUS = 0x0000_0000;

export default (tp) => {
  function* __doPatchInstructionMm(c, addr, instr) {
    yield* tp.warnOn(c, tp.ppcInstVal(instr) === SUSPICIOUS, { file: FILE, line: LINE });
    return yield* tp.base.__doPatchInstructionMm(c, addr, instr);
  }

  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (WARN on patching a zero word)",
    overrides: { __doPatchInstructionMm },
    bugSites: [{ fn: "patch_instruction", file: FILE, line: LINE, kind: "warn-on" }],
  });
};

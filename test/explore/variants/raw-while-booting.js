// text-wx: patch_instruction() that keeps taking the raw path for as long as
// the system is booting (system_state != SYSTEM_RUNNING), not only until
// poking_init is done. The boot's patches after poking_init (the
// code-patching self-tests) then write kernel text through its own
// address, while it is still writable, instead of through the patching alias.
//
//   ./bin/textpoke check --variant test/explore/variants/raw-while-booting.js --scenario boot
export default (tp) => {
  const patchInstruction = tp.kfunc(
    { name: "patch_instruction", file: "arch/powerpc/lib/code-patching.c", size: 0x6d0 },
    function* (c, addr, instr) {
      const ops = tp.patchingOps(c.k);
      if (
        !c.k.config.bool("STRICT_KERNEL_RWX") ||
        !tp.pokingInitDone(c.k) ||
        c.k.systemState !== "running"
      ) {
        return yield* ops.rawPatchInstruction(c, addr, instr);
      }
      const flags = tp.localIrqSave(c);
      const err = ops.mmPatchEnabled(c.k)
        ? yield* ops.__doPatchInstructionMm(c, addr, instr)
        : yield* ops.__doPatchInstruction(c, addr, instr);
      yield* tp.localIrqRestore(c, flags);
      return err;
    },
  );
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (raw patching while booting)",
    overrides: { patchInstruction },
  });
};

// no-reentry: patch_instruction() without local_irq_save()/local_irq_restore().
// An interrupt whose handler patches can then arrive while this CPU's
// patching alias is mapped and its PTE lock held: the handler's patch uses
// the same per-CPU context.
//
//   ./bin/textpoke check --variant test/explore/variants/no-irq-save.js --scenario patch-in-irq
export default (tp) => {
  const patchInstruction = tp.kfunc(
    { name: "patch_instruction", file: "arch/powerpc/lib/code-patching.c", size: 0x6d0 },
    function* (c, addr, instr) {
      const ops = tp.patchingOps(c.k);
      if (!c.k.config.bool("STRICT_KERNEL_RWX") || !tp.pokingInitDone(c.k))
        return yield* ops.rawPatchInstruction(c, addr, instr);
      // local_irq_save(flags);  -- forgotten
      return ops.mmPatchEnabled(c.k)
        ? yield* ops.__doPatchInstructionMm(c, addr, instr)
        : yield* ops.__doPatchInstruction(c, addr, instr);
    },
  );
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject:
      "powerpc/code-patching: Fix oops with DEBUG_VM enabled (interrupts left enabled while patching)",
    overrides: { patchInstruction },
  });
};

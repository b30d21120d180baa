// patch_branch() replaced: the same function (create_branch, then
// patch_instruction through the table), counting its calls in per-kernel
// state so the test can see that callers reach the override.
/** The state's key, for the test to read it. */
export let calls = null;

export default (tp) => {
  calls = tp.defineState("patch-branch-calls", () => ({ n: 0, targets: [] }));

  const patchBranch = tp.kfunc(
    { name: "patch_branch", file: "arch/powerpc/lib/code-patching.c", size: 0x90 },
    function* (c, addr, target, flags) {
      const s = tp.state(c.k, calls);
      s.n++;
      s.targets.push(target);
      const { err, instr } = tp.createBranch(addr, target, flags);
      if (err) return -tp.ERANGE;
      return yield* tp.patchingOps(c.k).patchInstruction(c, addr, instr);
    },
  );

  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (patch_branch counted)",
    overrides: { patchBranch },
  });
};

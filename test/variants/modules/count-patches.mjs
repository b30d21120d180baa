// Per-kernel state: each kernel counts its own patch_instruction() calls.
// `shared` is a module global, kept only to show what state avoids: it is
// one counter for every kernel in the process.
export const shared = { n: 0 };
/** The state's key, for the test to read it (`tp.state(k, patches)`). */
export let patches = null;

export default (tp) => {
  patches = tp.defineState("patches", () => ({ n: 0, byCpu: new Map() }));

  function* patchInstruction(c, addr, instr) {
    const s = tp.state(c.k, patches);
    s.n++;
    s.byCpu.set(c.cpu.id, (s.byCpu.get(c.cpu.id) ?? 0) + 1);
    shared.n++;
    return yield* tp.base.patchInstruction(c, addr, instr);
  }

  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (patches counted)",
    overrides: { patchInstruction },
  });
};

// alias-private: text_area_cpu_up_mm() that gives every CPU after the first
// the first CPU's patching mm and alias address instead of a private pair
// (and text_area_cpu_down_mm() that leaves a shared mm to its owner). The
// writable alias of text one CPU maps is then in the other CPUs' address
// space and TLBs too.
//
//   ./bin/textpoke check --variant test/explore/variants/shared-patching-mm.js --scenario concurrent-patch
export default (tp) => {
  const FILE = "arch/powerpc/lib/code-patching.c";
  /** The lowest other online CPU's context that has an mm, or null. */
  function donor(k, cpu) {
    for (let other = 0; other < cpu; other++) {
      const ctx = tp.patchContext(k, other);
      if (ctx.mm !== null) return ctx;
    }
    return null;
  }
  const textAreaCpuUpMm = tp.kfunc(
    { name: "text_area_cpu_up_mm", file: FILE, size: 0x1c0 },
    function* (c, cpu) {
      const first = donor(c.k, cpu);
      if (first === null) return yield* tp.base.textAreaCpuUpMm(c, cpu);
      const ctx = tp.patchContext(c.k, cpu);
      ctx.mm = first.mm;
      ctx.addr = first.addr;
      return 0;
    },
  );
  const textAreaCpuDownMm = tp.kfunc(
    { name: "text_area_cpu_down_mm", file: FILE, size: 0xa0 },
    function* (c, cpu) {
      const ctx = tp.patchContext(c.k, cpu);
      const first = donor(c.k, cpu);
      if (first !== null && first.mm === ctx.mm) {
        ctx.mm = null;
        ctx.addr = 0n;
        return 0;
      }
      return yield* tp.base.textAreaCpuDownMm(c, cpu);
    },
  );
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (one patching mm for all CPUs)",
    overrides: { textAreaCpuUpMm, textAreaCpuDownMm },
  });
};

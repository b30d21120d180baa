// memory-safety: text_area_cpu_down_mm() that drops the patching mm twice,
// put_patching_mm() and then an mmput() of its own: the second decrement of
// mm_users lands in an mm_struct already freed — silent in the kernel.
//
//   ./bin/textpoke check --variant test/explore/variants/double-mmput.js --scenario patch-vs-hotplug
export default (tp) => {
  const textAreaCpuDownMm = tp.kfunc(
    { name: "text_area_cpu_down_mm", file: "arch/powerpc/lib/code-patching.c", size: 0xa0 },
    function* (c, cpu) {
      const ctx = tp.patchContext(c.k, cpu);
      if (ctx.mm !== null) {
        yield* tp.patchingOps(c.k).putPatchingMm(c, ctx.mm, ctx.addr);
        yield* tp.mmput(c, ctx.mm);
      }
      ctx.mm = null;
      ctx.addr = 0n;
      return 0;
    },
  );
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (the patching mm put twice)",
    overrides: { textAreaCpuDownMm },
  });
};

// A code-patching variant in one line: keep 980411a4d1bb but never take the
// temporary-mm path, so Radix kernels patch through the per-CPU vmalloc alias
// in init_mm (what every kernel did before c28c15b6d28a).
//
//   ./bin/textpoke boot --variant ./examples/variants/vmalloc-on-radix.js
export default (tp) =>
  tp.defineVariant({
    commit: "980411a4d1bb",
    subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled (temp mm disabled)",
    overrides: {
      mmPatchEnabled: () => false,
    },
  });

// live-target: get_patch_pfn() that looks up only plain vmalloc addresses in
// init_mm and takes module text for linear-map text, __pa(addr) >>
// PAGE_SHIFT — as if it asked whether the address is in a module's text
// and got the wrong idea of where module text lives. The alias then maps a
// real page that is not the one behind the module's text.
//
//   ./bin/textpoke check --variant test/explore/variants/module-linear-pfn.js --scenario module-text
export default (tp) => {
  function* getPatchPfn(c, addr) {
    // __module_text_address(addr): a symbol of a loaded module.
    if (c.k.kallsyms.lookup(addr)?.symbol.module !== undefined)
      return (addr - tp.PAGE_OFFSET) >> BigInt(c.k.config.pageShift);
    return yield* tp.base.getPatchPfn(c, addr);
  }
  return tp.defineVariant({
    commit: "980411a4d1bb",
    subject:
      "powerpc/code-patching: Fix oops with DEBUG_VM enabled (module text through the linear map)",
    overrides: { getPatchPfn },
  });
};

/**
 * arch/powerpc/lib/code-patching.c at 980411a4d1bb ("powerpc/code-patching:
 * Fix oops with DEBUG_VM enabled"): the functions in
 * src/linux/arch/powerpc/lib/code-patching.ts as they are. The default.
 */
import { defineVariant } from "../api.ts";

export const VARIANT_980411A4D1BB = defineVariant({
  commit: "980411a4d1bb",
  subject: "powerpc/code-patching: Fix oops with DEBUG_VM enabled",
  aliases: ["fixed", "default"],
  overrides: {},
});

/**
 * Code-patching variants for users: the built-in list, lookup by commit or
 * alias, and validation of a user's variant module (already imported by the
 * caller, so this stays browser-safe).
 */
import type { CodePatchingVariant } from "../linux/arch/powerpc/lib/code-patching-ops.ts";
import { UserError } from "../util/user-error.ts";
import { variantApi } from "../variants/api.ts";
import { BUILTIN_VARIANTS, DEFAULT_VARIANT, findVariant } from "../variants/code-patching/index.ts";

export type { CodePatchingVariant };
export { BUILTIN_VARIANTS, DEFAULT_VARIANT, findVariant, variantApi };

/** Does `name` look like a path to a module rather than a commit or alias? */
export function isVariantPath(name: string): boolean {
  return /[/\\]/.test(name) || /\.(m?js|ts)$/.test(name);
}

/**
 * Turn an imported user module into a variant. The module's default export
 * is either a variant definition object or a function `(tp) => definition`
 * receiving `variantApi`; `tp.defineVariant` may be used or not.
 */
export function variantFromModule(mod: unknown, where: string): CodePatchingVariant {
  let exported = (mod as { default?: unknown } | null)?.default;
  // A module loaded through CommonJS interop nests its ES default export once more.
  const inner = exported as { default?: unknown; commit?: unknown } | null;
  if (
    typeof inner === "object" &&
    inner !== null &&
    inner.commit === undefined &&
    inner.default !== undefined
  ) {
    exported = inner.default;
  }
  const looksLikeDefinition = (v: unknown) =>
    typeof v === "function" ||
    (typeof v === "object" && v !== null && ("commit" in v || "overrides" in v || "ops" in v));
  if (!looksLikeDefinition(exported)) {
    throw new UserError(
      `variant module '${where}' has no default export (a variant definition, or a function returning one)`,
    );
  }
  let value: unknown = exported;
  if (typeof exported === "function") {
    try {
      value = (exported as (tp: typeof variantApi) => unknown)(variantApi);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(
        `variant module '${where}' failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  if (isVariant(value)) return value;
  try {
    return variantApi.defineVariant(value as Parameters<typeof variantApi.defineVariant>[0]);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`variant module '${where}': ${e.message}`);
    throw e;
  }
}

function isVariant(v: unknown): v is CodePatchingVariant {
  const o = v as Partial<CodePatchingVariant> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.commit === "string" &&
    typeof o.ops === "object" &&
    o.ops !== null &&
    typeof o.ops.patchInstruction === "function"
  );
}

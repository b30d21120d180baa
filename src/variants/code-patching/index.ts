/**
 * The built-in code-patching variants, oldest first, and lookup by commit
 * (any unambiguous prefix of at least 7 hex digits) or alias.
 */

import { UserError } from "../../util/user-error.ts";
import type { CodePatchingVariant } from "../api.ts";
import { VARIANT_274D842FA1EF } from "./274d842fa1ef.ts";
import { VARIANT_980411A4D1BB } from "./980411a4d1bb.ts";
import { VARIANT_C28C15B6D28A } from "./c28c15b6d28a.ts";

export const BUILTIN_VARIANTS: readonly CodePatchingVariant[] = [
  VARIANT_274D842FA1EF,
  VARIANT_C28C15B6D28A,
  VARIANT_980411A4D1BB,
];

export const DEFAULT_VARIANT: CodePatchingVariant = VARIANT_980411A4D1BB;

/** A built-in variant by commit id (prefix) or alias; UserError when unknown. */
export function findVariant(name: string): CodePatchingVariant {
  const n = name.toLowerCase();
  const byAlias = BUILTIN_VARIANTS.find((v) => v.aliases.includes(n));
  if (byAlias) return byAlias;
  if (/^[0-9a-f]{7,40}$/.test(n)) {
    const hits = BUILTIN_VARIANTS.filter(
      (v) => v.commit.startsWith(n.slice(0, 12)) || n.startsWith(v.commit),
    );
    if (hits.length === 1) return hits[0]!;
  }
  const known = BUILTIN_VARIANTS.map((v) => [v.commit, ...v.aliases].join("/")).join(", ");
  throw new UserError(`unknown variant '${name}' (built in: ${known}; or a path to a module)`);
}

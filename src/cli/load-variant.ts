/** Resolve `--variant NAME|PATH`: a built-in by commit/alias, or a user's module file. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type CodePatchingVariant,
  findVariant,
  isVariantPath,
  variantFromModule,
} from "../api/variants.ts";
import { UserError } from "../util/user-error.ts";

export async function loadVariant(name: string): Promise<CodePatchingVariant> {
  if (!isVariantPath(name)) return findVariant(name);
  const path = resolve(name);
  if (!existsSync(path)) throw new UserError(`variant module '${name}' not found`);
  let mod: unknown;
  try {
    // tsx's loader handles TypeScript and ES-module syntax wherever the file
    // lives; it is loaded only here, so other commands start without it.
    if (path.endsWith(".mjs")) {
      mod = await import(pathToFileURL(path).href);
    } else {
      const { tsImport } = await import("tsx/esm/api");
      mod = await tsImport(pathToFileURL(path).href, import.meta.url);
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new UserError(`variant module '${name}' failed to load: ${msg}`);
  }
  return variantFromModule(mod, name);
}

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

/** How a variant module is imported: natively for .mjs, through tsx otherwise. */
export interface ModuleImporter {
  importNative(url: string): Promise<unknown>;
  importWithTsx(url: string): Promise<unknown>;
}

let importer: ModuleImporter = {
  importNative: (url) => import(url),
  // tsx's loader handles TypeScript and ES-module syntax wherever the file
  // lives; it is loaded only here, so other commands start without it.
  importWithTsx: async (url) => (await import("tsx/esm/api")).tsImport(url, url),
};

/**
 * Replace the importer: bin/textpoke runs the bundle as a script with a code
 * cache, where `import()` is not available, and imports on its behalf.
 */
export function setModuleImporter(i: ModuleImporter): void {
  importer = i;
}

export async function loadVariant(name: string): Promise<CodePatchingVariant> {
  if (!isVariantPath(name)) return findVariant(name);
  const path = resolve(name);
  if (!existsSync(path)) throw new UserError(`variant module '${name}' not found`);
  let mod: unknown;
  try {
    const url = pathToFileURL(path).href;
    mod = path.endsWith(".mjs")
      ? await importer.importNative(url)
      : await importer.importWithTsx(url);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new UserError(`variant module '${name}' failed to load: ${msg}`);
  }
  return variantFromModule(mod, name);
}

// Loads the CLI bundle dist/cli.cjs with V8's code cache dist/cli.cache, so a
// run skips most of the parsing and compiling of the bundle. Used by
// bin/textpoke and by ./build.mjs, which writes the cache after running the
// seed demo once (the functions a run needs are then in it). A cache V8
// rejects (another Node version or V8 flags) is simply not used.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";

export const BUNDLE = new URL("../dist/cli.cjs", import.meta.url).pathname;
export const CACHE = new URL("../dist/cli.cache", import.meta.url).pathname;

/**
 * The bundle's exports, whether V8 rejected the cache, and a function that
 * writes the code cache as the run so far left it. `bundle` and `cache`
 * default to dist/.
 */
export function loadBundle({ useCache = true, bundle = BUNDLE, cache = CACHE } = {}) {
  // The wrapper Node's CommonJS loader puts around a module, on the first line.
  const code = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
  const cachedData = useCache && existsSync(cache) ? readFileSync(cache) : undefined;
  // No importModuleDynamically: import() is the launcher's (setModuleImporter).
  const script = new vm.Script(code, { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return {
    exports: module.exports,
    cacheRejected: cachedData !== undefined && script.cachedDataRejected === true,
    writeCache: () => writeFileSync(cache, script.createCachedData()),
  };
}

const ROOT = new URL("..", import.meta.url).pathname;

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Is dist/cli.cjs newer than every source file and package.json? */
export function bundleIsFresh() {
  try {
    const built = statSync(BUNDLE).mtimeMs;
    return built >= newestSource(`${ROOT}src`) && built >= statSync(`${ROOT}package.json`).mtimeMs;
  } catch {
    return false;
  }
}

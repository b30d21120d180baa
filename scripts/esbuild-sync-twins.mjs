// esbuild plugin: compile each src/**.ts module, then add its sync twins
// (./sync-twins.mjs). Used by ./build.mjs (the CLI bundle) and bench/run.ts
// (the benchmark bundles), so both measure and run the same code.
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { transform } from "esbuild";
import { addSyncTwins, runtimeSpecifier } from "./sync-twins.mjs";

const SRC = new URL("../src/", import.meta.url).pathname;

export const syncTwinsPlugin = {
  name: "sync-twins",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
      const ts = await readFile(args.path, "utf8");
      const js = await transform(ts, {
        loader: "ts",
        format: "esm",
        target: "node20",
        sourcemap: "inline",
        sourcefile: args.path,
      });
      const out = addSyncTwins(js.code, runtimeSpecifier(args.path));
      return { contents: out ?? js.code, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

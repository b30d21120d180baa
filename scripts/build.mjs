#!/usr/bin/env node
// Bundles the CLI into dist/cli.mjs so bin/textpoke starts fast (run by
// `npm ci` through the prepare script; bin/textpoke falls back to the
// TypeScript sources when the bundle is missing or older than them). The
// project's modules get their sync twins (./sync-twins.mjs) on the way.
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { build, transform } from "esbuild";
import { addSyncTwins, runtimeSpecifier } from "./sync-twins.mjs";

const SRC = new URL("../src/", import.meta.url).pathname;

/** esbuild plugin: compile each src/**.ts module, then add its twins. */
const syncTwins = {
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

await build({
  entryPoints: [new URL("../src/cli/main.ts", import.meta.url).pathname],
  outfile: new URL("../dist/cli.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
  plugins: [syncTwins],
});

#!/usr/bin/env node
// Bundles the CLI into dist/cli.mjs so bin/textpoke starts fast (run by
// `npm ci` through the prepare script; bin/textpoke falls back to the
// TypeScript sources when the bundle is missing or older than them).
import { build } from "esbuild";

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
});

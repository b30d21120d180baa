#!/usr/bin/env node
// Bundles the CLI into dist/cli.cjs so bin/textpoke starts fast (run by
// `npm ci` through the prepare script; bin/textpoke falls back to the
// TypeScript sources when the bundle is missing or older than them). V8's
// code cache for the bundle is written after one run of the seed demo
// (./bundle-loader.mjs).
import { rmSync } from "node:fs";
import { build } from "esbuild";
import { BUNDLE, CACHE, loadBundle } from "./bundle-loader.mjs";

rmSync(CACHE, { force: true });
await build({
  entryPoints: [new URL("../src/cli/main.ts", import.meta.url).pathname],
  outfile: BUNDLE,
  bundle: true,
  platform: "node",
  // CommonJS, so bin/textpoke can load it through vm.Script with a code cache.
  format: "cjs",
  target: "node20",
  // commander is bundled too (one file to load); tsx stays outside, imported
  // only for a TypeScript variant module, and so do bullmq and ioredis,
  // required only by `check --queue` and `worker` (src/cli/queue/load.ts).
  external: ["tsx", "tsx/*", "bullmq", "ioredis"],
  sourcemap: "linked",
  logLevel: "warning",
});

// One seed demo (the README's first command) compiles what a run needs; the
// cache then holds it. Its exit status (1: the oops) is the expected one.
const bundle = loadBundle({ useCache: false });
const sink = { out() {}, err() {} };
await bundle.exports.main(
  ["boot", "--variant", "c28c15b6d28a", "--set", "CONFIG_DEBUG_VM=y", "--cpus", "2"],
  sink,
);
bundle.writeCache();

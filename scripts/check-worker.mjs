// The entry of a `textpoke check --jobs N` worker thread: the bundle when it
// is fresh (as bin/textpoke decides), else the TypeScript sources through tsx.
import { createRequire } from "node:module";
import { BUNDLE, bundleIsFresh } from "./bundle-loader.mjs";

if (bundleIsFresh()) {
  await createRequire(import.meta.url)(BUNDLE).checkWorkerMain();
} else {
  const { tsImport } = await import("tsx/esm/api");
  const m = await tsImport("../src/cli/check-worker.ts", import.meta.url);
  await m.checkWorkerMain();
}

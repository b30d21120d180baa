// Node module hook: adds the sync twins (./sync-twins.mjs) to the project's
// own modules under src/ after tsx has compiled them. Registered by
// ./register.mjs; the bundle gets the same transform in ./build.mjs.
import { addSyncTwins, runtimeSpecifier } from "./sync-twins.mjs";

const SRC = new URL("../src/", import.meta.url).pathname;

export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (r.format !== "module" || !url.startsWith("file:")) return r;
  const path = new URL(url).pathname;
  if (!path.startsWith(SRC) || !path.endsWith(".ts")) return r;
  const text = typeof r.source === "string" ? r.source : new TextDecoder().decode(r.source);
  const out = addSyncTwins(text, runtimeSpecifier(path));
  return out === null ? r : { ...r, source: out };
}

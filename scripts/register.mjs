// `node --import ./scripts/register.mjs`: run the TypeScript sources through
// tsx (what `--import tsx` does), with the sync twins added to src/ (see
// ./sync-twins.mjs). Used by the tests, the benchmarks and bin/textpoke when
// the bundle is stale.
import { register } from "node:module";
import "tsx";

// Registered last, so it runs first and post-processes what tsx produced.
register("./sync-twins-hook.mjs", import.meta.url);

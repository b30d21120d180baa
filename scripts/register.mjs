// `node --import ./scripts/register.mjs`: run the TypeScript sources through
// tsx (what `--import tsx` does). Used by the tests, the benchmarks and
// bin/textpoke when the bundle is stale; one place to change how they load
// the sources.
import "tsx";

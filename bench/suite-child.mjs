// One benchmark suite in a process of its own, started by bench/run.ts: in a
// shared process an earlier suite's heap keeps V8's background threads busy
// while later suites measure (and time child processes), competing with them
// for the cores. argv: the suite's bundle, its function, the file for its rows.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, fn, out] = process.argv.slice(2);
const mod = await import(pathToFileURL(bundle).href);
if (typeof mod[fn] !== "function") throw new Error(`${bundle} does not export ${fn}`);
writeFileSync(out, JSON.stringify(await mod[fn]()));

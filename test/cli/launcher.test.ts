/**
 * The bundle and its code cache (scripts/bundle-loader.mjs): built by `npm ci`
 * (scripts/build.mjs), loaded by bin/textpoke. Works on a copy in a temporary
 * directory, so the bundle other tests run is never touched.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BUNDLE, CACHE, loadBundle } from "../../scripts/bundle-loader.mjs";

const LOADER = new URL("../../scripts/bundle-loader.mjs", import.meta.url).href;

type Main = (argv: string[], io: { out(t: string): void; err(t: string): void }) => Promise<number>;

async function version(main: Main): Promise<string> {
  let out = "";
  const status = await main(["--version"], { out: (t) => (out += t), err: () => {} });
  assert.equal(status, 0);
  return out;
}

describe("the CLI bundle and its code cache", () => {
  it("npm ci built both", () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} missing: run npm ci or npm run build`);
    assert.ok(existsSync(CACHE), `${CACHE} missing: run npm run build`);
  });

  it("a cache made from a run is accepted; a corrupt one is rejected and the bundle still runs", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    const dir = mkdtempSync(join(tmpdir(), "textpoke-bundle-"));
    const bundle = join(dir, "cli.cjs");
    const cache = join(dir, "cli.cache");
    copyFileSync(BUNDLE, bundle);

    const first = loadBundle({ bundle, cache, useCache: false });
    assert.equal(await version(first.exports.main as Main), `${pkg.version}\n`);
    first.writeCache();

    // Each load in a fresh process: within one, V8's own compilation cache
    // would answer before the code cache is even looked at.
    const load = (): { rejected: boolean; out: string } =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            "--input-type=module",
            "-e",
            `import { loadBundle } from ${JSON.stringify(LOADER)};
             const b = loadBundle({ bundle: ${JSON.stringify(bundle)}, cache: ${JSON.stringify(cache)} });
             let out = "";
             await b.exports.main(["--version"], { out: (t) => (out += t), err() {} });
             process.stdout.write(JSON.stringify({ rejected: b.cacheRejected, out }));`,
          ],
          { encoding: "utf8" },
        ),
      );
    assert.deepEqual(load(), { rejected: false, out: `${pkg.version}\n` });
    writeFileSync(cache, Buffer.from("not a V8 code cache"));
    assert.deepEqual(load(), { rejected: true, out: `${pkg.version}\n` });
  });
});

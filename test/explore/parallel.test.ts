// `check --jobs N`: worker threads compute executions ahead of the search,
// which commits them in its own order — so the output (verdict,
// counterexample, token, execution counts) is the same bytes for every N.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

async function same(args: readonly string[], status: number): Promise<string> {
  const outs: string[] = [];
  for (const jobs of ["1", "2", "4"]) {
    const r = await runCli("check", ...args, "--jobs", jobs, "--no-progress");
    assert.equal(r.status, status, `--jobs ${jobs}: ${r.stdout}${r.stderr}`);
    outs.push(r.stdout);
    if (jobs !== "1") assert.match(r.stderr, /computed ahead by \d+ worker thread/);
    // The search's statistics, per scenario.
    assert.match(
      r.stderr,
      /^textpoke: [\w-]+: \d+ executions \(\d+ complete, \d+ ended by sleep sets\), \d+ alternatives replaced by their mirror image \(symmetry\), \d+ left out by the preemption bound, longest \d+ steps$/m,
    );
    assert.match(r.stderr, /executions in [\d.]+ s \(\d+\/s\), peak RSS \d+ MiB/);
  }
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  return outs[0]!;
}

describe("check --jobs", () => {
  it("finds the seed bug with the same counterexample and token for 1, 2 and 4 jobs", async () => {
    const out = await same(
      ["--variant", "c28c15b6d28a", "--set", "CONFIG_DEBUG_VM=n", "--scenario", "concurrent-patch"],
      1,
    );
    assert.match(out, /^VIOLATION lock-discipline: scenario concurrent-patch/m);
    assert.match(out, /replay: textpoke replay tp1\./);
  });

  it("a clean exhaustive check: the same execution count for 1, 2 and 4 jobs", async () => {
    const out = await same(["--cpus", "4", "--scenario", "concurrent-patch"], 0);
    assert.match(out, /^clean concurrent-patch: every schedule, .* \(dpor: \d+ executions/m);
  });

  it("bad --jobs is one line and exit 2", async () => {
    const r = await runCli("check", "--jobs", "0");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--jobs/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });
});

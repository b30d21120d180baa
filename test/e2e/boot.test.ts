import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

describe("textpoke boot / textpoke config", () => {
  it("boot exits 0 and prints the dmesg up to Run /init", async () => {
    const r = await runCli("boot", "--cpus", "4", "--hotplug", "2");
    assert.equal(r.status, 0);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /smp: Brought up 1 node, 4 CPUs\n[\s\S]*Run \/init as init process\n$/);
  });

  it("bad --cpus, bad --set and an unreadable --config are one-line errors with exit 2", async () => {
    for (const args of [
      ["boot", "--cpus", "0"],
      ["boot", "--cpus", "4096"],
      ["boot", "--cpus", "x"],
      ["boot", "--set", "CONFIG_NOPE=y"],
      ["boot", "--config", "/nonexistent/.config"],
      ["boot", "--mmu", "segmented"],
      ["config", "--set", "SMP=y"],
    ]) {
      const r = await runCli(...args);
      assert.equal(r.status, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^textpoke: error: [^\n]+\n$/, args.join(" "));
    }
    assert.match((await runCli("boot", "--cpus", "0")).stderr, /must be in 1\.\.2048/);
  });

  it("--cpus is bounded by CONFIG_NR_CPUS", async () => {
    const r = await runCli("boot", "--set", "CONFIG_NR_CPUS=4", "--cpus", "5");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /must be in 1\.\.4/);
  });

  it("config prints the resolved .config with --config and --set applied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "textpoke-cfg-"));
    writeFileSync(join(dir, ".config"), "CONFIG_NR_CPUS=64\n");
    const r = await runCli(
      "config",
      "--config",
      join(dir, ".config"),
      "--set",
      "CONFIG_DEBUG_VM=y",
    );
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^CONFIG_NR_CPUS=64$/m);
    assert.match(r.stdout, /^CONFIG_DEBUG_VM=y$/m);
  });
});

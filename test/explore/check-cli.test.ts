// `textpoke check` / `replay` / `scenarios` end to end: the seed bug found
// without DEBUG_VM, the forgotten local flush found by no-stale-alias, the
// fix clean where it is, replay byte-identical, bad input one line.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "textpoke-check-"));
const example = (n: string) => new URL(`../../examples/variants/${n}`, import.meta.url).pathname;
const tokenOf = (out: string) => /replay: textpoke replay (tp1\.[\w-]+)/.exec(out)?.[1];

describe("textpoke check", () => {
  it("finds the seed bug (c28c15b6d28a) as lock-discipline with DEBUG_VM off, and replay prints the same bytes twice", async () => {
    const r = await runCli(
      "check",
      "--variant",
      "c28c15b6d28a",
      "--set",
      "CONFIG_DEBUG_VM=n",
      "--cpus",
      "2",
      "--scenario",
      "concurrent-patch",
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^VIOLATION lock-discipline: scenario concurrent-patch/m);
    assert.match(
      r.stdout,
      /wrote the PTE at real address 0x[0-9a-f]+ in patch_instruction\(\) with its page-table lock \(ptl@0x[0-9a-f]+\) not held/,
    );
    const token = tokenOf(r.stdout);
    assert.ok(token !== undefined && token.length < 200, `token: ${token}`);
    const a = await runCli("replay", token);
    const b = await runCli("replay", token);
    assert.equal(a.status, 1);
    assert.equal(a.stdout, b.stdout);
    const block = r.stdout.slice(0, r.stdout.indexOf("\n\n") + 1);
    assert.equal(a.stdout, block);
  });

  it("the fix holds the lock: no lock-discipline violation on the same scenario", async () => {
    const r = await runCli(
      "check",
      "--variant",
      "980411a4d1bb",
      "--set",
      "CONFIG_DEBUG_VM=n",
      "--scenario",
      "concurrent-patch",
      "--cpus",
      "3",
    );
    assert.doesNotMatch(r.stdout, /VIOLATION/);
    assert.match(
      r.stdout,
      /^clean concurrent-patch: every schedule, variant 980411a4d1bb, 3 CPUs/m,
    );
    assert.equal(r.status, 0, r.stdout);
  });

  it("examples/variants/no-local-flush.js is caught by no-stale-alias", async () => {
    const r = await runCli(
      "check",
      "--variant",
      example("no-local-flush.js"),
      "--scenario",
      "concurrent-patch",
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^VIOLATION no-stale-alias:/m);
    assert.match(r.stdout, /TLB still translates its alias 0x[0-9a-f]+ \(PID \d+\)/);
  });

  it("explores patch-in-irq exhaustively and clean on the fix, including the interrupt at every point", async () => {
    const r = await runCli("check", "--scenario", "patch-in-irq");
    assert.equal(r.status, 0, r.stdout);
    const m = /^clean patch-in-irq: every schedule, .* \(dpor: (\d+) executions/m.exec(r.stdout);
    assert.ok(m !== null, r.stdout);
    // One execution per point the interrupt can arrive at, at least.
    assert.ok(Number(m[1]) > 10, r.stdout);
  });

  it("reports the fix's own put_patching_mm leak on patch-vs-hotplug as page-table frames", async () => {
    const r = await runCli("check", "--scenario", "patch-vs-hotplug");
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /^VIOLATION no-leak:/m);
    assert.match(
      r.stdout,
      /4 page-table frames \(the batch page; tables: pte, pmd, pud\) queued on an mmu_gather/,
    );
  });

  it("lists the built-in scenarios", async () => {
    const r = await runCli("scenarios");
    assert.equal(r.status, 0);
    for (const s of [
      "boot",
      "concurrent-patch",
      "patch-in-irq",
      "patch-vs-hotplug",
      "execute-vs-patch",
      "module-text",
    ])
      assert.match(r.stdout, new RegExp(`^${s} `, "m"));
  });

  it("bad input is one line and exit 2", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        name: "x",
        threads: [{ cpu: 0, actions: [{ patch: "do_one_initcall", insn: "nop" }] }],
      }),
    );
    for (const args of [
      ["check", "--scenario", bad],
      ["check", "--scenario", "no-such"],
      ["check", "--strategy", "bfs"],
      ["check", "--suppress", "no-such-invariant"],
      ["replay", "tp1.garbage"],
      ["replay", "not-a-token"],
    ]) {
      const r = await runCli(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^textpoke: error: /);
    }
    const r = await runCli("check", "--scenario", bad);
    assert.match(r.stderr, /threads\[0\]\.actions\[0\]\.insn/);
  });

  it("refuses a token of another version", async () => {
    const payload = Buffer.from(
      JSON.stringify(["0.0.1", "c28c15b6d28a", [], 0, 2, 0, "boot", 0, 0, 1, []]),
    ).toString("base64url");
    const r = await runCli("replay", `tp1.${payload}`);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /made by textpoke 0\.0\.1/);
  });
});

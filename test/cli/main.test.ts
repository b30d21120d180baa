import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { runCli } from "./run-cli.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("textpoke CLI", () => {
  it("--version prints the package version", async () => {
    const r = await runCli("--version");
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it("--help lists every command with a one-line description", async () => {
    const r = await runCli("--help");
    assert.equal(r.status, 0);
    const commands = r.stdout.split("Commands:\n")[1] ?? "";
    for (const name of ["disasm"]) assert.match(commands, new RegExp(`^  ${name} `, "m"));
  });

  it("<command> --help lists every option", async () => {
    const r = await runCli("disasm", "--help");
    assert.equal(r.status, 0);
    for (const opt of ["--address", "--elf", "--symbol", "--help"])
      assert.ok(r.stdout.includes(opt), opt);
  });

  it("an unknown command is bad input: one line on stderr, exit 2", async () => {
    const r = await runCli("frobnicate");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^textpoke: error: unknown command 'frobnicate'/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });

  it("an unknown option is bad input: one line, exit 2", async () => {
    const r = await runCli("disasm", "--bogus", "0x60000000");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^textpoke: error: unknown option '--bogus'\n$/);
  });

  it("the launcher works as a process and never prints a stack trace on bad input", () => {
    const ok = execFileSync("./bin/textpoke", ["disasm", "0x60000000"], { encoding: "utf8" });
    assert.match(ok, /nop/);
    const bad = spawnSync("./bin/textpoke", ["disasm", "0xzz"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, "");
    assert.equal(
      bad.stderr,
      "textpoke: error: bad word '0xzz': expected a 32-bit hex word like 0x60000000\n",
    );
  });
});

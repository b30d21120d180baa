// `textpoke boot --module`: the module loads late in boot (the out-of-tree
// taint line of kernel/module/main.c, v6.2, before /init), by built-in name
// or from an object file; a refused module is the kernel's message in dmesg
// and exit 1.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

const OBJ = new URL("../../fixtures/modules/", import.meta.url).pathname;

describe("textpoke boot --module", () => {
  it("--module textpoke_demo: the taint line before Run /init, exit 0", async () => {
    const r = await runCli("boot", "--module", "textpoke_demo");
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /\] textpoke_demo: loading out-of-tree module taints kernel\.\n(?:.*\n)*\[[ \d.]+\] Run \/init as init process\n$/,
    );
    assert.equal(r.stderr, "");
  });

  it("--module FILE.o loads the object under its file name", async () => {
    const r = await runCli("boot", "--module", `${OBJ}textpoke_demo.o`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\] textpoke_demo: loading out-of-tree module taints kernel\.\n/);
  });

  it("a module with an unknown symbol: the kernel's line, exit 1", async () => {
    const r = await runCli("boot", "--module", "textpoke_unknown");
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /\] textpoke_unknown: Unknown symbol textpoke_no_such_function \(err -2\)\n/,
    );
    assert.match(
      r.stderr,
      /^textpoke: module textpoke_unknown not loaded: load_module returned -2\n$/,
    );
  });

  it("--module nosuch: exit 2, nothing on stdout", async () => {
    const r = await runCli("boot", "--module", "nosuch");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^textpoke: error: [^\n]*no built-in module 'nosuch'/);
  });
});

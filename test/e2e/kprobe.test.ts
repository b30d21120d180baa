// `textpoke boot --kprobe`: the probe's hits in dmesg in the kprobe_example
// sample's format (samples/kprobes/kprobe_example.c, v6.2), the hit count on
// stderr, and the exit statuses (architecture.md §7). The expected hit count
// is from the C source: crc32test_init calls crc32_le once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

describe("textpoke boot --kprobe", () => {
  it("--kprobe crc32_le: exit 0, one hit printed by handler_pre/handler_post, the count on stderr", async () => {
    const r = await runCli("boot", "--kprobe", "crc32_le");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\] kprobe_init: Planted kprobe at c[0-9a-f]{15}\n/);
    const pre = r.stdout.match(
      /\] handler_pre: <crc32_le> p->addr = 0x(c[0-9a-f]{15}), nip = 0x\1, msr = 0x[0-9a-f]+\n/g,
    );
    assert.equal(pre?.length, 1);
    assert.match(
      r.stdout,
      /\] handler_post: <crc32_le> p->addr = 0xc[0-9a-f]{15}, msr = 0x[0-9a-f]+\n/,
    );
    assert.match(r.stdout, /crc32: self tests passed/);
    assert.match(r.stdout, /Run \/init as init process\n$/);
    assert.match(r.stderr, /^textpoke: kprobe crc32_le at 0xc[0-9a-f]{15}: 1 hit, 0 missed\n$/);
  });

  it("--kprobe on a modelled function: registered, no hit, and a note saying why", async () => {
    const r = await runCli("boot", "--kprobe", "do_one_initcall");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\] kprobe_init: Planted kprobe at c[0-9a-f]{15}\n/);
    assert.doesNotMatch(r.stdout, /handler_pre/);
    const lines = r.stderr.split("\n");
    assert.match(
      lines[0]!,
      /^textpoke: kprobe do_one_initcall at 0xc[0-9a-f]{15}: 0 hits, 0 missed$/,
    );
    assert.match(
      lines[1]!,
      /^textpoke: note: do_one_initcall is modelled by the simulator, not run as machine code/,
    );
    assert.equal(lines.length, 3);
  });

  it("--kprobe nosuchsym: exit 2 with one line, nothing on stdout", async () => {
    const r = await runCli("boot", "--kprobe", "nosuchsym");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^textpoke: error: [^\n]*no symbol 'nosuchsym'[^\n]*\n$/);
  });

  it("a probe the kernel refuses (not kernel text): the -EINVAL line in dmesg, exit 1", async () => {
    const r = await runCli("boot", "--kprobe", "crc32test_result");
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\] kprobe_init: register_kprobe failed, returned -22\n/);
    assert.match(r.stdout, /Run \/init as init process\n$/);
    assert.match(
      r.stderr,
      /^textpoke: kprobe crc32test_result not registered: register_kprobe returned -22\n$/,
    );
  });
});

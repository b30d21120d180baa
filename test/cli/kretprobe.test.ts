// `textpoke boot --kretprobe`: the return probe's lines in dmesg in the
// kretprobe_example sample's format (samples/kprobes/kretprobe_example.c,
// v6.2), the counts on stderr, and the exit statuses: 0 ok, 1 the kernel
// refused the probe, 2 bad input (one line). The return value is zlib's
// CRC-32 of the self-test's vector (fixtures/kernel/crc32test.c).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { runCli } from "./run-cli.ts";

const src = readFileSync(
  new URL("../../fixtures/kernel/crc32test.c", import.meta.url).pathname,
  "utf8",
);
const vector = Buffer.from(/crc32test_buf\[\] =\s*"([^"]*)"/.exec(src)![1]!, "latin1");

describe("textpoke boot --kretprobe", () => {
  it("--kretprobe crc32_le: exit 0, the planted line, the return value and time, the counts on stderr", async () => {
    const r = await runCli("boot", "--kretprobe", "crc32_le");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\] Planted return probe at crc32_le: c[0-9a-f]{15}\n/);
    const ret = [
      ...r.stdout.matchAll(/\] crc32_le returned (\d+) and took (\d+) ns to execute\n/g),
    ];
    assert.equal(ret.length, 1);
    assert.equal(Number(ret[0]![1]), ~crc32(vector) >>> 0);
    assert.match(r.stdout, /crc32: self tests passed/);
    assert.match(r.stdout, /Run \/init as init process\n$/);
    assert.match(
      r.stderr,
      /^textpoke: kretprobe crc32_le at 0xc[0-9a-f]{15}: 1 entered, 1 returned, 0 missed\n$/,
    );
  });

  it("a return probe the kernel refuses (not kernel text): the sample's -EINVAL line, exit 1", async () => {
    const r = await runCli("boot", "--kretprobe", "crc32test_result");
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\] register_kretprobe failed, returned -22\n/);
    assert.match(r.stdout, /Run \/init as init process\n$/);
    assert.equal(
      r.stderr,
      "textpoke: kretprobe crc32test_result not registered: register_kretprobe returned -22\n",
    );
  });

  for (const [what, args, message] of [
    ["an unknown symbol", ["--kretprobe", "nosuchsym"], /no symbol 'nosuchsym'/],
    [
      "SYMBOL+OFFSET (a return probe is on a function)",
      ["--kretprobe", "crc32_le+4"],
      /bad --kretprobe 'crc32_le\+4'/,
    ],
    [
      "CONFIG_KPROBES=n",
      ["--set", "CONFIG_KPROBES=n", "--kretprobe", "crc32_le"],
      /--kretprobe needs CONFIG_KPROBES=y/,
    ],
  ] as const) {
    it(`${what}: exit 2 with one line, nothing on stdout`, async () => {
      const r = await runCli("boot", ...args);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^textpoke: error: [^\n]*\n$/);
      assert.match(r.stderr, message);
    });
  }

  it("--help names the option and shows an example", async () => {
    const r = await runCli("boot", "--help");
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--kretprobe <symbol>/);
    assert.match(r.stdout, /\n {2}textpoke boot --kretprobe crc32_le\n/);
  });
});

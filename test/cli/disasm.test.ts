import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Prng } from "../../src/util/prng.ts";
import { runCli } from "./run-cli.ts";

/** Instruction texts objdump prints for `words` placed at `address` (the oracle). */
function objdumpTexts(words: number[], address: bigint): string[] {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-disasm-"));
  const file = join(dir, "w.bin");
  const buf = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => {
    buf.writeUInt32LE(w >>> 0, i * 4);
  });
  writeFileSync(file, buf);
  const out = execFileSync(
    "powerpc64le-linux-gnu-objdump",
    [
      "-D",
      "-b",
      "binary",
      "-m",
      "powerpc:common64",
      "-EL",
      "-M",
      "power10",
      `--adjust-vma=0x${address.toString(16)}`,
      file,
    ],
    { encoding: "utf8" },
  );
  // Instruction lines: "  addr:\tbytes \ttext"; a prefixed suffix line has no text.
  return out
    .split("\n")
    .map((l) => /^\s*[0-9a-f]+:\t(?:[0-9a-f]{2} ){4}\t(.*)$/.exec(l)?.[1])
    .filter((t): t is string => t !== undefined);
}

/** The text column of `textpoke disasm` lines. */
function ourTexts(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((l) => /^\s*[0-9a-f]+: {2}[0-9a-f]{8}(?: [0-9a-f]{8})?\s+(.*)$/.exec(l)![1]!);
}

describe("textpoke disasm", () => {
  it("prints nop, blr, trap for the issue's example, one line each, exit 0", async () => {
    const r = await runCli("disasm", "0x60000000", "0x4e800020", "0x7fe00008");
    assert.equal(r.status, 0);
    assert.equal(r.stderr, "");
    assert.deepEqual(ourTexts(r.stdout), ["nop", "blr", "trap"]);
    assert.deepEqual(
      r.stdout.split("\n").map((l) => l.split(":")[0]?.trim()),
      ["0", "4", "8", ""],
    );
  });

  it("agrees with objdump at a kernel address, including branches and prefixed pairs", async () => {
    const words = [
      0x7c0802a6, 0xf8010010, 0x4bfffff9, 0x41820010, 0x06000001, 0x38642345, 0x04100000,
      0xe4600008, 0x0b090000,
    ];
    const address = 0xc000000000001000n;
    const r = await runCli(
      "disasm",
      "--address",
      address.toString(16),
      ...words.map((w) => w.toString(16)),
    );
    assert.equal(r.status, 0);
    const expected = objdumpTexts(words, address).map((t) => t.replace(/ <[^>]*>/, "").trimEnd());
    assert.deepEqual(ourTexts(r.stdout), expected);
  });

  it("accepts PREFIX:SUFFIX and advances the address by 8", async () => {
    const r = await runCli("disasm", "0x06000001:0x38642345", "0x60000000");
    assert.equal(r.status, 0);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^\s*0: {2}06000001 38642345\s+paddi {3}r3,r4,74565$/);
    assert.match(lines[1]!, /^\s*8: {2}60000000\s+nop$/);
  });

  it("prints words objdump cannot decode as .long like objdump", async () => {
    const r = await runCli("disasm", "0x43ff0000");
    assert.deepEqual(ourTexts(r.stdout), objdumpTexts([0x43ff0000], 0n));
  });

  for (const [args, needle] of [
    [["0xzz"], "bad word '0xzz'"],
    [["0x123456789"], "bad word '0x123456789': more than 32 bits"],
    [["--address", "0xq", "0x60000000"], "bad --address '0xq'"],
    [["--address", "0x10000000000000000", "0x60000000"], "more than 64 bits"],
    [["0x60000000:0x60000000"], "is not a prefix word"],
    [["1:2:3"], "expected WORD or PREFIX:SUFFIX"],
    [[], "nothing to disassemble"],
    [["--symbol", "main", "0x60000000"], "--symbol needs --elf"],
  ] as const) {
    it(`rejects ${JSON.stringify(args)} with one line on stderr and exit 2`, async () => {
      const r = await runCli("disasm", ...args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.ok(r.stderr.startsWith("textpoke: error: "), r.stderr);
      assert.ok(r.stderr.includes(needle), r.stderr);
      assert.equal(r.stderr.split("\n").length, 2, "exactly one line");
    });
  }

  it("--elf disassembles a function like objdump -d", async () => {
    const file = new URL("../../fixtures/programs/exitcode.p9", import.meta.url).pathname;
    const r = await runCli("disasm", "--elf", file, "--symbol", "main");
    assert.equal(r.status, 0);
    const od = execFileSync(
      "powerpc64le-linux-gnu-objdump",
      ["-d", "-M", "power10", "--disassemble=main", file],
      {
        encoding: "utf8",
      },
    );
    const expected = od
      .split("\n")
      .map((l) => /^\s*[0-9a-f]+:\t(?:[0-9a-f]{2} ){4}\t(.*)$/.exec(l)?.[1])
      .filter((t): t is string => t !== undefined)
      .map((t) => t.replace(/ <[^>]*>/, "").trimEnd());
    const ours = ourTexts(r.stdout.split("<main>:\n")[1]!).map((t) =>
      t.replace(/^(b\w*\s+)(?:0x)?/, "$1"),
    );
    assert.deepEqual(
      ours,
      expected.map((t) => t.replace(/^(b\w*\s+)(?:0x)?/, "$1")),
    );
  });

  it("--elf on a file that is not an ELF is bad input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "textpoke-notelf-"));
    const file = join(dir, "x");
    writeFileSync(file, "hello world, not an elf file at all....................................");
    const r = await runCli("disasm", "--elf", file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^textpoke: error: bad ELF: .*\n$/);
  });

  it("--elf on a missing file is bad input", async () => {
    const r = await runCli("disasm", "--elf", "/nonexistent/file");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^textpoke: error: cannot read '\/nonexistent\/file': ENOENT\n$/);
  });
});

describe("textpoke disasm --binary", () => {
  it("agrees with objdump -D -b binary line for line on 4096 seeded random words plus a partial word", async () => {
    const p = new Prng(0x7e47);
    const words = Array.from({ length: 4096 }, () => p.nextU32());
    const address = 0xc000000000010000n;
    const dir = mkdtempSync(join(tmpdir(), "textpoke-bin-"));
    const file = join(dir, "w.bin");
    const buf = Buffer.alloc(words.length * 4 + 2);
    words.forEach((w, i) => {
      buf.writeUInt32LE(w, i * 4);
    });
    // Non-zero: objdump shows trailing (and long runs of) zero bytes as "..." unless -z.
    buf.writeUInt16LE(0x2211, words.length * 4);
    writeFileSync(file, buf);
    const r = await runCli("disasm", "--binary", file, "--address", address.toString(16));
    assert.equal(r.status, 0, r.stderr);
    const od = execFileSync(
      "powerpc64le-linux-gnu-objdump",
      [
        "-D",
        "-b",
        "binary",
        "-m",
        "powerpc:common64",
        "-EL",
        "-M",
        "power10",
        `--adjust-vma=0x${address.toString(16)}`,
        file,
      ],
      { encoding: "utf8", maxBuffer: 1 << 26 },
    );
    // objdump: "addr:\tbytes \ttext" (a prefixed suffix line has no text); "addr:\tAddress ... out of bounds."
    const expected = od
      .split("\n")
      .map((l) => /^\s*([0-9a-f]+):\t(?:(?:[0-9a-f]{2} ){4}\t(.+)|(Address .*))$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && (m[2] ?? m[3]) !== undefined)
      .map((m) => `${m[1]} ${(m[2] ?? m[3])!.replace(/\t# .*$/, "").trimEnd()}`);
    const ours = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => /^\s*([0-9a-f]+): {2}(?:[0-9a-f]{8}(?: [0-9a-f]{8})?)?\s+(.*)$/.exec(l)!)
      .map((m) => `${m[1]} ${m[2]!.replace(/\t# .*$/, "").trimEnd()}`);
    // Lines where objdump knows an instruction our table lacks print `.long` here; the
    // table's own mnemonics must agree exactly (the differential oracle test has the figure).
    const mismatched = ours.filter((l, i) => l !== expected[i] && !l.includes(".long"));
    assert.equal(ours.length, expected.length);
    assert.deepEqual(mismatched, []);
    assert.ok(ours.at(-1)!.endsWith("out of bounds."));
  });

  it("rejects --binary with words or --elf, and a missing file", async () => {
    const a = await runCli("disasm", "--binary", "x.bin", "0x60000000");
    assert.equal(a.status, 2);
    assert.match(a.stderr, /give one of WORD\.\.\., --elf FILE or --binary FILE/);
    const b = await runCli("disasm", "--binary", "/nonexistent.bin");
    assert.equal(b.status, 2);
    assert.match(b.stderr, /^textpoke: error: cannot read '\/nonexistent\.bin': ENOENT\n$/);
  });
});

describe("textpoke disasm: runs of zero bytes", () => {
  /** objdump's lines for raw bytes (no -z): instruction texts, `...`, out-of-bounds notes. */
  function objdumpRaw(bytes: Buffer): string[] {
    const dir = mkdtempSync(join(tmpdir(), "textpoke-zero-"));
    const file = join(dir, "z.bin");
    writeFileSync(file, bytes);
    const out = execFileSync(
      "powerpc64le-linux-gnu-objdump",
      ["-D", "-b", "binary", "-m", "powerpc:common64", "-EL", "-M", "power10", file],
      { encoding: "utf8" },
    );
    const body = out.split("<.data>:\n")[1] ?? "";
    return body
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) =>
        l.trim() === "..."
          ? "..."
          : (/^\s*[0-9a-f]+:\t(?:(?:[0-9a-f]{2} ){4}\t)?(.*)$/.exec(l)?.[1] ?? l).trimEnd(),
      );
  }

  const ours = (stdout: string) =>
    stdout
      .trimEnd()
      .split("\n")
      .map((l) => (l.trim() === "..." ? "..." : /:\s+(?:[0-9a-f]{8}\s+)?(.*)$/.exec(l)![1]!));

  for (const pattern of [
    "60000000 00000000 60000000",
    "60000000 00000000 00000000 60000000",
    "60000000 00000000 00000000 00000000 60000000",
    "00000000 00000000",
    "00000000",
    "60000000 00000000",
  ]) {
    it(`folds zero runs as objdump does: ${pattern}`, async () => {
      const words = pattern.split(" ");
      const buf = Buffer.alloc(words.length * 4);
      words.forEach((w, i) => {
        buf.writeUInt32LE(Number.parseInt(w, 16), i * 4);
      });
      const r = await runCli("disasm", ...words);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(ours(r.stdout), objdumpRaw(buf));
    });
  }

  it("-z shows every zero word, as objdump -z does", async () => {
    const r = await runCli("disasm", "-z", "60000000", "0", "0", "60000000");
    assert.deepEqual(ours(r.stdout), ["nop", ".long 0x0", ".long 0x0", "nop"]);
  });
});

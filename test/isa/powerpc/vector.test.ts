/**
 * The vector (VMX) and VSX rows against GNU objdump 2.40: fixed words whose
 * text was printed by `powerpc64le-linux-gnu-objdump -D -b binary
 * -m powerpc:common64 -EL -M power10`, and every mnemonic objdump prints for the
 * GCC-built qemu corpus (fixtures/programs/*.p9, *.p10).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { decode } from "../../../src/isa/powerpc/decode.ts";
import { disassembleBytes } from "../../../src/isa/powerpc/disasm.ts";
import { isMnemonic } from "../../../src/isa/powerpc/table.ts";

/** [words, objdump's text, the interpreter's sem key]. */
const VECTORS: readonly (readonly [readonly number[], string, string])[] = [
  // From the GCC -mcpu=power9/power10 corpus.
  [[0x04100000, 0xcd400a40], "plxv    vs42,2624\t# a40", "plxv"],
  [[0x11806a84], "vsrw    v12,v0,v13", "vsrw"],
  [[0x10005886], "vcmpequw v0,v0,v11", "vcmpequw"],
  [[0x102158c7], "vcmpequd v1,v1,v11", "vcmpequd"],
  [[0x11b86e02], "vextsb2d v13,v13", "vextsb2d"],
  [[0x11505602], "vextsb2w v10,v10", "vextsb2w"],
  [[0x1001044e], "vpkudum v0,v1,v0", "vpkudum"],
  [[0x102c084e], "vpkuwum v1,v12,v1", "vpkuwum"],
  [[0x1001000e], "vpkuhum v0,v1,v0", "vpkuhum"],
  [[0x1089078d], "vextuwrx r4,r9,v0", "vextuwrx"],
  [[0x10215089], "vmuluwm v1,v1,v10", "vmuluwm"],
  [[0x10202104], "vslb    v1,v0,v4", "vslb"],
  [[0x1007020d], "vextractub v0,v0,7", "vextractub"],
  // Probed words: record compares share the plain sem; VSX arithmetic.
  [[0x10221c86], "vcmpequw. v1,v2,v3", "vcmpequw"],
  [[0x10221f86], "vcmpgtsw. v1,v2,v3", "vcmpgtsw"],
  [[0x10221b82], "vminsw  v1,v2,v3", "vminsw"],
  [[0x10201a0e], "vupkhsb v1,v3", "vupkhsb"],
  [[0x10221e08], "vsum4ubs v1,v2,v3", "vsum4ubs"],
  [[0x10221928], "vmsumshm v1,v2,v3,v4", "vmsumshm"],
  [[0x7c2218ce], "lvx     v1,r2,r3", "lvx"],
  [[0x7c2219ce], "stvx    v1,r2,r3", "stvx"],
  [[0x10000604], "mfvscr  v0", "mfvscr"],
  [[0xf0221900], "xsadddp vs1,vs2,vs3", "xsadddp"],
  [[0xf0221a18], "xvcmpeqsp vs1,vs2,vs3", "xvcmpeqsp"],
  [[0xf0221e18], "xvcmpeqsp. vs1,vs2,vs3", "xvcmpeqsp"],
  [[0xf0201a60], "xvcvspsxws vs1,vs3", "xvcvspsxws"],
  [[0xf0231f80], "xvmovdp vs1,vs3", "xvcpsgndp"],
  [[0x18430020], "lxvp    vs2,32(r3)", "lxvp"],
  [[0x18430021], "stxvp   vs2,32(r3)", "stxvp"],
];

function textOf(words: readonly number[]): string {
  const b = new Uint8Array(4 * words.length);
  const v = new DataView(b.buffer);
  for (const [i, w] of words.entries()) v.setUint32(4 * i, w, true);
  return disassembleBytes(b, 0n)[0]!.text;
}

describe("vector and VSX rows", () => {
  it("print as objdump prints them and carry the interpreter's sem", () => {
    for (const [words, text, sem] of VECTORS) {
      assert.equal(textOf(words), text);
      const d = decode(words[0]!, words[1]);
      assert.ok(d, text);
      assert.equal(d.sem, sem, text);
    }
  });

  it("every mnemonic objdump prints for the qemu corpus is in the table", () => {
    const dir = new URL("../../../fixtures/programs/", import.meta.url).pathname;
    const files = readdirSync(dir).filter((f) => /\.p(9|10)$/.test(f));
    assert.ok(files.length >= 16, "fixtures/programs binaries missing");
    const r = spawnSync(
      "powerpc64le-linux-gnu-objdump",
      ["-d", "-M", "power10", ...files.map((f) => dir + f)],
      { encoding: "utf8", maxBuffer: 1 << 28 },
    );
    assert.equal(r.status, 0, `objdump: ${r.error ?? r.stderr}`);
    const seen = new Set<string>();
    for (const line of r.stdout.split("\n")) {
      const m = /^ *[0-9a-f]+:\t(?:[0-9a-f]{2} )+\t([^ \t]+)/.exec(line);
      if (m && m[1] !== ".long") seen.add(m[1]!);
    }
    assert.ok(seen.has("vextractub") && seen.has("plxv"), "corpus text parsed");
    assert.deepEqual(
      [...seen].filter((m) => !isMnemonic(m)),
      [],
    );
  });
});

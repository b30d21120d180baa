/**
 * Compare our disassembly of the committed GCC objects (fixtures/gcc/*.o) with
 * `objdump -d -M power10` on the same objects. The .text bytes are extracted with
 * objcopy; relocations are ignored (both sides see the same bytes). objdump's
 * symbolic decorations (`<sym+off>` after branch targets and `# target`
 * comments) are normalised to the raw-image form our disassembler prints.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Comparison, compareWithOracle, OBJDUMP, parseObjdump } from "./objdump-oracle.ts";

export const FIXTURE_DIR = new URL("../../fixtures/gcc/", import.meta.url).pathname;
const OBJCOPY = OBJDUMP.replace(/objdump$/, "objcopy");

/** objdump -d text with symbols → the `-b binary` text (targets as 0x…, no <sym>). */
export function normaliseSymbolic(text: string): string {
  return text
    .replace(/(\t# [0-9a-f]+) <[^>]*>$/, "$1")
    .replace(/(^|[\s,])([0-9a-f]+) <[^>]*>/g, (_m, pre: string, hex: string) => `${pre}0x${hex}`);
}

export function fixtureObjects(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".o"))
    .sort();
}

/** Disassemble one fixture object both ways and compare. */
export function compareFixture(name: string): Comparison {
  const obj = join(FIXTURE_DIR, name);
  const dir = mkdtempSync(join(tmpdir(), "textpoke-fixture-"));
  try {
    const bin = join(dir, "text.bin");
    const c = spawnSync(OBJCOPY, ["-O", "binary", "-j", ".text", obj, bin], { encoding: "utf8" });
    if (c.status !== 0) throw new Error(`objcopy failed: ${c.stderr}`);
    const bytes = new Uint8Array(readFileSync(bin));
    const d = spawnSync(OBJDUMP, ["-d", "-z", "-M", "power10", "-j", ".text", obj], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    if (d.status !== 0) throw new Error(`objdump failed: ${d.stderr}`);
    const oracle = parseObjdump(d.stdout);
    for (const [a, t] of oracle) oracle.set(a, normaliseSymbolic(t));
    return compareWithOracle(bytes, oracle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Validates the program corpus itself under qemu-ppc64le (7.2): each committed
// binary runs, the power9 and power10 builds print the same text, and the exit
// status is what the C source intends. Published check values of the hash
// functions confirm the programs compute what they claim.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

const DIR = new URL("../../fixtures/programs/", import.meta.url).pathname;
const PROGRAMS = readdirSync(DIR)
  .filter((f) => f.endsWith(".c"))
  .map((f) => f.slice(0, -2))
  .sort();

/** Exit statuses the sources intend (every other program returns 0 from main). */
const EXIT_STATUS: Record<string, number> = { exitcode: 42 };

function qemu(cpu: string, file: string): { status: number | null; stdout: string } {
  const r = spawnSync("qemu-ppc64le", ["-cpu", cpu, join(DIR, file)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw new Error(`qemu-ppc64le not runnable: ${r.error.message}`);
  assert.equal(r.stderr, "", `${file} under -cpu ${cpu} wrote to stderr`);
  return { status: r.status, stdout: r.stdout };
}

describe("oracle: the program corpus under qemu-ppc64le", () => {
  it("has the expected programs", () => {
    assert.deepEqual(PROGRAMS, [
      "arith",
      "exitcode",
      "hash",
      "loops",
      "memwalk",
      "recurse",
      "strings",
      "switch",
    ]);
  });

  const outputs = new Map<string, string>();
  for (const name of PROGRAMS) {
    it(`${name}: power9 and power10 builds print the same text and exit ${EXIT_STATUS[name] ?? 0}`, () => {
      const p9 = qemu("power9", `${name}.p9`);
      const p10 = qemu("power10", `${name}.p10`);
      assert.equal(p9.status, EXIT_STATUS[name] ?? 0, "power9 exit status");
      assert.equal(p10.status, EXIT_STATUS[name] ?? 0, "power10 exit status");
      assert.ok(p9.stdout.length > 10, "prints its results");
      assert.equal(p10.stdout, p9.stdout);
      outputs.set(name, p9.stdout);
    });
  }

  it("hash: CRC-32, Adler-32 and FNV-1a-64 of '123456789' are the published check values", () => {
    const out = outputs.get("hash") ?? qemu("power9", "hash.p9").stdout;
    assert.match(out, /^crc32_check=0x00000000cbf43926$/m);
    assert.match(out, /^crc32t_check=0x00000000cbf43926$/m);
    assert.match(out, /^adler32_check=0x00000000091e01de$/m);
    assert.match(out, /^fnv1a64_check=0x06d5573923c6cdfc$/m);
    assert.doesNotMatch(out, /MISMATCH/);
  });

  it("loops and recurse: known mathematical results", () => {
    const loops = outputs.get("loops") ?? qemu("power9", "loops.p9").stdout;
    assert.match(loops, /^primes=1229$/m); // π(10000)
    assert.match(loops, /^lcm_1_40=5342931457063200$/m);
    assert.match(loops, /^isqrt_max=4294967295$/m);
    assert.match(loops, /^collatz_n=871$/m); // longest Collatz chain below 1000
    assert.match(loops, /^collatz_steps=178$/m);
    const rec = outputs.get("recurse") ?? qemu("power9", "recurse.p9").stdout;
    assert.match(rec, /^fib=6765$/m); // F(20)
    assert.match(rec, /^ack_3_4=125$/m); // 2^(4+3) - 3
    assert.match(rec, /^hanoi_12=/m);
  });
});

describe("oracle: objdump on the program corpus", () => {
  it("the power10 builds use prefixed (pc-relative) instructions, the power9 builds do not", () => {
    const prefixed = (file: string): number => {
      const r = spawnSync("powerpc64le-linux-gnu-objdump", ["-d", join(DIR, file)], {
        encoding: "utf8",
      });
      if (r.error) throw new Error(`objdump not runnable: ${r.error.message}`);
      return (r.stdout.match(/\t(pla|pld|plwz|plbz|pstd|pstw|paddi|plxv|pstxv)\s/g) ?? []).length;
    };
    for (const name of PROGRAMS) {
      assert.equal(prefixed(`${name}.p9`), 0, `${name}.p9`);
      assert.ok(prefixed(`${name}.p10`) > 0, `${name}.p10`);
    }
  });
});

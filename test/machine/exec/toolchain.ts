// Test-side access to the outside oracles: GNU as/ld for ppc64le (binutils
// 2.40) and qemu-ppc64le (7.2). Each must be on PATH; a missing tool fails
// the test (CI installs them), it never skips.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tool(
  name: string,
  args: readonly string[],
  input?: string,
): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(name, args, { input, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (r.error) throw new Error(`${name} not runnable: ${r.error.message}`);
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

/** Assemble ppc64le source (`-mpower10`) and return the .text words. */
export function assembleWords(source: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-asm-"));
  const s = join(dir, "a.s");
  const o = join(dir, "a.o");
  const bin = join(dir, "a.bin");
  writeFileSync(s, `${source}\n`);
  const a = tool("powerpc64le-linux-gnu-as", ["-mpower10", "-o", o, s]);
  if (a.status !== 0) throw new Error(`as failed: ${a.stderr}`);
  const c = tool("powerpc64le-linux-gnu-objcopy", ["-O", "binary", "-j", ".text", o, bin]);
  if (c.status !== 0) throw new Error(`objcopy failed: ${c.stderr}`);
  const b = readFileSync(bin);
  const words: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) words.push(b.readUInt32LE(i));
  return words;
}

/** Assemble and link a static executable whose entry is `_start`; returns its path. */
export function buildExecutable(source: string, cpu: "power9" | "power10" = "power10"): string {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-exe-"));
  const s = join(dir, "p.s");
  const o = join(dir, "p.o");
  const exe = join(dir, "p");
  writeFileSync(s, `${source}\n`);
  const a = tool("powerpc64le-linux-gnu-as", [`-m${cpu}`, "-o", o, s]);
  if (a.status !== 0) throw new Error(`as failed: ${a.stderr}`);
  const l = tool("powerpc64le-linux-gnu-ld", [
    "-static",
    "-z",
    "max-page-size=0x1000",
    "-o",
    exe,
    o,
  ]);
  if (l.status !== 0) throw new Error(`ld failed: ${l.stderr}`);
  return exe;
}

/** Run under qemu-ppc64le; stdout bytes and the exit status (128 + signal as a shell reports it). */
export function qemu(
  cpu: "power9" | "power10",
  file: string,
  args: readonly string[] = [],
): { stdout: Buffer; status: number } {
  const r = spawnSync("qemu-ppc64le", ["-cpu", cpu, file, ...args], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.error) throw new Error(`qemu-ppc64le not runnable: ${r.error.message}`);
  const status =
    r.status ??
    128 +
      (r.signal === "SIGSEGV"
        ? 11
        : r.signal === "SIGILL"
          ? 4
          : r.signal === "SIGTRAP"
            ? 5
            : r.signal === "SIGBUS"
              ? 7
              : 6);
  return { stdout: r.stdout, status };
}

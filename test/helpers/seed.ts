// The seed commit's oops text (fixtures/seed, or $TEXTPOKE_SEED_DIR), read at
// test time, and the normaliser that compares lines modulo timestamps,
// addresses, offsets and the release string.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const SEED = "000_eb3ef4840b486d23.txt";
const root = new URL("../../", import.meta.url).pathname;
const seedDir = process.env.TEXTPOKE_SEED_DIR ?? join(root, "fixtures/seed");

/**
 * The indented oops block of the commit message (from the cut line to the
 * first unindented line). The stored page text uses no-break spaces (U+00A0)
 * where the mail had spaces.
 */
export function mailOopsLines(): string[] {
  const lines = readFileSync(join(seedDir, SEED), "utf8")
    .replace(/\u00a0/g, " ")
    .split("\n");
  const start = lines.findIndex((l) => l.includes("[ cut here ]"));
  assert.ok(start >= 0, "seed file has no oops block");
  const out: string[] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith("  "); i++) out.push(lines[i]!);
  return out;
}

/** Timestamps and [REG] columns dropped; hex numbers and the release replaced; spaces collapsed. */
export function normalise(line: string): string {
  return line
    .replace(/^\[\s*\d+\.\d{6}\] ?/, "")
    .replace(/\[[0-9a-f]{16}\] ?/g, "")
    .replace(/\b\d+\.\d+\.\d+(?:-rc\d+)?\+?/g, "<REL>")
    .replace(/0x[0-9a-f]+/g, "<HEX>")
    .replace(/\b[0-9a-f]{8,16}\b/g, "<HEX>")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Every line of the mail's oops appears in `dmesg`, in order, after
 * normalising ("..." lines of the mail are elisions). Returns the index in
 * `dmesg` of each matched mail line.
 */
export function assertShowsSeedOops(dmesg: readonly string[]): number[] {
  const rendered = dmesg.map(normalise);
  const mail = mailOopsLines();
  assert.ok(mail.length >= 20, `mail block too short: ${mail.length}`);
  const at: number[] = [];
  let pos = 0;
  for (const raw of mail) {
    if (raw.trim() === "...") continue;
    const want = normalise(raw);
    const found = rendered.indexOf(want, pos);
    assert.ok(
      found >= 0,
      `missing after line ${pos}: ${JSON.stringify(want)}\n${dmesg.join("\n")}`,
    );
    at.push(found);
    pos = found + 1;
  }
  return at;
}

const H16 = "[0-9a-f]{16}";

/**
 * The line-by-line layout of the seed's BUG oops and the init panic, as
 * boot-and-oops.md §5.7 reconstructs it (timestamps stripped), with `frames`
 * the call-trace rows after the first, unreliable `0x60000000` one.
 */
export function seedOopsLayout(frames: readonly string[]): RegExp[] {
  return [
    /^------------\[ cut here \]------------$/,
    /^kernel BUG at arch\/powerpc\/mm\/pgtable\.c:333!$/,
    /^Oops: Exception in kernel mode, sig: 5 \[#1\]$/,
    /^LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA PowerNV$/,
    /^Modules linked in:$/,
    /^CPU: 0 PID: 1 Comm: swapper\/0 Not tainted 6\.2\.0-rc1 #1$/,
    /^Hardware name: IBM PowerNV \(emulated by qemu\) POWER9 0x4e1200 opal:v7\.0 PowerNV$/,
    new RegExp(`^NIP:  ${H16} LR: ${H16} CTR: ${H16}$`),
    new RegExp(`^REGS: ${H16} TRAP: 0700   Not tainted  \\(6\\.2\\.0-rc1\\)$`),
    new RegExp(`^MSR:  ${H16} <SF,HV,EE,ME,IR,DR,RI,LE>  CR: [0-9a-f]{8}  XER: [0-9a-f]{8}$`),
    new RegExp(`^CFAR: ${H16} IRQMASK: 1 $`),
    ...[0, 4, 8, 12, 16, 20, 24, 28].map(
      (n) => new RegExp(`^GPR${String(n).padStart(2, "0")}: (${H16} ){4}$`),
    ),
    new RegExp(`^NIP \\[${H16}\\] assert_pte_locked\\+0x180/0x1a0$`),
    new RegExp(`^LR \\[${H16}\\] assert_pte_locked\\+0x170/0x1a0$`),
    /^Call Trace:$/,
    new RegExp(`^\\[${H16}\\] \\[0000000060000000\\] 0x60000000 \\(unreliable\\)$`),
    ...frames.map((f) => new RegExp(`^\\[${H16}\\] \\[${H16}\\] ${f}$`)),
    /^Code: ([0-9a-f]{8} ){12}<0b090000> ([0-9a-f]{8} ){3}$/,
    /^---\[ end trace 0000000000000000 \]---$/,
    /^$/,
    /^Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000005$/,
    /^---\[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000005 \]---$/,
  ];
}

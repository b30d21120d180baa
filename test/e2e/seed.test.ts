// The seed reproduced through the CLI: commit 980411a4d1bb fixed an oops that
// c28c15b6d28a caused with CONFIG_DEBUG_VM. The expected text is the commit
// message's own oops (fixtures/seed), read at test time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";
import { assertShowsSeedOops } from "../helpers/seed.ts";

const SEED_ARGS = [
  "boot",
  "--variant",
  "c28c15b6d28a",
  "--set",
  "CONFIG_DEBUG_VM=y",
  "--cpus",
  "2",
];

const lines = (s: string) => s.trimEnd().split("\n");

describe("the seed: c28c15b6d28a with CONFIG_DEBUG_VM", () => {
  it("exits 1 and prints every line of the commit message's oops, in order, then the init panic", async () => {
    const r = await runCli(...SEED_ARGS);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "");
    const dmesg = lines(r.stdout);
    const at = assertShowsSeedOops(dmesg);
    const after = dmesg.slice(at.at(-1)! + 1).join("\n");
    assert.match(
      after,
      /\n\[\s*\d+\.\d{6}\] Kernel panic - not syncing: Attempted to kill init! exitcode=0x[0-9a-f]{8}\n/,
    );
    assert.ok(!/Run \/init as init process/.test(r.stdout), "the boot must not reach /init");
  });

  it("is the lock really not held: the trap is the tdnei at assert_pte_locked's lock assertion", async () => {
    const r = await runCli(...SEED_ARGS);
    const code = lines(r.stdout).find((l) => l.includes("Code: "))!;
    // BUG_ON(!spin_is_locked()) on ppc64 is `tdnei rX,0` (opcode 2, TO 24).
    assert.match(code, /<0b[0-9a-f]{2}0000>/);
    assert.match(r.stdout, /kernel BUG at arch\/powerpc\/mm\/pgtable\.c:333!/);
    assert.match(r.stdout, /IRQMASK: 1 /, "inside local_irq_save");
  });

  it("produces the same bytes on every run", async () => {
    const a = await runCli(...SEED_ARGS);
    const b = await runCli(...SEED_ARGS);
    assert.equal(a.stdout, b.stdout);
  });
});

describe("where c28c15b6d28a does not oops (code-patching.md §8.4)", () => {
  for (const extra of [
    [],
    ["--mmu", "hash", "--set", "CONFIG_DEBUG_VM=y"],
    ["--set", "CONFIG_STRICT_KERNEL_RWX=n", "--set", "CONFIG_DEBUG_VM=y"],
  ]) {
    it(`boots clean with ${extra.join(" ") || "DEBUG_VM off"}`, async () => {
      const r = await runCli("boot", "--variant", "c28c15b6d28a", ...extra);
      assert.equal(r.status, 0, r.stdout.slice(-2000) + r.stderr);
      assert.match(r.stdout, /Run \/init as init process\n$/);
      assert.ok(!/BUG|WARNING|Oops|panic/.test(r.stdout));
    });
  }
});

describe("the fix, 980411a4d1bb", () => {
  for (const mmu of ["radix", "hash"]) {
    for (const pages of ["64K", "4K"]) {
      for (const cpus of ["1", "2", "4"]) {
        it(`boots clean with DEBUG_VM, ${mmu}, ${pages} pages, ${cpus} CPUs`, async () => {
          const r = await runCli(
            "boot",
            "--mmu",
            mmu,
            "--cpus",
            cpus,
            "--set",
            "CONFIG_DEBUG_VM=y",
            "--set",
            `CONFIG_PPC_${pages}_PAGES=y`,
          );
          assert.equal(r.status, 0, r.stdout.slice(-2000) + r.stderr);
          assert.match(r.stdout, /Run \/init as init process\n$/);
          assert.ok(!/BUG|WARNING|Oops|panic/.test(r.stdout));
        });
      }
    }
  }
});

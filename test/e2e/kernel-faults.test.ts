// Wrong code-patching variants that drive the machine where the real kernel
// machine-checks, oopses or silently corrupts memory: `textpoke boot` shows
// what the kernel would (exit 1), never an internal error (exit 70). The
// variant modules are test/fixtures/variants/*.js.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

const fixture = (name: string) => new URL(`../fixtures/variants/${name}`, import.meta.url).pathname;
const untimed = (out: string) => out.split("\n").map((l) => l.replace(/^\[[ \d.]+\] /, ""));

describe("textpoke boot with a variant that breaks the kernel", () => {
  it("get_patch_pfn() without the vmalloc case: a machine check, the platform reboot's panic", async () => {
    const r = await runCli("boot", "--variant", fixture("linear-pfn.js"));
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, "");
    const lines = untimed(r.stdout);
    const at = lines.indexOf(
      "MCE: CPU0: machine check (Fatal)  Real address Store (bad) [Not recovered]",
    );
    assert.ok(at > 0, r.stdout);
    assert.match(lines[at + 1]!, /^MCE: CPU0: NIP: \[c[0-9a-f]{15}\] patch_instruction\+/);
    assert.deepEqual(lines.slice(at + 2, at + 6), [
      "MCE: CPU0: Initiator CPU",
      "MCE: CPU0: Hardware error",
      "opal: Machine check interrupt is fatal",
      "opal: Hardware platform error: Unrecoverable Machine Check exception",
    ]);
    assert.ok(lines.includes("Kernel panic - not syncing: Unrecoverable Machine Check exception"));
  });

  it("every CPU handed the first CPU's patching mm: the hotplug mmputs write to the freed mm, reported on stderr", async () => {
    const r = await runCli(
      "boot",
      "--variant",
      fixture("shared-patching-mm.js"),
      "--hotplug",
      "4",
      "--cpus",
      "4",
    );
    assert.equal(r.status, 1, r.stderr);
    // Silent in the kernel: the boot reaches /init.
    assert.match(r.stdout, /Run \/init as init process\n$/);
    const err = r.stderr.split("\n");
    assert.match(
      err[0]!,
      /^textpoke: the kernel corrupted memory silently: use-after-free on CPU \d: mmput\(mm#1\): mm_users of a freed mm_struct decremented \(0 -> -1\)$/,
    );
    assert.match(err[5]!, /^textpoke: \.\.\. and \d+ more such reports$/);
    assert.equal(err.length, 7);
  });

  it("__patch_instruction() storing zero under a kprobe on compiled code: the illegal instruction's oops (sig 4)", async () => {
    const r = await runCli("boot", "--variant", fixture("zero-store.js"), "--kprobe", "crc32_le");
    assert.equal(r.status, 1, r.stderr);
    const lines = untimed(r.stdout);
    assert.ok(lines.includes("Oops: Exception in kernel mode, sig: 4 [#1]"), r.stdout);
    assert.ok(lines.some((l) => /^REGS: [0-9a-f]{16} TRAP: 0e40 /.test(l)));
    assert.ok(lines.some((l) => /^NIP \[c[0-9a-f]{15}\] crc32_le\+0x0\/0x[0-9a-f]+$/.test(l)));
    assert.ok(
      lines.includes("Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004"),
    );
  });
});

// A wrong variant is a finding, never a crash: where the kernel would
// machine-check, WARN or oops, the checker reports a violation with the
// kernel's message (exit 1), not an internal error.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../cli/run-cli.ts";

const fixture = (n: string) => new URL(`../fixtures/variants/${n}`, import.meta.url).pathname;

describe("check on wrong variants", () => {
  it("a getPatchPfn that takes the linear-map pfn for vmalloc addresses: the machine check and its panic", async () => {
    // live-target sees the alias store go to the wrong page first; here: what the kernel says.
    const r = await runCli(
      "check",
      "--variant",
      fixture("linear-pfn.js"),
      "--scenario",
      "boot",
      "--suppress",
      "live-target",
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^VIOLATION no-oops: scenario boot/m);
    assert.match(
      r.stdout,
      /MCE: CPU0: machine check \(Fatal\) {2}Real address Store \(bad\) \[Not recovered\]/,
    );
    assert.match(r.stdout, /Kernel panic - not syncing: Unrecoverable Machine Check exception/);
  });

  it("a textAreaCpuUpMm that hands every CPU CPU 0's mm, with hotplug on 4 CPUs: the kernel's WARN", async () => {
    const r = await runCli(
      "check",
      "--variant",
      fixture("shared-patching-mm.js"),
      "--cpus",
      "4",
      "--scenario",
      "patch-vs-hotplug",
    );
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    // start_using_temp_mm's WARN_ON(!mm_is_thread_local(temp_mm)).
    assert.match(
      r.stdout,
      /WARNING: CPU: \d+ PID: \d+ at arch\/powerpc\/lib\/code-patching\.c:88 patch_instruction\+/,
    );
  });

  it("an illegal word planted in compiled code: the Oops for the illegal instruction", async () => {
    const r = await runCli(
      "check",
      "--variant",
      fixture("zero-store.js"),
      "--scenario",
      "kprobe-hit",
      // patch-effect sees the wrong word when the patch returns; here: what the kernel says.
      "--suppress",
      "patch-effect",
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^VIOLATION no-oops: scenario kprobe-hit/m);
    assert.match(r.stdout, /Oops: Exception in kernel mode, sig: 4 \[#1\]/);
  });
});

// ftrace_init on the sites GCC compiled (-pg -mprofile-kernel): objdump of
// fixtures/kernel/patch-clients.o says where every `bl _mcount` is and that
// `mflr r0` precedes it; the image must list exactly those sites in
// __mcount_loc, hold `bl _mcount` there before the boot and a nop after
// ftrace_init; with CONFIG_FUNCTION_TRACER off nothing is patched. A site
// corrupted before ftrace_init is refused with the messages of
// arch/powerpc/kernel/trace/ftrace.c's ftrace_modify_code and
// kernel/trace/ftrace.c's ftrace_bug (v6.2), written here from those sources.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createKernel, runBoot } from "../../../../src/api/boot.ts";
import { __pa } from "../../../../src/linux/arch/powerpc/kernel/vmlinux.ts";
import type { Kernel } from "../../../../src/linux/core/kernel.ts";
import { imageLayout, imageSymbol } from "../../../../src/linux/image/build.ts";
import * as L from "../../../../src/linux/kernel/trace/trace-layout.ts";
import { mcountSitesOracle } from "./ftrace-oracle.ts";

const NOP = 0x6000_0000;
const MFLR_R0 = 0x7c08_02a6;
const ON = ["CONFIG_FUNCTION_TRACER=y"];

const word = (k: Kernel, addr: bigint) => k.machine.mem.read32(__pa(addr));

/** The target of an I-form `bl` at `at` (LI sign-extended, AA=0, LK=1), or null if not one. */
function blTarget(w: number, at: bigint): bigint | null {
  if ((w & 0xfc00_0003) >>> 0 !== 0x4800_0001) return null;
  let li = w & 0x03ff_fffc;
  if (li & 0x0200_0000) li -= 0x0400_0000;
  return at + BigInt(li);
}

/** The oracle's sites as addresses in this kernel's image. */
function oracleAddresses(k: Kernel): bigint[] {
  return mcountSitesOracle().map((s) => imageSymbol(k, s.fn)!.address + BigInt(s.offset));
}

/** After the boot, init text is freed (and poisoned): only the other sites can be read back. */
function coreSites(k: Kernel): bigint[] {
  const l = imageLayout(k);
  return oracleAddresses(k).filter((ip) => ip < l.initBegin || ip >= l.initEnd);
}

describe("ftrace_init", () => {
  it("objdump: every site is `mflr r0; bl _mcount`, and __mcount_loc lists exactly them", () => {
    const sites = mcountSitesOracle();
    assert.deepEqual(sites.map((s) => s.fn).sort(), [
      "ftrace_demo_caller",
      "ftrace_demo_leaf",
      "patch_clients_init",
      "static_branch_demo",
      "static_likely_demo",
    ]);
    for (const s of sites) {
      assert.equal(s.before, "mflr r0", `${s.fn}+${s.offset}`);
      assert.equal(s.beforeWord, MFLR_R0);
    }
    const k = createKernel({ sets: ON });
    const want = oracleAddresses(k).sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(imageLayout(k).mcountLoc, want);
  });

  it("before the boot each site calls _mcount; after ftrace_init each is a nop after `mflr r0`", () => {
    const k = createKernel({ sets: ON });
    const mcount = imageSymbol(k, "_mcount")!.address;
    const sites = oracleAddresses(k);
    for (const ip of sites) assert.equal(blTarget(word(k, ip), ip), mcount);
    const r = runBoot(k);
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(coreSites(k).length, 4);
    for (const ip of coreSites(k)) {
      assert.equal(word(k, ip), NOP, `site 0x${ip.toString(16)}`);
      assert.equal(word(k, ip - 4n), MFLR_R0);
    }
    // ftrace_init's lines (5 sites; 64 KiB pages hold 2730 24-byte records).
    assert.match(r.dmesg, /\] ftrace: allocating 5 entries in 1 pages\n/);
    assert.match(r.dmesg, /\] ftrace: allocated 1 pages with 1 groups\n/);
    assert.doesNotMatch(r.dmesg, /ftrace bug|WARNING/);
  });

  it("with CONFIG_FUNCTION_TRACER off nothing is patched and ftrace says nothing", () => {
    const k = createKernel({});
    const mcount = imageSymbol(k, "_mcount")!.address;
    const r = runBoot(k);
    assert.equal(r.exitCode, 0, r.dmesg);
    for (const ip of coreSites(k)) assert.equal(blTarget(word(k, ip), ip), mcount);
    assert.doesNotMatch(r.dmesg, /ftrace|tracer/);
    // Neither the modelled core nor the compiled tracer is in this image.
    assert.equal(k.kallsyms.lookupName("ftrace_init"), undefined);
    assert.equal(k.kallsyms.lookupName("function_trace_call"), undefined);
    assert.equal(r.trace, null);
  });

  it("the tracer's structures have the sizes GCC gave the compiled ones", () => {
    const k = createKernel({ sets: ON });
    const size = (n: string) => imageSymbol(k, n)!.size;
    assert.equal(size("global_ops"), L.OPS_SIZE);
    assert.equal(size("ftrace_list_end"), L.OPS_SIZE);
    assert.equal(size("global_ops_filter_hash"), L.HASH_SIZE);
    assert.equal(size("global_trace"), L.TR_SIZE);
  });

  it("a site corrupted before ftrace_init is refused: the ftrace bug report, the WARN, nothing written, ftrace dead", () => {
    const k = createKernel({ sets: ON, ftrace: ["ftrace_demo_leaf"] });
    const sites = oracleAddresses(k).sort((a, b) => (a < b ? -1 : 1));
    const leaf = imageSymbol(k, "ftrace_demo_leaf")!.address;
    const bad = leaf + 4n;
    assert.ok(sites.includes(bad));
    const corrupt = 0x6021_0000; // `ori r1,r1,0` (harmless when run) where `bl _mcount` was
    k.machine.mem.write32(__pa(bad), corrupt);
    const mcount = imageSymbol(k, "_mcount")!.address;
    const r = runBoot(k);
    const lines = r.dmesg.split("\n").map((l) => l.replace(/^\[[ 0-9.]+\] /, ""));
    const at = lines.indexOf("------------[ ftrace bug ]------------");
    assert.ok(at > 0, r.dmesg);
    // ftrace_modify_code's pr_err (no newline, ended by the next record);
    // the expected old word is `bl _mcount` from the site, encoded here.
    const oldWord = (0x4800_0001 | Number(BigInt.asUintN(26, mcount - bad) & 0x3fffffcn)) >>> 0;
    assert.equal(blTarget(oldWord, bad), mcount);
    assert.equal(
      lines[at - 1],
      `ftrace-powerpc: (____ptrval____): replaced (60210000) != old (${oldWord.toString(16).padStart(8, "0")})`,
    );
    assert.deepEqual(lines.slice(at + 1, at + 8), [
      "ftrace failed to modify ",
      `[<${bad.toString(16).padStart(16, "0")}>] ftrace_demo_leaf+0x4/0x${imageSymbol(k, "ftrace_demo_leaf")!.size.toString(16)}`,
      " actual:   00:00:21:60",
      "Initializing ftrace call sites",
      "ftrace record flags: 0",
      " (0)  ",
      ` expected tramp: ${imageSymbol(k, "ftrace_caller")!.address.toString(16)}`,
    ]);
    assert.equal(lines[at + 8], "------------[ cut here ]------------");
    assert.match(
      lines[at + 9]!,
      /^WARNING: CPU: 0 PID: 0 at kernel\/trace\/ftrace\.c:\d+ ftrace_bug\+0x/,
    );
    assert.ok(lines.includes("ftrace: allocated 1 pages with 1 groups"));
    // Nothing written at the bad site; the sites before it were nopped, the
    // rest never (ftrace_kill); the tracer could not start, so nothing traced.
    assert.equal(word(k, bad), corrupt);
    for (const ip of coreSites(k)) {
      if (ip < bad) assert.equal(word(k, ip), NOP);
      if (ip > bad) assert.equal(blTarget(word(k, ip), ip), mcount);
    }
    assert.match(r.trace ?? "", /entries-in-buffer\/entries-written: 0\/0 /);
    // A WARN is not a panic: the boot goes on to /init.
    assert.equal(r.exitCode, 0);
  });
});

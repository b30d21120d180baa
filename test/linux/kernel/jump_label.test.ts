// Jump labels on compiled code: the __jump_table GCC and GNU as emitted for
// fixtures/kernel/patch-clients.c (read back with objdump -r, the outside
// oracle for where each site, target and key is), jump_label_init's sort,
// and static_key_enable/disable rewriting the sites through
// patch_branch/patch_instruction, observed by running the compiled function
// in the interpreter. Expected return values come from the C source.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boot } from "../../../src/api/boot.ts";
import type { Kernel } from "../../../src/linux/core/kernel.ts";
import { callCompiled } from "../../../src/linux/image/call-compiled.ts";
import {
  jumpEntryCode,
  jumpEntryIsBranch,
  jumpEntryKey,
  jumpEntryTarget,
  staticKeyEnabled,
} from "../../../src/linux/include/linux/jump_label.ts";
import {
  jumpEntries,
  jumpLabelTextReserved,
  staticKeyDisable,
  staticKeyEnable,
  staticKeys,
} from "../../../src/linux/kernel/jump_label.ts";
import { tool } from "../../machine/exec/toolchain.ts";
import { runOn } from "../helpers/run-kernel.ts";

const OBJ = new URL("../../../fixtures/kernel/patch-clients.o", import.meta.url).pathname;
const NOP = 0x6000_0000;

/** objdump -r -j __jump_table: per entry, the .text offsets of site and target, the key and its branch flag. */
function jumpTableOracle(): { code: number; target: number; key: string; branch: boolean }[] {
  const r = tool("powerpc64le-linux-gnu-objdump", ["-r", "-j", "__jump_table", OBJ]);
  assert.equal(r.status, 0, r.stderr);
  const relocs = r.stdout
    .toString()
    .split("\n")
    .map((l) => /^([0-9a-f]+)\s+(R_PPC64_REL32|R_PPC64_REL64)\s+(\S+)$/.exec(l))
    .filter((m) => m !== null);
  const out = [];
  for (let i = 0; i + 2 < relocs.length; i += 3) {
    const off = (m: RegExpExecArray) => Number.parseInt(m[3]!.split("+")[1] ?? "0", 16);
    const [code, target, key] = [relocs[i]!, relocs[i + 1]!, relocs[i + 2]!];
    out.push({
      code: off(code),
      target: off(target),
      key: key[3]!.split("+")[0]!,
      branch: off(key) === 1,
    });
  }
  return out;
}

/** The C source's results: static_branch_demo(1) and static_likely_demo(3) per key state. */
const BRANCH = { off: 1 + 1, on: 1 + 0x100 };
const LIKELY = { on: 3 * 2, off: 3 - 1 };

const word = (k: Kernel, a: bigint) => k.machine.mem.read32(Number(a - 0xc000_0000_0000_0000n));
const call = (k: Kernel, fn: string, x: number) =>
  Number(runOn(k, 0, (c) => callCompiled(c, fn, [BigInt(x)])));

describe("jump labels on compiled code", () => {
  it("the image's __jump_table holds the sites, targets and keys objdump reads in the object", () => {
    const k = boot({}).kernel;
    const text = k.kallsyms.lookupName("static_branch_demo")!; // .text+0 of patch-clients.o
    const want = jumpTableOracle()
      .map((e) => ({
        code: text + BigInt(e.code),
        target: text + BigInt(e.target),
        key: k.kallsyms.lookupName(e.key)!,
        branch: e.branch,
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : Number(a.code - b.code)));
    assert.equal(want.length, 2);
    const got = jumpEntries(k).map((e) => ({
      code: jumpEntryCode(k, e),
      target: jumpEntryTarget(k, e),
      key: jumpEntryKey(k, e),
      branch: jumpEntryIsBranch(k, e),
    }));
    // jump_label_init sorted them by key, then by site.
    assert.deepEqual(got, want);
    // Each key points at its first entry; every site is the compiler's nop.
    for (const key of staticKeys(k)) {
      for (const s of key.sites) assert.equal(word(k, s), NOP);
    }
    assert.ok(jumpLabelTextReserved(k, want[0]!.code, want[0]!.code));
    assert.ok(!jumpLabelTextReserved(k, want[0]!.code + 4n, want[0]!.code + 4n));
  });

  it("register_kprobe refuses a jump-label site (-EINVAL), not the word after it", () => {
    const site = jumpTableOracle()[0]!.code; // .text offset = offset in static_branch_demo
    const r = boot({ kprobes: [`static_branch_demo+${site}`, `static_branch_demo+${site + 4}`] });
    assert.equal(r.kprobes[0]!.ret, -22);
    assert.equal(r.kprobes[1]!.ret, 0);
  });

  it("static_key_enable turns a default-off key's site into the branch, disable back into the nop", () => {
    const k = boot({}).kernel;
    const key = staticKeys(k).find((s) => s.name === "textpoke_false_key")!;
    const site = key.sites[0]!;
    const entry = jumpEntries(k).find((e) => jumpEntryCode(k, e) === site)!;
    assert.equal(call(k, "static_branch_demo", 1), BRANCH.off);
    runOn(k, 0, (c) => staticKeyEnable(c, key.address));
    assert.ok(staticKeyEnabled(k, key.address));
    const b = word(k, site);
    assert.equal(b >>> 26, 18, "an I-form branch");
    assert.equal(site + BigInt(((b & 0x03ff_fffc) << 6) >> 6), jumpEntryTarget(k, entry));
    assert.equal(call(k, "static_branch_demo", 1), BRANCH.on);
    // Enabling twice changes nothing.
    runOn(k, 0, (c) => staticKeyEnable(c, key.address));
    assert.equal(word(k, site), b);
    runOn(k, 0, (c) => staticKeyDisable(c, key.address));
    assert.equal(word(k, site), NOP);
    assert.equal(call(k, "static_branch_demo", 1), BRANCH.off);
  });

  it("a default-on key's likely branch: a nop while enabled, the jump to the unlikely path once disabled", () => {
    const k = boot({}).kernel;
    const key = staticKeys(k).find((s) => s.name === "textpoke_true_key")!;
    assert.ok(staticKeyEnabled(k, key.address));
    assert.equal(call(k, "static_likely_demo", 3), LIKELY.on);
    runOn(k, 0, (c) => staticKeyDisable(c, key.address));
    assert.equal(word(k, key.sites[0]!) >>> 26, 18);
    assert.equal(call(k, "static_likely_demo", 3), LIKELY.off);
  });

  it("boot --static-key flips the key before the later initcalls; bad specs are one-line errors", () => {
    const r = boot({ staticKeys: ["textpoke_false_key=on"] });
    assert.equal(r.exitCode, 0, r.dmesg);
    assert.equal(r.staticKeys.length, 1);
    assert.equal(r.staticKeys[0]!.enabled, true);
    assert.match(r.staticKeys[0]!.sites[0]!.insn, /^b\s+0x[0-9a-f]+$/);
    assert.match(r.staticKeys[0]!.sites[0]!.where, /^static_branch_demo\+0x8\//);
    assert.throws(() => boot({ staticKeys: ["nosuch=on"] }), /not a static key of the kernel/);
    assert.throws(
      () => boot({ staticKeys: ["textpoke_true_key"] }),
      /expected NAME=on or NAME=off/,
    );
    assert.throws(
      () => boot({ staticKeys: ["textpoke_true_key=off"], sets: ["CONFIG_JUMP_LABEL=n"] }),
      /needs CONFIG_JUMP_LABEL=y/,
    );
  });
});

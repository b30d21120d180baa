// The checker's invariants, each with a variant that breaks it: the check
// reports that invariant first, with its message; with that invariant
// suppressed, nothing else in the checker sees the bug (or only the
// consequence named in the table: the kernel's own WARN, a deadlock). And
// the correct built-in variants give no violation on any built-in scenario.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invariantNames } from "../../src/explore/invariants/index.ts";
import { runCli } from "../cli/run-cli.ts";

const here = (p: string) => new URL(p, import.meta.url).pathname;
const breaker = (n: string) => here(`./variants/${n}`);
const scenario = (n: string) => here(`./scenarios/${n}`);
const example = (n: string) => here(`../../examples/variants/${n}`);

interface Breaker {
  readonly invariant: string;
  /** What breaks it. */
  readonly what: string;
  readonly args: readonly string[];
  readonly message: RegExp;
  /** With the invariant suppressed: no violation (null), or this one. */
  readonly without: string | null;
}

const BREAKERS: readonly Breaker[] = [
  {
    invariant: "lock-discipline",
    what: "c28c15b6d28a with CONFIG_DEBUG_VM=n",
    args: [
      "--variant",
      "c28c15b6d28a",
      "--set",
      "CONFIG_DEBUG_VM=n",
      "--scenario",
      "concurrent-patch",
    ],
    message:
      /CPU 0 wrote the PTE at real address 0x[0-9a-f]+ in patch_instruction\(\) with its page-table lock \(ptl@0x[0-9a-f]+\) not held/,
    without: null,
  },
  {
    invariant: "alias-private",
    what: "one patching mm for every CPU",
    args: ["--variant", breaker("shared-patching-mm.js"), "--scenario", "concurrent-patch"],
    message:
      /CPU 0's TLB translates CPU 1's patching alias 0x[0-9a-f]+ \(PID \d+\) to real 0x[0-9a-f]+ after patch_instruction\(\)/,
    // start_using_temp_mm()'s WARN_ON(!mm_is_thread_local()).
    without: "no-oops",
  },
  {
    invariant: "no-stale-alias",
    what: "examples/variants/no-local-flush.js",
    args: ["--variant", example("no-local-flush.js"), "--scenario", "concurrent-patch"],
    message:
      /patch_instruction\(0x[0-9a-f]+\) began on CPU 0, but CPU 0's TLB still translates its alias 0x[0-9a-f]+ \(PID \d+\) to real 0x[0-9a-f]+/,
    // The stale translation then takes the next alias store to the previous patch's page.
    without: "live-target",
  },
  {
    invariant: "text-wx",
    what: "the raw path while booting, after poking_init",
    args: ["--variant", breaker("raw-while-booting.js"), "--scenario", "boot"],
    message:
      /CPU 0 wrote kernel text at real 0x[0-9a-f]+ \(.+\) in raw_patch_instruction\(\) after poking_init was done/,
    without: null,
  },
  {
    invariant: "alias-bounds",
    what: "the alias store at the page's last word",
    args: [
      "--variant",
      breaker("alias-last-word.js"),
      "--scenario",
      scenario("patch-prefixed.json"),
    ],
    message:
      /CPU 0's 8-byte store at 0x[0-9a-f]+ in patch_instruction\(\) runs 4 bytes past its end: CPU 0's patching alias maps only 0x[0-9a-f]+\.\.0x[0-9a-f]+/,
    without: null,
  },
  {
    invariant: "live-target",
    what: "module text through the linear map",
    args: ["--variant", breaker("module-linear-pfn.js"), "--scenario", "module-text"],
    message:
      /CPU 0's alias store for patch_instruction\(cleanup_module\+0x[0-9a-f]+\/0x[0-9a-f]+ \[textpoke_demo\] \(0x[0-9a-f]+\)\) went to real 0x[0-9a-f]+, but the target is backed by real 0x[0-9a-f]+ \(its vm area's page, mapped in init_mm\)/,
    // The store to a real address with no memory: a machine check.
    without: "no-oops",
  },
  {
    invariant: "no-reentry",
    what: "no local_irq_save in patch_instruction",
    args: ["--variant", breaker("no-irq-save.js"), "--scenario", "patch-in-irq"],
    message:
      /patch_instruction\(do_one_initcall\+0x44\/0x[0-9a-f]+ \(0x[0-9a-f]+\)\) began on CPU 0 in an interrupt while its patch_instruction\(do_one_initcall\+0x40\/0x[0-9a-f]+ \(0x[0-9a-f]+\)\) was using the CPU's one patching context: /,
    // The handler's patch spins on the PTE lock its own CPU holds.
    without: "deadlock",
  },
  {
    invariant: "no-torn-prefixed",
    what: "a prefixed instruction as two 4-byte stores",
    args: [
      "--variant",
      breaker("prefixed-two-stores.js"),
      "--scenario",
      scenario("execute-prefixed.json"),
    ],
    message:
      /CPU 1 executed the prefixed pair 0x06000000:0x60000000 at do_one_initcall\+0x60\/0x[0-9a-f]+ \(0x[0-9a-f]+\), which never stood whole there/,
    without: null,
  },
  {
    invariant: "icache-coherent",
    what: "no icbi",
    args: ["--variant", breaker("no-icbi.js"), "--scenario", "execute-vs-patch"],
    message:
      /patch_instruction\(do_one_initcall\+0x[0-9a-f]+\/0x[0-9a-f]+ \(0x[0-9a-f]+\), 0x[0-9a-f:x]+\) returned on CPU 0, but CPU 1's instruction cache still holds 0x[0-9a-f]+ at real 0x[0-9a-f]+, not marked for invalidation/,
    without: null,
  },
  {
    invariant: "icache-coherent",
    what: "no icbi, under a static key flipped while other CPUs run the compiled function",
    args: [
      "--variant",
      breaker("no-icbi.js"),
      "--scenario",
      "jump-label-vs-execute",
      "--cpus",
      "2",
    ],
    // The stale word is the compiler's nop at the site (objdump of patch-clients.o),
    // executed by a CPU after static_key_enable's patch_branch returned (CPU 0 itself first:
    // its icache holds the line from running the function at boot).
    message:
      /CPU \d executed 0x60000000 at static_branch_demo\+0x8\/0x[0-9a-f]+ \(0x[0-9a-f]+\) after its isync at step \d+, but patch_instruction\(0x48[0-9a-f]{6}\) there had returned on CPU 0 at step \d+: a stale instruction/,
    without: null,
  },
  {
    invariant: "patch-effect",
    what: "a byte-reversed store that returns 0",
    args: ["--variant", breaker("byte-swapped-store.js"), "--scenario", "concurrent-patch"],
    message:
      /patch_instruction\(do_one_initcall\+0x40\/0x[0-9a-f]+ \(0x[0-9a-f]+\), 0x60000000\) returned 0 on CPU 0, but the target holds 0x00000060 \(was 0x60000000\)/,
    without: null,
  },
  {
    invariant: "patch-effect",
    what: "a store over the next word too",
    args: ["--variant", breaker("writes-neighbour.js"), "--scenario", scenario("patch-one.json")],
    message:
      /3 bytes of a page holding patch targets changed where nothing was patched: first at do_one_initcall\+0x44\/0x[0-9a-f]+ \(0x[0-9a-f]+\) \(real 0x[0-9a-f]+\), 0x60000000 became 0x7fe00008/,
    without: null,
  },
  {
    invariant: "might-sleep",
    what: "a GFP_KERNEL allocation under the PTE lock",
    args: ["--variant", breaker("alloc-under-ptl.js"), "--scenario", "concurrent-patch"],
    message:
      /CPU 0 may sleep at include\/linux\/sched\/mm\.h:274 \(in get_vm_area < patch_instruction\) with interrupts disabled and preempt_count 1 \(a spinlock held\)/,
    without: null,
  },
  {
    invariant: "no-leak",
    what: "the built-in fix on patch-vs-hotplug (put_patching_mm without tlb_finish_mmu)",
    args: ["--scenario", "patch-vs-hotplug"],
    message:
      /4 page-table frames \(the batch page; tables: pte, pmd, pud\) queued on an mmu_gather under text_area_cpu_down_mm < free_pgd_range < put_patching_mm and never freed/,
    without: null,
  },
  {
    invariant: "no-oops",
    what: "a WARN_ON that fires on every nop",
    args: ["--variant", breaker("warn-on-nop.js"), "--scenario", "concurrent-patch"],
    message:
      /WARNING: CPU: 0 PID: \d+ at arch\/powerpc\/lib\/code-patching\.c:301 patch_instruction\+0x[0-9a-f]+\/0x6d0 \(in patch_instruction\(\) on CPU 0\)/,
    without: null,
  },
  {
    invariant: "memory-safety",
    what: "the patching mm put twice at CPU offline",
    args: ["--variant", breaker("double-mmput.js"), "--scenario", "patch-vs-hotplug"],
    message:
      /use-after-free on CPU 1: mmput\(mm#\d+\): mm_users of a freed mm_struct decremented \(0 -> -1\)/,
    // The gather put_patching_mm never finishes, inherited from the built-in.
    without: "no-leak",
  },
];

/** The invariant of each VIOLATION headline, in order. */
const violations = (out: string) =>
  [...out.matchAll(/^VIOLATION ([a-z-]+): scenario /gm)].map((m) => m[1]);

describe("invariants", () => {
  it("every invariant has a breaking variant in the table", () => {
    assert.deepEqual(
      [...new Set(BREAKERS.map((b) => b.invariant))].sort(),
      [...invariantNames()].sort(),
    );
  });

  for (const b of BREAKERS) {
    it(`${b.invariant} catches ${b.what}, and nothing else does${b.without === null ? "" : ` but ${b.without}`}`, async () => {
      const r = await runCli("check", "--executions", "300", ...b.args);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.deepEqual(violations(r.stdout), [b.invariant], r.stdout);
      assert.match(r.stdout, b.message);
      const s = await runCli("check", "--executions", "300", "--suppress", b.invariant, ...b.args);
      if (b.without === null) {
        assert.deepEqual(violations(s.stdout), [], s.stdout);
        assert.ok(s.status === 0 || s.status === 3, s.stdout + s.stderr);
        assert.match(s.stdout, new RegExp(`suppressed: (.*, )?${b.invariant}\\b`));
      } else {
        assert.equal(s.status, 1, s.stdout + s.stderr);
        assert.deepEqual(violations(s.stdout), [b.without], s.stdout);
      }
    });
  }

  const CORRECT: readonly (readonly string[])[] = [
    ["--variant", "980411a4d1bb"],
    ["--variant", "980411a4d1bb", "--mmu", "hash"],
    ["--variant", "274d842fa1ef", "--mmu", "hash"],
    // Where every built-in applies: the 3-CPU ones and those that need the function tracer.
    ["--variant", "980411a4d1bb", "--cpus", "3", "--set", "CONFIG_FUNCTION_TRACER=y"],
  ];
  for (const args of CORRECT) {
    it(`no false alarm: ${args.join(" ")} on every built-in scenario`, async () => {
      const r = await runCli(
        "check",
        "--executions",
        "200",
        // The fix's own put_patching_mm leak (docs/findings.md), reported above.
        "--suppress",
        "no-leak@text_area_cpu_down_mm",
        ...args,
      );
      assert.deepEqual(violations(r.stdout), [], r.stdout);
      assert.ok(r.status === 0 || r.status === 3, r.stdout + r.stderr);
      const s = await runCli("scenarios");
      const names = [...s.stdout.matchAll(/^([a-z][\w-]*) /gm)].map((m) => m[1]);
      assert.ok(names.length >= 6, s.stdout);
      // A scenario that does not apply says why: more CPUs, or configuration it needs.
      for (const n of names)
        assert.match(
          r.stdout,
          new RegExp(
            `^((clean|BOUND) ${n}: |skipped ${n}: it needs (\\d+ CPUs|CONFIG_\\w+=y)$)`,
            "m",
          ),
        );
      if (args.includes("--cpus"))
        assert.doesNotMatch(r.stdout, /^skipped /m, "every built-in applies here");
    });
  }
});

// Resolution of textpoke's kernel configuration. The rules checked here are the
// kernel's Kconfig at v6.2 (files named per case); the expected values come
// from those rules and from the seed oops's configuration line
// "LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA PowerNV".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KernelConfig } from "../../../../src/linux/scripts/kconfig/kernel-config.ts";
import { loadKernelConfig } from "../../../../src/linux/scripts/kconfig/load-config.ts";
import { UserError } from "../../../../src/util/user-error.ts";

function fails(input: Parameters<typeof loadKernelConfig>[0], message: string): void {
  assert.throws(
    () => loadKernelConfig(input),
    (e: unknown) => {
      assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    },
  );
}

describe("defaults", () => {
  it("is the seed's ppc64le PowerNV configuration", () => {
    const c = loadKernelConfig();
    assert.equal(c.bool("CPU_LITTLE_ENDIAN"), true);
    assert.equal(c.pageSize, 65536);
    assert.equal(c.pageShift, 16);
    assert.equal(c.radixByDefault, true);
    assert.equal(c.bool("SMP"), true);
    assert.equal(c.int("NR_CPUS"), 2048);
    assert.equal(c.bool("NUMA"), true);
    assert.equal(c.bool("PPC_POWERNV"), true);
    assert.equal(c.bool("PREEMPT"), false);
    assert.equal(c.bool("STRICT_KERNEL_RWX"), true);
    assert.equal(c.bool("KPROBES"), true);
    assert.equal(c.bool("MODULES"), true);
    assert.equal(c.bool("KALLSYMS"), true);
    assert.equal(c.bool("DEBUG_KERNEL"), true);
    assert.equal(c.bool("DEBUG_VM"), false);
    assert.equal(c.bool("CODE_PATCHING_SELFTEST"), false);
    assert.equal(c.bool("SPLIT_PTE_PTLOCKS"), true);
    assert.equal(c.string("LOCALVERSION"), "");
    // arch/powerpc/Kconfig: default 0x5deadbeef0000000 if PPC64
    assert.equal(c.hex("ILLEGAL_POINTER_VALUE"), 0x5deadbeef0000000n);
    assert.equal(c.tristate("OPAL_PRD"), "n");
  });

  it("applies Kconfig defaults to symbols the defconfig leaves out", () => {
    const c = loadKernelConfig();
    // kernel/trace/Kconfig: FTRACE `default y if DEBUG_KERNEL`
    assert.equal(c.bool("FTRACE"), true);
    // Kconfig.cputype: PPC_RADIX_MMU_DEFAULT `default y`, PPC_64S_HASH_MMU `default y`
    assert.equal(c.bool("PPC_RADIX_MMU_DEFAULT"), true);
    assert.equal(c.bool("PPC_64S_HASH_MMU"), true);
    // Without DEBUG_KERNEL, FTRACE loses its default.
    assert.equal(loadKernelConfig({ sets: ["CONFIG_DEBUG_KERNEL=n"] }).bool("FTRACE"), false);
  });

  it("lets defconfig values yield to the user's settings, as a kernel defconfig does", () => {
    // arch/Kconfig: KPROBES `depends on MODULES`, so the defconfig's KPROBES=y gives way.
    const c = loadKernelConfig({ sets: ["CONFIG_MODULES=n"] });
    assert.equal(c.bool("KPROBES"), false);
  });
});

describe("overrides", () => {
  it("applies --set after the file", () => {
    const c = loadKernelConfig({
      configText: "CONFIG_NR_CPUS=64\nCONFIG_DEBUG_VM=y\n",
      sets: ["CONFIG_NR_CPUS=16", 'CONFIG_LOCALVERSION="-tp"'],
    });
    assert.equal(c.int("NR_CPUS"), 16);
    assert.equal(c.bool("DEBUG_VM"), true);
    assert.equal(c.string("LOCALVERSION"), "-tp");
  });

  it("lets a --set choice member replace the file's", () => {
    const c = loadKernelConfig({
      configText: "CONFIG_PPC_64K_PAGES=y\n",
      sets: ["CONFIG_PPC_4K_PAGES=y"],
    });
    assert.equal(c.pageSize, 4096);
  });

  it("selects follow the selecting symbol", () => {
    // arch/powerpc/Kconfig: `select DYNAMIC_FTRACE if FUNCTION_TRACER`;
    // kernel/trace/Kconfig: FUNCTION_TRACER `select KALLSYMS`.
    const c = loadKernelConfig({ sets: ["CONFIG_FUNCTION_TRACER=y"] });
    assert.equal(c.bool("DYNAMIC_FTRACE"), true);
    // kernel/Kconfig.preempt: PREEMPT selects PREEMPT_BUILD, which selects PREEMPTION,
    // which selects PREEMPT_COUNT.
    const p = loadKernelConfig({ sets: ["CONFIG_PREEMPT=y"] });
    assert.equal(p.bool("PREEMPT_NONE"), false);
    assert.equal(p.bool("PREEMPTION"), true);
    assert.equal(p.bool("PREEMPT_COUNT"), true);
    // lib/Kconfig.debug: DEBUG_ATOMIC_SLEEP `select PREEMPT_COUNT`.
    const d = loadKernelConfig({ sets: ["CONFIG_DEBUG_ATOMIC_SLEEP=y"] });
    assert.equal(d.bool("PREEMPT_COUNT"), true);
    assert.equal(d.bool("PREEMPTION"), false);
  });

  it("builds a tristate as a module only with MODULES", () => {
    assert.equal(loadKernelConfig({ sets: ["CONFIG_OPAL_PRD=m"] }).tristate("OPAL_PRD"), "m");
  });
});

describe("SPLIT_PTE_PTLOCKS", () => {
  // The rule at v6.2: include/linux/mm_types_task.h
  //   #define USE_SPLIT_PTE_PTLOCKS (NR_CPUS >= CONFIG_SPLIT_PTLOCK_CPUS)
  // with mm/Kconfig
  //   config SPLIT_PTLOCK_CPUS  int  default "999999" if !MMU ... default "4"
  // (the other 999999 cases are ARM, PARISC and SPARC32), and NR_CPUS =
  // CONFIG_NR_CPUS, which Kconfig.cputype sets to 1 when !SMP
  // (`default "1" if !SMP`, `range 2 8192 if SMP`).
  const cases: [string, readonly string[], boolean][] = [
    ["NR_CPUS=2048 (seed)", [], true],
    ["NR_CPUS=8192 (the maximum)", ["CONFIG_NR_CPUS=8192"], true],
    ["NR_CPUS=4 (the threshold)", ["CONFIG_NR_CPUS=4"], true],
    ["NR_CPUS=3", ["CONFIG_NR_CPUS=3"], false],
    ["NR_CPUS=2 (the minimum)", ["CONFIG_NR_CPUS=2"], false],
    ["4K pages, NR_CPUS=16", ["CONFIG_PPC_4K_PAGES=y", "CONFIG_NR_CPUS=16"], true],
  ];
  for (const [what, sets, want] of cases) {
    it(`is ${want ? "y" : "n"} for ${what}`, () => {
      const c = loadKernelConfig({ sets });
      assert.equal(c.int("SPLIT_PTLOCK_CPUS"), 4);
      assert.equal(c.bool("SPLIT_PTE_PTLOCKS"), want);
    });
  }

  it("cannot be set: it is derived", () => {
    fails(
      { sets: ["CONFIG_SPLIT_PTE_PTLOCKS=n"] },
      "bad --set 'CONFIG_SPLIT_PTE_PTLOCKS=n': SPLIT_PTE_PTLOCKS is derived (NR_CPUS >= SPLIT_PTLOCK_CPUS, include/linux/mm_types_task.h) and cannot be set; here it is y",
    );
    fails(
      { configText: "# c\nCONFIG_SPLIT_PTLOCK_CPUS=8\n" },
      "bad .config line 2: 'CONFIG_SPLIT_PTLOCK_CPUS=8': SPLIT_PTLOCK_CPUS is derived (999999 if !MMU; 4, mm/Kconfig) and cannot be set; here it is 4",
    );
  });

  it("accepts a derived symbol written with its derived value (a kernel-written .config)", () => {
    const c = loadKernelConfig({
      configText:
        "CONFIG_NR_CPUS=3\n# CONFIG_SPLIT_PTE_PTLOCKS is not set\nCONFIG_SPLIT_PTLOCK_CPUS=4\n",
    });
    assert.equal(c.bool("SPLIT_PTE_PTLOCKS"), false);
  });
});

describe("page size choice", () => {
  // arch/powerpc/Kconfig: choice "Page size", default PPC_64K_PAGES if PPC_BOOK3S_64.
  it("defaults to 64K on Book3S", () => {
    assert.equal(loadKernelConfig({ configText: "" }).pageSize, 65536);
  });

  it("takes 4K when 4K is chosen", () => {
    const c = loadKernelConfig({ configText: "CONFIG_PPC_4K_PAGES=y\n" });
    assert.equal(c.pageSize, 4096);
    assert.equal(c.pageShift, 12);
    assert.equal(c.bool("PPC_64K_PAGES"), false);
    assert.equal(c.int("PPC_PAGE_SHIFT"), 12);
  });

  it("takes the other member when one is switched off", () => {
    assert.equal(loadKernelConfig({ sets: ["CONFIG_PPC_64K_PAGES=n"] }).pageSize, 4096);
  });

  it("rejects both", () => {
    fails(
      { configText: "CONFIG_PPC_4K_PAGES=y\nCONFIG_PPC_64K_PAGES=y\n" },
      `bad .config line 2: 'CONFIG_PPC_64K_PAGES=y': PPC_4K_PAGES and PPC_64K_PAGES are both y, but "Page size" is a choice: exactly one of PPC_4K_PAGES, PPC_64K_PAGES is y`,
    );
  });

  it("rejects neither", () => {
    fails(
      { configText: "# CONFIG_PPC_4K_PAGES is not set\n# CONFIG_PPC_64K_PAGES is not set\n" },
      `bad .config line 2: '# CONFIG_PPC_64K_PAGES is not set': "Page size" is a choice: exactly one of PPC_4K_PAGES, PPC_64K_PAGES must be y, and none is`,
    );
  });
});

describe("errors", () => {
  it("bad value for the type", () => {
    fails(
      { configText: "#\n# x\n#\n\nCONFIG_DEBUG_VM=y\n\n\n\n\n\n\nCONFIG_SMP=maybe\n" },
      "bad .config line 12: 'CONFIG_SMP=maybe': SMP is a bool (y or n)",
    );
    fails({ sets: ["CONFIG_SMP=m"] }, "bad --set 'CONFIG_SMP=m': SMP is a bool (y or n)");
    fails(
      { sets: ["CONFIG_NR_CPUS=0x800"] },
      "bad --set 'CONFIG_NR_CPUS=0x800': NR_CPUS is an int (a decimal number)",
    );
    fails(
      { sets: ["CONFIG_NR_CPUS=n"] },
      "bad --set 'CONFIG_NR_CPUS=n': NR_CPUS is an int (a decimal number)",
    );
    fails(
      { sets: ["CONFIG_LOCALVERSION=tp"] },
      `bad --set 'CONFIG_LOCALVERSION=tp': LOCALVERSION is a string (in double quotes, like "text")`,
    );
    fails(
      { sets: ["CONFIG_OPAL_PRD=2"] },
      "bad --set 'CONFIG_OPAL_PRD=2': OPAL_PRD is a tristate (y, m or n)",
    );
  });

  it("unknown symbol", () => {
    fails(
      { configText: "CONFIG_SMPP=y\n" },
      "bad .config line 1: 'CONFIG_SMPP=y': unknown symbol SMPP (not in textpoke's Kconfig model)",
    );
  });

  it("NR_CPUS out of range (Kconfig.cputype: range 2 8192 if SMP)", () => {
    fails(
      { sets: ["CONFIG_NR_CPUS=8193"] },
      "bad --set 'CONFIG_NR_CPUS=8193': NR_CPUS=8193 is out of range (range 2 8192 if SMP)",
    );
    fails(
      { sets: ["CONFIG_NR_CPUS=1"] },
      "bad --set 'CONFIG_NR_CPUS=1': NR_CPUS=1 is out of range (range 2 8192 if SMP)",
    );
  });

  it("unmet dependency (Kconfig.debug: CODE_PATCHING_SELFTEST depends on DEBUG_KERNEL)", () => {
    fails(
      { configText: "# CONFIG_DEBUG_KERNEL is not set\nCONFIG_CODE_PATCHING_SELFTEST=y\n" },
      "bad .config line 2: 'CONFIG_CODE_PATCHING_SELFTEST=y': CODE_PATCHING_SELFTEST depends on DEBUG_KERNEL, which is not met (DEBUG_KERNEL=n)",
    );
    // arch/Kconfig: KPROBES depends on MODULES && HAVE_KPROBES
    fails(
      { sets: ["CONFIG_MODULES=n", "CONFIG_KPROBES=y"] },
      "bad --set 'CONFIG_KPROBES=y': KPROBES depends on MODULES && HAVE_KPROBES, which is not met (MODULES=n, HAVE_KPROBES=y)",
    );
  });

  it("setting n what a select forces to y", () => {
    // Kconfig.cputype: PPC_BOOK3S_64 `select PPC_64S_HASH_MMU if !PPC_RADIX_MMU`: some MMU stays.
    fails(
      { sets: ["CONFIG_PPC_RADIX_MMU=n", "CONFIG_PPC_64S_HASH_MMU=n"] },
      "bad --set 'CONFIG_PPC_64S_HASH_MMU=n': PPC_64S_HASH_MMU cannot be n: it is selected by PPC_BOOK3S_64 (select PPC_64S_HASH_MMU if !PPC_RADIX_MMU)",
    );
    // init/Kconfig: EXPERT `select DEBUG_KERNEL`
    fails(
      { sets: ["CONFIG_EXPERT=y", "CONFIG_DEBUG_KERNEL=n"] },
      "bad --set 'CONFIG_DEBUG_KERNEL=n': DEBUG_KERNEL cannot be n: it is selected by EXPERT",
    );
  });

  it("setting a symbol whose prompt is hidden", () => {
    // powernv/Kconfig: PPC_POWERNV `select FORCE_SMP`; Kconfig.cputype: SMP prompt `if !FORCE_SMP`.
    fails(
      { sets: ["CONFIG_SMP=n"] },
      "bad --set 'CONFIG_SMP=n': SMP can be set only if !FORCE_SMP, which is not met (FORCE_SMP=y); here it is y",
    );
    // init/Kconfig: KALLSYMS prompt `if EXPERT`.
    fails(
      { sets: ["CONFIG_KALLSYMS=n"] },
      "bad --set 'CONFIG_KALLSYMS=n': KALLSYMS can be set only if EXPERT, which is not met (EXPERT=n); here it is y",
    );
  });

  it("a module without module support", () => {
    fails(
      { sets: ["CONFIG_KPROBES=n", "CONFIG_MODULES=n", "CONFIG_OPAL_PRD=m"] },
      "bad --set 'CONFIG_OPAL_PRD=m': OPAL_PRD=m needs MODULES=y (a module cannot be built without loadable module support)",
    );
  });

  it("a configuration textpoke cannot simulate", () => {
    fails(
      { sets: ["CONFIG_CPU_BIG_ENDIAN=y"] },
      "bad --set 'CONFIG_CPU_BIG_ENDIAN=y': CPU_LITTLE_ENDIAN must be y: textpoke simulates a little-endian (ppc64le) kernel",
    );
    fails(
      { configText: "# CONFIG_PPC64 is not set\n" },
      "bad .config line 1: '# CONFIG_PPC64 is not set': PPC64 must be y: textpoke simulates a 64-bit (ppc64) kernel",
    );
  });
});

describe("round trip", () => {
  const variants: readonly (readonly string[])[] = [
    [],
    ["CONFIG_DEBUG_VM=y", "CONFIG_CODE_PATCHING_SELFTEST=y"],
    ["CONFIG_PPC_4K_PAGES=y", "CONFIG_NR_CPUS=2", 'CONFIG_LOCALVERSION="-a \\"b\\""'],
    ["CONFIG_PREEMPT=y", "CONFIG_FUNCTION_TRACER=y", "CONFIG_OPAL_PRD=m", "CONFIG_EXPERT=y"],
    ["CONFIG_PPC_RADIX_MMU=n", "CONFIG_MODULES=n", "CONFIG_DEBUG_KERNEL=n"],
  ];
  for (const sets of variants) {
    it(`writing then reading gives the same configuration (${sets.join(" ") || "defaults"})`, () => {
      const first = loadKernelConfig({ sets });
      const text = first.toText();
      const again: KernelConfig = loadKernelConfig({ configText: text });
      assert.equal(again.toText(), text);
    });
  }

  it("writes the kernel's .config style", () => {
    const text = loadKernelConfig().toText();
    assert.ok(text.startsWith("#\n# Automatically generated file; DO NOT EDIT.\n"));
    assert.match(text, /\n#\n# Kernel hacking\n#\nCONFIG_DEBUG_KERNEL=y\n/);
    assert.match(text, /\n# CONFIG_DEBUG_VM is not set\n/);
    assert.match(text, /\nCONFIG_NR_CPUS=2048\n/);
    assert.match(text, /\n# end of Kernel hacking\n$/);
  });
});

describe("a real-world .config excerpt", () => {
  // Laid out as `make` writes a ppc64le PowerNV .config, keeping only symbols
  // textpoke models (derived ones included, with the values the kernel gives them).
  const excerpt = `#
# Automatically generated file; DO NOT EDIT.
# Linux/powerpc 6.2.0-rc1 Kernel Configuration
#

#
# General setup
#
CONFIG_LOCALVERSION=""
CONFIG_PREEMPT_NONE=y
# CONFIG_PREEMPT_VOLUNTARY is not set
# CONFIG_PREEMPT is not set
# CONFIG_EXPERT is not set
CONFIG_KALLSYMS=y
# end of General setup

CONFIG_PPC64=y

#
# Processor support
#
CONFIG_PPC_BOOK3S_64=y
CONFIG_PPC_64S_HASH_MMU=y
CONFIG_PPC_RADIX_MMU=y
CONFIG_PPC_RADIX_MMU_DEFAULT=y
CONFIG_PPC_BOOK3S=y
CONFIG_FORCE_SMP=y
CONFIG_SMP=y
CONFIG_NR_CPUS=2048
# CONFIG_CPU_BIG_ENDIAN is not set
CONFIG_CPU_LITTLE_ENDIAN=y
# end of Processor support

CONFIG_MMU=y
CONFIG_PPC=y
CONFIG_ILLEGAL_POINTER_VALUE=0x5deadbeef0000000
CONFIG_PPC_POWERNV=y
CONFIG_OPAL_PRD=m

#
# Kernel options
#
CONFIG_NUMA=y
# CONFIG_PPC_4K_PAGES is not set
CONFIG_PPC_64K_PAGES=y
CONFIG_PPC_PAGE_SHIFT=16
# end of Kernel options

CONFIG_KPROBES=y
CONFIG_JUMP_LABEL=y
CONFIG_HAVE_KPROBES=y
CONFIG_HAVE_ARCH_JUMP_LABEL=y
CONFIG_ARCH_HAS_STRICT_KERNEL_RWX=y
CONFIG_STRICT_KERNEL_RWX=y
CONFIG_MODULES=y
CONFIG_SPLIT_PTLOCK_CPUS=4

#
# Kernel hacking
#
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_VM=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_FTRACE=y
CONFIG_FUNCTION_TRACER=y
CONFIG_DYNAMIC_FTRACE=y
CONFIG_CODE_PATCHING_SELFTEST=y
# end of Kernel hacking
`;

  it("parses and resolves", () => {
    const c = loadKernelConfig({ configText: excerpt });
    assert.equal(c.bool("DEBUG_VM"), true);
    assert.equal(c.bool("CODE_PATCHING_SELFTEST"), true);
    assert.equal(c.bool("FUNCTION_TRACER"), true);
    assert.equal(c.tristate("OPAL_PRD"), "m");
    assert.equal(c.int("NR_CPUS"), 2048);
    assert.equal(c.pageSize, 65536);
    assert.equal(c.bool("PREEMPT_COUNT"), true); // selected by DEBUG_ATOMIC_SLEEP
  });
});

// Type-level: misspelt or wrongly-typed symbol names do not compile. Never called.
export function typeChecks(c: KernelConfig): void {
  // @ts-expect-error misspelt symbol
  c.bool("DEBUG_VMM");
  // @ts-expect-error SMP is a bool, not an int
  c.int("SMP");
  // @ts-expect-error NR_CPUS is an int, not a bool
  c.bool("NR_CPUS");
}

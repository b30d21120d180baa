/**
 * The Kconfig symbols textpoke models, as the kernel defines them at v6.2
 * (types, prompts, `depends on`, `default`, `select`, `range`), each with the
 * Kconfig file it comes from. Expressions are kept in the kernel's own text
 * (parsed by expr.ts) so error messages quote the real rule.
 *
 * Only what the simulated kernel reads, plus what those symbols need to express
 * their rules, is here. Conditions on symbols outside the model are reduced to
 * their value on a ppc64 Book3S build, each marked SIMPLIFICATION.
 */

export type SymbolType = "bool" | "tristate" | "int" | "hex" | "string";

/** `default <value> [if <cond>]`: value is an expression (bool/tristate) or a literal. */
export interface DefaultDef {
  readonly value: string;
  readonly if?: string;
}

/** `select <symbol> [if <cond>]` */
export interface SelectDef {
  readonly symbol: string;
  readonly if?: string;
}

export interface SymbolDef {
  readonly type: SymbolType;
  /** The one-line prompt. A symbol without one is derived: no .config line can change it. */
  readonly prompt?: string;
  /** `prompt "..." if <cond>`: the prompt is shown (the symbol settable) only when cond holds. */
  readonly promptIf?: string;
  /** Every `depends on` line of the symbol (and of its enclosing `if`/menu) joined with &&. */
  readonly depends?: string;
  readonly defaults?: readonly DefaultDef[];
  readonly selects?: readonly SelectDef[];
  /** `range min max [if cond]` (int symbols). */
  readonly range?: { readonly min: number; readonly max: number; readonly if?: string };
  /** The Kconfig file that defines the symbol. */
  readonly source: string;
}

/**
 * The symbol table. Key order is irrelevant; MENUS gives the .config order.
 */
export const SYMBOLS = {
  // --- init/Kconfig: General setup --------------------------------------------------------
  LOCALVERSION: {
    type: "string",
    prompt: "Local version - append to kernel release",
    source: "init/Kconfig",
  },
  PREEMPT_BUILD: {
    type: "bool",
    selects: [{ symbol: "PREEMPTION" }],
    source: "kernel/Kconfig.preempt",
  },
  PREEMPT_NONE: {
    type: "bool",
    prompt: "No Forced Preemption (Server)",
    source: "kernel/Kconfig.preempt",
  },
  PREEMPT_VOLUNTARY: {
    type: "bool",
    prompt: "Voluntary Kernel Preemption (Desktop)",
    depends: "!ARCH_NO_PREEMPT",
    source: "kernel/Kconfig.preempt",
  },
  PREEMPT: {
    type: "bool",
    prompt: "Preemptible Kernel (Low-Latency Desktop)",
    depends: "!ARCH_NO_PREEMPT",
    selects: [{ symbol: "PREEMPT_BUILD" }],
    source: "kernel/Kconfig.preempt",
  },
  PREEMPT_COUNT: { type: "bool", source: "kernel/Kconfig.preempt" },
  PREEMPTION: {
    type: "bool",
    selects: [{ symbol: "PREEMPT_COUNT" }],
    source: "kernel/Kconfig.preempt",
  },
  EXPERT: {
    type: "bool",
    prompt: "Configure standard kernel features (expert users)",
    // "Unhide debug options, to make the on-by-default options visible"
    selects: [{ symbol: "DEBUG_KERNEL" }],
    source: "init/Kconfig",
  },
  KALLSYMS: {
    type: "bool",
    prompt: "Load all symbols for debugging/ksymoops",
    promptIf: "EXPERT",
    defaults: [{ value: "y" }],
    source: "init/Kconfig",
  },

  // --- arch/Kconfig: General architecture-dependent options -------------------------------
  KPROBES: {
    type: "bool",
    prompt: "Kprobes",
    depends: "MODULES && HAVE_KPROBES",
    // SIMPLIFICATION: `select TASKS_RCU if PREEMPTION` is not modelled.
    selects: [{ symbol: "KALLSYMS" }],
    source: "arch/Kconfig",
  },
  JUMP_LABEL: {
    type: "bool",
    prompt: "Optimize very unlikely/likely branches",
    depends: "HAVE_ARCH_JUMP_LABEL",
    source: "arch/Kconfig",
  },
  HAVE_KPROBES: { type: "bool", source: "arch/Kconfig" },
  HAVE_ARCH_JUMP_LABEL: { type: "bool", source: "arch/Kconfig" },
  ARCH_NO_PREEMPT: { type: "bool", source: "arch/Kconfig" },
  ARCH_OPTIONAL_KERNEL_RWX: { type: "bool", source: "arch/Kconfig" },
  ARCH_OPTIONAL_KERNEL_RWX_DEFAULT: { type: "bool", source: "arch/Kconfig" },
  ARCH_HAS_STRICT_KERNEL_RWX: { type: "bool", source: "arch/Kconfig" },
  STRICT_KERNEL_RWX: {
    type: "bool",
    prompt: "Make kernel text and rodata read-only",
    promptIf: "ARCH_OPTIONAL_KERNEL_RWX",
    depends: "ARCH_HAS_STRICT_KERNEL_RWX",
    defaults: [{ value: "!ARCH_OPTIONAL_KERNEL_RWX || ARCH_OPTIONAL_KERNEL_RWX_DEFAULT" }],
    source: "arch/Kconfig",
  },

  // --- kernel/module/Kconfig ----------------------------------------------------------------
  MODULES: {
    type: "bool",
    prompt: "Enable loadable module support",
    source: "kernel/module/Kconfig",
  },

  // --- arch/powerpc/platforms/Kconfig.cputype: Processor support ----------------------------
  PPC64: {
    type: "bool",
    prompt: "64-bit kernel",
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  PPC_BOOK3S_64: {
    type: "bool",
    prompt: "Server processors",
    // SIMPLIFICATION: only the PPC_64S_HASH_MMU select matters to the model.
    selects: [{ symbol: "PPC_64S_HASH_MMU", if: "!PPC_RADIX_MMU" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  PPC_BOOK3S: {
    type: "bool",
    // SIMPLIFICATION: `depends on PPC_BOOK3S_32 || PPC_BOOK3S_64`; no 32-bit Book3S here.
    depends: "PPC_BOOK3S_64",
    defaults: [{ value: "y" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  PPC_64S_HASH_MMU: {
    type: "bool",
    prompt: "Hash MMU Support",
    depends: "PPC_BOOK3S_64",
    defaults: [{ value: "y" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  PPC_RADIX_MMU: {
    type: "bool",
    prompt: "Radix MMU Support",
    depends: "PPC_BOOK3S_64",
    defaults: [{ value: "y" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  PPC_RADIX_MMU_DEFAULT: {
    type: "bool",
    prompt: "Default to using the Radix MMU when possible",
    promptIf: "PPC_64S_HASH_MMU",
    depends: "PPC_BOOK3S_64 && PPC_RADIX_MMU",
    defaults: [{ value: "y" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  FORCE_SMP: {
    type: "bool",
    selects: [{ symbol: "SMP" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  SMP: {
    type: "bool",
    prompt: "Symmetric multi-processing support",
    promptIf: "!FORCE_SMP",
    // SIMPLIFICATION: `depends on PPC_BOOK3S || PPC_E500 || PPC_47x`; no E500/47x here.
    depends: "PPC_BOOK3S",
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  NR_CPUS: {
    type: "int",
    prompt: "Maximum number of CPUs (2-8192)",
    promptIf: "SMP",
    range: { min: 2, max: 8192, if: "SMP" },
    defaults: [{ value: "1", if: "!SMP" }, { value: "32", if: "PPC64" }, { value: "4" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  CPU_BIG_ENDIAN: {
    type: "bool",
    prompt: "Build big endian kernel",
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  CPU_LITTLE_ENDIAN: {
    type: "bool",
    prompt: "Build little endian kernel",
    depends: "PPC_BOOK3S_64",
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },

  // --- arch/powerpc/Kconfig -------------------------------------------------------------------
  MMU: { type: "bool", defaults: [{ value: "y" }], source: "arch/powerpc/Kconfig" },
  PPC: {
    type: "bool",
    defaults: [{ value: "y" }],
    // Only the selects the model needs, from the alphabetical list under `config PPC`.
    selects: [
      // SIMPLIFICATION: the kernel's condition is `(PPC_BOOK3S || PPC_8xx || 40x) && !HIBERNATION`;
      // HIBERNATION is not modelled (taken as n).
      { symbol: "ARCH_HAS_STRICT_KERNEL_RWX", if: "PPC_BOOK3S" },
      { symbol: "ARCH_OPTIONAL_KERNEL_RWX", if: "ARCH_HAS_STRICT_KERNEL_RWX" },
      { symbol: "ARCH_OPTIONAL_KERNEL_RWX_DEFAULT" },
      { symbol: "DYNAMIC_FTRACE", if: "FUNCTION_TRACER" },
      { symbol: "HAVE_ARCH_JUMP_LABEL" },
      { symbol: "HAVE_DYNAMIC_FTRACE" },
      // SIMPLIFICATION: the kernel's condition is `PPC64 || (PPC32 && CC_IS_GCC)`.
      { symbol: "HAVE_FUNCTION_TRACER", if: "PPC64" },
      { symbol: "HAVE_KPROBES" },
    ],
    source: "arch/powerpc/Kconfig",
  },

  // --- arch/powerpc/platforms/powernv/Kconfig: Platform support -----------------------------
  PPC_POWERNV: {
    type: "bool",
    prompt: "IBM PowerNV (Non-Virtualized) platform support",
    depends: "PPC64 && PPC_BOOK3S",
    // SIMPLIFICATION: only FORCE_SMP of its selects matters to the model.
    selects: [{ symbol: "FORCE_SMP" }],
    defaults: [{ value: "y" }],
    source: "arch/powerpc/platforms/powernv/Kconfig",
  },
  OPAL_PRD: {
    type: "tristate",
    prompt: "OPAL PRD driver",
    depends: "PPC_POWERNV",
    source: "arch/powerpc/platforms/powernv/Kconfig",
  },

  // --- arch/powerpc/Kconfig: Kernel options ---------------------------------------------------
  NUMA: {
    type: "bool",
    prompt: "NUMA Memory Allocation and Scheduler Support",
    depends: "PPC64 && SMP",
    // SIMPLIFICATION: the kernel's condition is `PPC_PSERIES || PPC_POWERNV`; no pSeries here.
    defaults: [{ value: "y", if: "PPC_POWERNV" }],
    source: "arch/powerpc/Kconfig",
  },
  ILLEGAL_POINTER_VALUE: {
    type: "hex",
    defaults: [{ value: "0x5deadbeef0000000", if: "PPC64" }, { value: "0" }],
    source: "arch/powerpc/Kconfig",
  },
  PPC_4K_PAGES: { type: "bool", prompt: "4k page size", source: "arch/powerpc/Kconfig" },
  PPC_64K_PAGES: {
    type: "bool",
    prompt: "64k page size",
    // SIMPLIFICATION: `depends on 44x || PPC_BOOK3S_64`; no 44x here.
    depends: "PPC_BOOK3S_64",
    source: "arch/powerpc/Kconfig",
  },
  PPC_PAGE_SHIFT: {
    type: "int",
    // SIMPLIFICATION: the 16K and 256K cases (44x, 8xx only) are left out.
    defaults: [{ value: "16", if: "PPC_64K_PAGES" }, { value: "12" }],
    source: "arch/powerpc/Kconfig",
  },

  // --- mm/Kconfig -----------------------------------------------------------------------------
  SPLIT_PTLOCK_CPUS: {
    type: "int",
    // SIMPLIFICATION: the kernel also defaults to 999999 for ARM && !CPU_CACHE_VIPT,
    // PARISC && !PA20 and SPARC32, none of which is powerpc.
    defaults: [{ value: "999999", if: "!MMU" }, { value: "4" }],
    source: "mm/Kconfig",
  },
  SPLIT_PTE_PTLOCKS: {
    type: "bool",
    // SIMPLIFICATION: at v6.2 this is not a Kconfig symbol but the macro USE_SPLIT_PTE_PTLOCKS,
    // `(NR_CPUS >= CONFIG_SPLIT_PTLOCK_CPUS)` in include/linux/mm_types_task.h (NR_CPUS is
    // CONFIG_NR_CPUS, include/linux/threads.h). textpoke gives it a derived symbol so the
    // rest of the model can ask for it by name; v6.12 made it the Kconfig symbol of this name.
    defaults: [{ value: "NR_CPUS >= SPLIT_PTLOCK_CPUS" }],
    source: "include/linux/mm_types_task.h",
  },

  // --- lib/Kconfig.debug: Kernel hacking ------------------------------------------------------
  DEBUG_KERNEL: { type: "bool", prompt: "Kernel debugging", source: "lib/Kconfig.debug" },
  DEBUG_ATOMIC_SLEEP: {
    type: "bool",
    prompt: "Sleep inside atomic section checking",
    depends: "DEBUG_KERNEL && !ARCH_NO_PREEMPT",
    selects: [{ symbol: "PREEMPT_COUNT" }],
    source: "lib/Kconfig.debug",
  },
  DEBUG_VM: {
    type: "bool",
    prompt: "Debug VM",
    depends: "DEBUG_KERNEL",
    source: "lib/Kconfig.debug",
  },

  // --- kernel/trace/Kconfig: Tracers ----------------------------------------------------------
  HAVE_FUNCTION_TRACER: { type: "bool", source: "kernel/trace/Kconfig" },
  HAVE_DYNAMIC_FTRACE: { type: "bool", source: "kernel/trace/Kconfig" },
  TRACING_SUPPORT: {
    type: "bool",
    // SIMPLIFICATION: `depends on TRACE_IRQFLAGS_SUPPORT && STACKTRACE_SUPPORT`, both y on powerpc.
    defaults: [{ value: "y" }],
    source: "kernel/trace/Kconfig",
  },
  FTRACE: {
    type: "bool",
    prompt: "Tracers",
    depends: "TRACING_SUPPORT",
    defaults: [{ value: "y", if: "DEBUG_KERNEL" }],
    source: "kernel/trace/Kconfig",
  },
  FUNCTION_TRACER: {
    type: "bool",
    prompt: "Kernel Function Tracer",
    // `depends on HAVE_FUNCTION_TRACER` inside `if FTRACE`.
    depends: "FTRACE && HAVE_FUNCTION_TRACER",
    selects: [{ symbol: "KALLSYMS" }],
    source: "kernel/trace/Kconfig",
  },
  DYNAMIC_FTRACE: {
    type: "bool",
    prompt: "enable/disable function tracing dynamically",
    depends: "FTRACE && FUNCTION_TRACER && HAVE_DYNAMIC_FTRACE",
    defaults: [{ value: "y" }],
    source: "kernel/trace/Kconfig",
  },

  // --- arch/powerpc/Kconfig.debug -------------------------------------------------------------
  CODE_PATCHING_SELFTEST: {
    type: "bool",
    prompt: "Run self-tests of the code-patching code",
    depends: "DEBUG_KERNEL",
    source: "arch/powerpc/Kconfig.debug",
  },
} as const satisfies Record<string, SymbolDef>;

export type SymbolName = keyof typeof SYMBOLS;

/** The names of the symbols of one Kconfig type, e.g. `SymbolOfType<"int">` = "NR_CPUS" | ... */
export type SymbolOfType<T extends SymbolType> = {
  [K in SymbolName]: (typeof SYMBOLS)[K]["type"] extends T ? K : never;
}[SymbolName];

export function isSymbolName(name: string): name is SymbolName {
  return Object.hasOwn(SYMBOLS, name);
}

export function symbolDef(name: SymbolName): SymbolDef {
  return SYMBOLS[name];
}

/** A Kconfig `choice`: exactly one visible member is y. */
export interface ChoiceDef {
  readonly prompt: string;
  readonly members: readonly SymbolName[];
  /** `default <member> [if <cond>]`; without one the first visible member is the default. */
  readonly defaults: readonly { readonly member: SymbolName; readonly if?: string }[];
  readonly depends?: string;
  readonly source: string;
}

export const CHOICES: readonly ChoiceDef[] = [
  {
    prompt: "Preemption Model",
    // SIMPLIFICATION: PREEMPT_RT (`depends on EXPERT && ARCH_SUPPORTS_RT`) is left out:
    // powerpc does not select ARCH_SUPPORTS_RT at v6.2.
    members: ["PREEMPT_NONE", "PREEMPT_VOLUNTARY", "PREEMPT"],
    defaults: [{ member: "PREEMPT_NONE" }],
    source: "kernel/Kconfig.preempt",
  },
  {
    prompt: "Processor Type",
    // SIMPLIFICATION: the Book3E member (PPC_BOOK3E_64, embedded processors) is left out.
    members: ["PPC_BOOK3S_64"],
    defaults: [],
    depends: "PPC64",
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  {
    prompt: "Endianness selection",
    members: ["CPU_BIG_ENDIAN", "CPU_LITTLE_ENDIAN"],
    defaults: [{ member: "CPU_BIG_ENDIAN" }],
    source: "arch/powerpc/platforms/Kconfig.cputype",
  },
  {
    prompt: "Page size",
    // SIMPLIFICATION: PPC_16K_PAGES and PPC_256K_PAGES (44x and 8xx only) are left out.
    members: ["PPC_4K_PAGES", "PPC_64K_PAGES"],
    defaults: [{ member: "PPC_64K_PAGES", if: "PPC_BOOK3S_64" }, { member: "PPC_4K_PAGES" }],
    source: "arch/powerpc/Kconfig",
  },
];

/**
 * The .config order: menus in the order the kernel's top-level Kconfig reaches
 * them (init/Kconfig with arch/Kconfig and kernel/module/Kconfig, then
 * arch/powerpc, mm, lib/Kconfig.debug), symbols within a menu in file order.
 * The writer prints each menu's title as the kernel does.
 */
export const MENUS: readonly { readonly title: string; readonly symbols: readonly SymbolName[] }[] =
  [
    {
      title: "General setup",
      symbols: [
        "LOCALVERSION",
        "PREEMPT_BUILD",
        "PREEMPT_NONE",
        "PREEMPT_VOLUNTARY",
        "PREEMPT",
        "PREEMPT_COUNT",
        "PREEMPTION",
        "EXPERT",
        "KALLSYMS",
      ],
    },
    {
      title: "General architecture-dependent options",
      symbols: [
        "KPROBES",
        "JUMP_LABEL",
        "HAVE_KPROBES",
        "HAVE_ARCH_JUMP_LABEL",
        "ARCH_NO_PREEMPT",
        "ARCH_OPTIONAL_KERNEL_RWX",
        "ARCH_OPTIONAL_KERNEL_RWX_DEFAULT",
        "ARCH_HAS_STRICT_KERNEL_RWX",
        "STRICT_KERNEL_RWX",
      ],
    },
    { title: "Enable loadable module support", symbols: ["MODULES"] },
    {
      title: "Processor support",
      symbols: [
        "PPC64",
        "PPC_BOOK3S_64",
        "PPC_BOOK3S",
        "PPC_64S_HASH_MMU",
        "PPC_RADIX_MMU",
        "PPC_RADIX_MMU_DEFAULT",
        "FORCE_SMP",
        "SMP",
        "NR_CPUS",
        "CPU_BIG_ENDIAN",
        "CPU_LITTLE_ENDIAN",
        "MMU",
        "PPC",
      ],
    },
    { title: "Platform support", symbols: ["PPC_POWERNV", "OPAL_PRD"] },
    {
      title: "Kernel options",
      symbols: ["NUMA", "ILLEGAL_POINTER_VALUE", "PPC_4K_PAGES", "PPC_64K_PAGES", "PPC_PAGE_SHIFT"],
    },
    { title: "Memory Management options", symbols: ["SPLIT_PTLOCK_CPUS", "SPLIT_PTE_PTLOCKS"] },
    {
      title: "Kernel hacking",
      symbols: [
        "DEBUG_KERNEL",
        "DEBUG_ATOMIC_SLEEP",
        "DEBUG_VM",
        "HAVE_FUNCTION_TRACER",
        "HAVE_DYNAMIC_FTRACE",
        "TRACING_SUPPORT",
        "FTRACE",
        "FUNCTION_TRACER",
        "DYNAMIC_FTRACE",
        "CODE_PATCHING_SELFTEST",
      ],
    },
  ];

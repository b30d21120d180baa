/**
 * The resolved configuration as the rest of the simulated kernel reads it:
 * the typed equivalent of `IS_ENABLED(CONFIG_X)` and `CONFIG_X` in C. Symbol
 * names are checked at compile time: `cfg.bool("DEBUG_VMM")` or
 * `cfg.int("SMP")` does not type-check.
 */
import { markShared } from "../../../util/clone.ts";
import { type Value, writeConfig } from "./confdata.ts";
import type { Resolved } from "./resolve.ts";
import type { SymbolName, SymbolOfType } from "./symbols.ts";

export class KernelConfig {
  readonly #resolved: Resolved;

  constructor(resolved: Resolved) {
    this.#resolved = resolved;
    // Fixed for a kernel's life (its caches only remember answers): forks share it.
    markShared(this);
  }

  #get(name: SymbolName): Value {
    const v = this.#resolved.values.get(name);
    if (!v) throw new Error(`CONFIG_${name} has no value in this configuration`);
    return v;
  }

  /** `IS_ENABLED(CONFIG_X)` for a bool symbol. */
  bool(name: SymbolOfType<"bool">): boolean {
    // Small enough for V8 to inline at every call site; the miss path is apart.
    return this.#bools.get(name) ?? this.#resolveBool(name);
  }

  #resolveBool(name: SymbolOfType<"bool">): boolean {
    const v = this.#get(name);
    const answer = "tri" in v && v.tri === 2;
    this.#bools.set(name, answer);
    return answer;
  }

  /**
   * Answers of `bool`: a resolved configuration never changes, and the kernel
   * asks at every patch. (A plain object keyed by name is no faster: its keyed
   * load sees many names and goes megamorphic.)
   */
  readonly #bools = new Map<string, boolean>();
  #pageShift: 12 | 16 | 0 = 0;

  /** A tristate symbol's value: "y" built in, "m" a module, "n" off. */
  tristate(name: SymbolOfType<"tristate">): "y" | "m" | "n" {
    const v = this.#get(name);
    return "tri" in v ? (["n", "m", "y"] as const)[v.tri] : "n";
  }

  int(name: SymbolOfType<"int">): number {
    const v = this.#get(name);
    if (v.type !== "int") throw new Error(`CONFIG_${name} is not an int`);
    return v.int;
  }

  hex(name: SymbolOfType<"hex">): bigint {
    const v = this.#get(name);
    if (v.type !== "hex") throw new Error(`CONFIG_${name} is not hex`);
    return v.hex;
  }

  string(name: SymbolOfType<"string">): string {
    const v = this.#get(name);
    if (v.type !== "string") throw new Error(`CONFIG_${name} is not a string`);
    return v.str;
  }

  /** PAGE_SHIFT (arch/powerpc/include/asm/page.h: CONFIG_PPC_PAGE_SHIFT). */
  get pageShift(): 12 | 16 {
    if (this.#pageShift === 0) this.#pageShift = this.int("PPC_PAGE_SHIFT") === 16 ? 16 : 12;
    return this.#pageShift;
  }

  /** PAGE_SIZE in bytes: 65536 with PPC_64K_PAGES, else 4096. */
  get pageSize(): 4096 | 65536 {
    return this.pageShift === 16 ? 65536 : 4096;
  }

  /**
   * Whether the kernel picks the Radix MMU at boot on a CPU that has it (a
   * POWER9 PowerNV machine) and no `disable_radix` on the command line:
   * PPC_RADIX_MMU, and either PPC_RADIX_MMU_DEFAULT or no hash MMU support
   * (arch/powerpc/mm/init_64.c, `disable_radix` defaults to
   * !PPC_RADIX_MMU_DEFAULT; without PPC_64S_HASH_MMU radix is the only MMU).
   */
  get radixByDefault(): boolean {
    return (
      this.bool("PPC_RADIX_MMU") &&
      (this.bool("PPC_RADIX_MMU_DEFAULT") || !this.bool("PPC_64S_HASH_MMU"))
    );
  }

  /** The configuration as .config text, as conf_write prints it. */
  toText(): string {
    return writeConfig((name) =>
      this.#resolved.written.has(name) ? this.#resolved.values.get(name) : undefined,
    );
  }
}

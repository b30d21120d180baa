/**
 * One simulated kernel instance: the machine it runs on, its configuration,
 * its log and symbol table, and the global state the modelled subsystems
 * keep. The real kernel keeps these as globals; here they hang off one object
 * so several kernels can live in one process (tests, the checker).
 *
 * Subsystems own their slots: the image fills `image` and `kallsyms`, the mm
 * model fills `mm`, boot fills `tasks` and the per-CPU state. A slot is
 * `undefined` until its owner has initialised it.
 */
import type { Machine } from "../../machine/machine.ts";
import type { Choices } from "../../util/choices.ts";
import type { TaskStruct } from "../include/linux/sched.ts";
import type { Kallsyms } from "../kernel/kallsyms.ts";
import type { Printk } from "../kernel/printk.ts";
import type { KernelConfig } from "../scripts/kconfig/kernel-config.ts";

/** Addresses of the kernel image's sections (the linker-script symbols). */
export interface KernelImage {
  /** `_stext`: start of kernel text, 0xc000000000000000 + physical start. */
  readonly stext: bigint;
  /** `_etext`. */
  readonly etext: bigint;
  /** `__init_begin` / `__init_end`: init text and data, freed by free_initmem. */
  readonly initBegin: bigint;
  readonly initEnd: bigint;
  /** `__start_rodata` / `__end_rodata`... and the rest of the data. */
  readonly startRodata: bigint;
  readonly endData: bigint;
  /** `_end`: first byte after the image (bss included). */
  readonly end: bigint;
}

export interface KernelOptions {
  readonly machine: Machine;
  readonly config: KernelConfig;
  readonly printk: Printk;
  readonly kallsyms: Kallsyms;
  /** The run's choices (random numbers, allocation failures). */
  readonly choices: Choices;
  /** `init_utsname()->release`, e.g. "6.2.0-rc1". */
  readonly release: string;
}

export class Kernel {
  readonly machine: Machine;
  readonly config: KernelConfig;
  readonly printk: Printk;
  readonly kallsyms: Kallsyms;
  readonly choices: Choices;
  readonly release: string;
  /** Filled by the image builder. */
  image: KernelImage | undefined;
  /** All tasks by PID. */
  readonly tasks = new Map<number, TaskStruct>();
  /** `init_mem_is_free`, set by free_initmem. */
  initMemIsFree = false;
  /** `system_state` as the kernel tracks it (SYSTEM_BOOTING, SYSTEM_RUNNING, ...). */
  systemState: "booting" | "scheduling" | "running" | "halt" | "panic" = "booting";
  /**
   * PAGE_SHIFT, read from the configuration on first use (0 until then).
   * A TypeScript-private field, not a `#` one: a fork copies it (src/util/clone.ts).
   */
  private cachedPageShift: 0 | 12 | 16 = 0;
  /** Per-subsystem state, indexed by slot number (see `slot`). */
  private readonly slots: unknown[] = [];

  constructor(o: KernelOptions) {
    this.machine = o.machine;
    // The machine runs this kernel: what its interrupt entry works on.
    o.machine.kernel = this;
    this.config = o.config;
    this.printk = o.printk;
    this.kallsyms = o.kallsyms;
    this.choices = o.choices;
    this.release = o.release;
  }

  /**
   * `PAGE_SHIFT` (= config.pageShift): the configuration is fixed for a
   * kernel's life, so page-table code reads it here without a config lookup.
   */
  get pageShift(): 12 | 16 {
    if (this.cachedPageShift === 0) this.cachedPageShift = this.config.pageShift;
    return this.cachedPageShift;
  }

  /**
   * A subsystem's global state (its C globals), created on first use. Each
   * subsystem declares a private key with `defineSlot`, so nothing outside it
   * can reach its state except through its functions.
   */
  slot<T>(key: SlotKey<T>): T {
    let v = this.slots[key.id] as T | undefined;
    if (v === undefined) {
      v = key.init(this);
      this.slots[key.id] = v;
    }
    return v;
  }
}

export interface SlotKey<T> {
  /** Index into every kernel's slot array (a number: array access is cheap on hot paths). */
  readonly id: number;
  readonly name: string;
  readonly init: (k: Kernel) => T;
}

let slotCount = 0;
const slotNames: string[] = [];

/** Declare a subsystem's global state and how it starts out. */
export function defineSlot<T>(name: string, init: (k: Kernel) => T): SlotKey<T> {
  slotNames.push(name);
  return { id: slotCount++, name, init };
}

/** The name slot `id` was declared with (for reports that walk a kernel's state). */
export function slotName(id: number): string | undefined {
  return slotNames[id];
}

/**
 * The choices of the run in progress (the machine's), else the kernel's
 * boot-time ones: an allocation failure or a random number asked for while a
 * checker drives the machine is that checker's decision, recorded in its
 * schedule.
 */
export function runChoices(k: Kernel): Choices {
  return k.machine.choices ?? k.choices;
}

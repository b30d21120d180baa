/**
 * What a task yields: the kind of shared-state operation it is about to
 * perform (architecture.md §3). A small integer, so a step allocates nothing;
 * details (address, size, lock) sit in the CPU's preallocated `pending` record,
 * filled just before the yield, so tracers and checkers can see them.
 */
export const OpKind = {
  /** A task's first step (from its start to its first real operation). */
  START: 0,
  LOAD: 1,
  STORE: 2,
  IFETCH: 3,
  PTE_READ: 4,
  PTE_WRITE: 5,
  LOCK: 6,
  UNLOCK: 7,
  TLBIEL: 8,
  TLBIE: 9,
  ICBI: 10,
  SYNC: 11,
  PTESYNC: 12,
  ISYNC: 13,
  /** An address-space switch (PIDR write). */
  SWITCH_MM: 14,
  /** A point where interrupts become enabled and may be delivered. */
  IRQ_ENABLE: 15,
  ALLOC: 16,
  /** Blocked until `cpu.waitUntil()` holds (spinlock held elsewhere, ...). */
  WAIT: 17,
  /** Any other shared-state step a higher layer wants to make visible. */
  OTHER: 18,
  /** A guest instruction step of the interpreter. */
  INSN: 19,
  /**
   * A data-cache block store (`dcbst`): memory is coherent in the model (no
   * data cache), so it touches no shared state — a step only for ordering.
   */
  DCBST: 20,
} as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

export const OP_NAMES: readonly string[] = Object.keys(OpKind).map((k) => k.toLowerCase());

/** Details of the operation a CPU is about to perform (one per CPU, reused). */
export class PendingOp {
  kind: OpKind = 0 as OpKind;
  size = 0;
  /** Any object the operation concerns (a lock, an mm ...), for checkers. */
  object: unknown = null;
  /** The address as a bigint, or null while only `pa` (a real address) is set. */
  private big: bigint | null = 0n;
  private pa = 0;

  /** Effective or real address involved (0n when none). */
  get ea(): bigint {
    let b = this.big;
    if (b === null) {
      b = BigInt(this.pa);
      this.big = b;
    }
    return b;
  }
  set ea(v: bigint) {
    this.big = v;
  }

  /**
   * Set the address to a real address held as a number (a page-table entry's):
   * the bigint `ea` is made only if someone reads it, which few steps need.
   */
  setRealAddress(pa: number): void {
    this.big = null;
    this.pa = pa;
  }
}

/**
 * A task: a generator that yields an `OpKind` exactly before each shared-state
 * operation; code between yields is atomic.
 */
export type Task = Generator<OpKind, void, void>;
/** A sub-operation a task calls with `yield*`, returning a value. */
export type TaskOp<T> = Generator<OpKind, T, void>;

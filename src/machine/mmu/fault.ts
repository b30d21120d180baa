/**
 * Storage accesses and the faults translation reports. The MMU never raises an
 * interrupt itself: it returns a `Fault`, and the CPU layer (exceptions.ts)
 * turns it into SRR0/SRR1/DAR/DSISR and a vector.
 */

/** Access types, numbered as QEMU's `rwx` (0 load, 1 store, 2 instruction fetch). */
export const Access = { LOAD: 0, STORE: 1, IFETCH: 2 } as const;
export type Access = (typeof Access)[keyof typeof Access];

/** Which interrupt a fault becomes (isa.md §15). */
export const FaultKind = {
  /** Data storage interrupt (0x300). */
  DSI: "dsi",
  /** Data segment interrupt (0x380): quadrant or EA not translatable. */
  DSEG: "dseg",
  /** Instruction storage interrupt (0x400). */
  ISI: "isi",
  /** Instruction segment interrupt (0x480). */
  ISEG: "iseg",
  /** Machine check (0x200): real address outside memory. */
  MCE: "mce",
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** A translation failure, with the architected values the interrupt will carry. */
export interface Fault {
  readonly kind: FaultKind;
  /** The effective address that failed (becomes DAR for data faults). */
  readonly ea: bigint;
  readonly access: Access;
  /** DSISR for a DSI or a machine-checked load; 0 otherwise. */
  readonly dsisr: number;
  /** Interrupt-specific SRR1 bits (ISI or machine-check cause); 0 otherwise. */
  readonly srr1: number;
}

export function isFault(x: unknown): x is Fault {
  return typeof x === "object" && x !== null && "kind" in x && "dsisr" in x;
}

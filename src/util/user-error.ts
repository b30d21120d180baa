/**
 * Bad input from the user (a malformed word, address, config, ELF or scenario).
 * The CLI prints `textpoke: error: <message>` and exits 2; anything else thrown
 * is a bug in the simulator itself.
 */
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Exit statuses shared by every command. */
export const EXIT = {
  OK: 0,
  /** The simulated kernel failed (panic, Oops) or a checked invariant was violated. */
  FAILED: 1,
  /** Bad input. */
  USAGE: 2,
  /** An exploration or run bound was hit before a verdict. */
  BOUND: 3,
} as const;

/**
 * An invariant of the checker (docs/invariants.md): what must hold in every
 * execution of a correct code-patching variant, checked where it can change
 * — after a step that touches what it is about, when a patch starts or
 * ends, when a CPU executes a patched word, at the end of an execution.
 */
import type { ExecRecord, ExecState, PatchRecord, StepRecord } from "../execution.ts";

export interface Invariant {
  /** Its name on the command line and in reports (`lock-discipline`). */
  readonly name: string;
  /** One line: what it says. */
  readonly summary: string;
  start?(x: ExecState): void;
  step?(x: ExecState, s: StepRecord): void;
  patchStart?(x: ExecState, p: PatchRecord): void;
  patchEnd?(x: ExecState, p: PatchRecord): void;
  executed?(x: ExecState, e: ExecRecord): void;
  actionFailed?(x: ExecState, cpu: number, what: string, ret: number): void;
  /** After an execution that finished (every task done). */
  end?(x: ExecState): void;
  /**
   * The execution stops here without a violation — finished, cut as covered
   * by an earlier one (a sleep set), or at a bound: report what was found
   * and held back (a finding kept for a clearer witness later on).
   */
  flush?(x: ExecState): void;
}

/**
 * Every nondeterministic decision of a run goes through one `Choices`
 * implementation: which runnable CPU steps next, whether a pending interrupt is
 * delivered now, whether an allocation fails, and the kernel's random numbers.
 * A run records the answers as a plain array (the schedule); replaying that
 * array reproduces the run exactly. The machine's strategies (default,
 * random, replay: src/machine/choices) and the checker's (dpor, random, pct:
 * src/explore/strategies) implement this interface.
 */
export interface Choices {
  /**
   * Which CPU steps next. `runnable` is non-empty and sorted ascending; the
   * answer must be one of its elements, or -1 to end the run now (a
   * checker's execution that is redundant: Machine.run returns "aborted").
   */
  pickCpu(runnable: readonly number[]): number;
  /** Deliver the pending interrupt `kind` to `cpu` (which has MSR[EE]=1) at this step? */
  deliverInterrupt(cpu: number, kind: string): boolean;
  /** Make this allocation fail? `site` names the allocator (e.g. "alloc_pages"). */
  failAllocation(site: string): boolean;
  /** A random integer in [0, bound): the kernel's get_random_* and similar. */
  random(bound: number): number;
}

/**
 * How a task's code is resumed: a trampoline over an explicit stack of
 * frames per CPU.
 *
 * Model code is written as generator functions calling each other with
 * `yield*`. Resumed through that chain, a step costs one generator resume
 * per level between the task and the operation it stops at, and the model's
 * call chains are ten or more deep. Instead, a call object that the caller's
 * `yield*` drives (the kernel model's `kfunc` calls) runs its callee in
 * place as long as the callee takes no step boundary — a call that finishes
 * inside one step costs what a plain generator call costs — and, at the
 * callee's first boundary, detaches: it hands itself to the trampoline and
 * answers its caller with DETACHED instead of the operation. That answer
 * travels up the chain like any yield, once, and every call object it
 * passes detaches too; when it reaches the trampoline, the detached calls
 * go on the CPU's frame stack (`Cpu.frames`), innermost last. From then on each step
 * resumes only the innermost frame; when a frame returns (or throws) the
 * frame below is resumed in the same step, and its `yield*` collects the
 * result from the finished call object.
 *
 * Nothing is unwound when a run stops: a stopped task's frames stay on the
 * stack, its generators suspended where they were, and the kernel model's
 * shadow call stacks with them — what a counterexample prints. A later
 * `run` goes on from there.
 *
 * Frames are resumed only by `Trampoline.resume`, inside a step; outside it
 * (code driving a generator by hand) call objects never detach and behave
 * as plain `yield*` delegation.
 */
import type { Cpu } from "./cpu.ts";
import type { OpKind, Task } from "./ops.ts";

/**
 * What a call object yields to its caller when it (and possibly calls it
 * made) went onto the frame stack: never an operation kind, never seen by
 * step hooks or Choices.
 */
export const DETACHED = -2 as OpKind;

/** The iterator result carrying DETACHED (one object: nothing keeps it). */
const DETACHED_RESULT: IteratorYieldResult<OpKind> = { done: false, value: DETACHED };

/** Give `cpu` a task on top of its task stack (a spawned task, an interrupt handler). */
export function pushTask(cpu: Cpu, task: Task): void {
  cpu.tasks.push(task);
  cpu.frames.push(task);
}

/**
 * The trampoline of one machine: resumes a CPU's innermost frame and takes
 * in the frames that detach meanwhile. Plain data (a flag, a buffer empty
 * between steps, a number), so a copy of the machine copies it.
 */
export class Trampoline {
  /**
   * False: call objects never detach, every task runs as one chain of
   * nested generators resumed from its outermost frame — the same steps,
   * slower; what test/machine/fast-path.test.ts compares against.
   */
  flatten = true;
  /** A frame is being resumed (and `flatten`): call objects that reach a step boundary detach. */
  driving = false;
  /** Call objects detached in the current resume, innermost first (empty between steps). */
  private readonly detached: Task[] = [];
  private nDetached = 0;
  /** The operation the innermost detached call stopped at. */
  private op = 0 as OpKind;

  /**
   * Called by a call object whose callee yielded `yielded` (an operation or
   * DETACHED) while a frame is being resumed: note it as a frame above the
   * ones detached before it, and give its caller DETACHED to yield.
   */
  detach(frame: Task, yielded: OpKind): IteratorYieldResult<OpKind> {
    if (yielded !== DETACHED) this.op = yielded;
    this.detached[this.nDetached++] = frame;
    return DETACHED_RESULT;
  }

  /**
   * Resume `cpu`'s innermost frame until its task reaches a step boundary
   * (returns the operation it stopped before) or its task finishes (pops the
   * task, returns -1). A frame that returns or throws hands its result to
   * the frame below, in the same step; an exception leaving a task's
   * outermost frame leaves the machine.
   */
  resume(cpu: Cpu): OpKind | -1 {
    const frames = cpu.frames;
    const tasks = cpu.tasks;
    const bottom = tasks[tasks.length - 1];
    if (bottom === undefined) throw new Error(`CPU ${cpu.id} has no task`);
    let frame = frames[frames.length - 1]!;
    let thrown: unknown = null;
    let throwing = false;
    this.driving = this.flatten;
    try {
      for (;;) {
        let r: IteratorResult<OpKind, void>;
        try {
          r = throwing ? frame.throw(thrown) : frame.next();
        } catch (e) {
          if (frame === bottom) throw e;
          frames.pop();
          frame = frames[frames.length - 1]!;
          thrown = e;
          throwing = true;
          continue;
        }
        if (r.done === true) {
          frames.pop();
          if (frame === bottom) {
            tasks.pop();
            return -1;
          }
          frame = frames[frames.length - 1]!;
          throwing = false;
          thrown = null;
          continue;
        }
        if (r.value !== DETACHED) return r.value;
        return this.takeDetached(frames, frame);
      }
    } finally {
      this.driving = false;
    }
  }

  /**
   * Push the frames detached in this resume, outermost first, above `frame`,
   * the one resumed (which notes itself too when it is a task's call object
   * that had not started: it is on the stack already).
   */
  private takeDetached(frames: Task[], frame: Task): OpKind {
    const d = this.detached;
    let i = this.nDetached - 1;
    if (d[i] === frame) i--;
    for (; i >= 0; i--) frames.push(d[i]!);
    for (let j = 0; j < this.nDetached; j++) d[j] = null as unknown as Task;
    this.nDetached = 0;
    return this.op;
  }
}

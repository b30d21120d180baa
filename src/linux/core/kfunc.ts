/**
 * Modelled kernel functions and their call stacks. `kfunc` wraps a generator
 * function so that every call pushes a frame on `current`'s shadow call
 * stack — what the oops' call trace and the trace events show — unless the
 * function is marked inline: an inlined callee shares its caller's frame, as
 * compiled kernel code does (the seed's trace shows patch_instruction calling
 * assert_pte_locked directly because everything between is inlined).
 *
 * Every non-inline kfunc is registered so the kernel image can give it an
 * address and size in kallsyms.
 */
import type { OpKind, Task } from "../../machine/ops.ts";
import { markShared } from "../../util/clone.ts";
import type { SymbolOfType } from "../scripts/kconfig/symbols.ts";
import type { Ctx, KGen } from "./ctx.ts";

export interface KFuncInfo {
  /** The kernel's name (`patch_instruction`). */
  readonly name: string;
  /** Source file, relative to the kernel tree (`arch/powerpc/lib/code-patching.c`). */
  readonly file: string;
  /** Inlined into its callers: no frame, no symbol. */
  readonly inline: boolean;
  /** Size of the function's text in bytes (a plausible size for the image). */
  readonly size: number;
  /** `__init` functions live in init text, freed after boot. */
  readonly init: boolean;
  /** Stack frame size in bytes when known from a real build (else a stable synthetic one). */
  readonly frameSize?: number;
  /** Built only with this CONFIG_ symbol (`obj-$(CONFIG_X)`): absent from other images. */
  readonly config?: SymbolOfType<"bool">;
}

/** A frame of the shadow call stack. */
export interface Frame {
  readonly fn: KFuncInfo;
  /** The frame's size in bytes once stacktrace.ts has worked it out (-1 before). */
  bytes: number;
}

const REGISTRY = new Map<string, KFuncInfo>();

/** Every registered (non-inline) kernel function, in registration order. */
export function registeredFunctions(): readonly KFuncInfo[] {
  return [...REGISTRY.values()];
}

export interface KFuncOptions {
  readonly name: string;
  readonly file: string;
  readonly inline?: boolean;
  /** Text size in bytes; default 0x100. A multiple of 4. */
  readonly size?: number;
  readonly init?: boolean;
  readonly frameSize?: number;
  /** Built only with this CONFIG_ symbol (without the prefix, e.g. "FUNCTION_TRACER"). */
  readonly config?: SymbolOfType<"bool">;
}

/** Declare a modelled kernel function (see the file comment). */
export function kfunc<A extends unknown[], R>(
  opts: KFuncOptions,
  body: (c: Ctx, ...args: A) => KGen<R>,
): (c: Ctx, ...args: A) => KGen<R> {
  const info: KFuncInfo = {
    name: opts.name,
    file: opts.file,
    inline: opts.inline ?? false,
    size: opts.size ?? 0x100,
    init: opts.init ?? false,
    ...(opts.frameSize !== undefined ? { frameSize: opts.frameSize } : {}),
    ...(opts.config !== undefined ? { config: opts.config } : {}),
  };
  if (info.size % 4 !== 0 || info.size < 16)
    throw new Error(`kfunc ${info.name}: bad size ${info.size}`);
  if (info.inline) return body;
  const known = REGISTRY.get(info.name);
  if (known !== undefined && known.file !== info.file) {
    throw new Error(`kfunc ${info.name} declared in both ${known.file} and ${info.file}`);
  }
  REGISTRY.set(info.name, info);
  // One frame object per function, pushed by every call: kernels and their forks share it.
  const frame: Frame = markShared({ fn: info, bytes: -1 });
  const call = (c: Ctx, ...args: A): KGen<R> =>
    new FramedCall(c, frame, body, args) as unknown as KGen<R>;
  return call;
}

/** A FramedCall's state. */
const NEW = 0;
/** Started; resumed by its caller's `yield*`. */
const IN_CALLER = 1;
/** On its CPU's frame stack (src/machine/frames.ts): resumed by the machine. */
const ON_FRAMES = 2;
/** Returned, threw, or closed. */
const FINISHED = 3;

/**
 * A call of a non-inline kfunc as the caller's `yield*` drives it: the frame
 * is pushed when the body starts and popped when it returns, throws or is
 * closed — what a wrapping generator with try/finally does, without a second
 * generator to resume at every step of the body. While the machine resumes
 * a frame, a call whose body reaches a step boundary detaches onto the
 * CPU's frame stack (src/machine/frames.ts): later steps resume its body
 * directly, not through its callers; when the body returns, the machine
 * resumes the caller, whose `yield*` then gets the result here.
 */
class FramedCall<A extends unknown[], R> {
  private readonly c: Ctx;
  private readonly frame: Frame;
  private readonly fn: (c: Ctx, ...args: A) => KGen<R>;
  private readonly args: A;
  private body: KGen<R> | null = null;
  private state = NEW;
  /** The body's final result, for the caller's `yield*` once the machine resumed it (ON_FRAMES). */
  private result: IteratorReturnResult<R> | null = null;

  constructor(c: Ctx, frame: Frame, fn: (c: Ctx, ...args: A) => KGen<R>, args: A) {
    this.c = c;
    this.frame = frame;
    this.fn = fn;
    this.args = args;
  }

  next(): IteratorResult<OpKind, R> {
    const c = this.c;
    let body = this.body;
    c.cpu.kernelTask = c.current;
    if (body === null) {
      if (this.state === FINISHED) return this.result!;
      body = this.fn(c, ...this.args);
      this.body = body;
      this.state = IN_CALLER;
      c.current.stack.push(this.frame);
    }
    let r: IteratorResult<OpKind, R>;
    try {
      r = body.next();
    } catch (e) {
      this.finish();
      throw e;
    }
    if (r.done === true) {
      this.finish();
      this.result = r;
      return r;
    }
    return this.state === IN_CALLER ? this.yielded(r) : r;
  }

  /**
   * The body yielded while resumed by its caller: pass that on, or, while
   * the machine resumes a frame, detach onto the frame stack.
   */
  private yielded(r: IteratorYieldResult<OpKind>): IteratorResult<OpKind, R> {
    const t = this.c.k.machine.trampoline;
    if (!t.driving) return r;
    this.state = ON_FRAMES;
    return t.detach(this as unknown as Task, r.value);
  }

  return(value: R): IteratorResult<OpKind, R> {
    if (this.body === null) {
      this.state = FINISHED;
      return { done: true, value };
    }
    return this.settle(() => this.body!.return(value));
  }

  throw(e: unknown): IteratorResult<OpKind, R> {
    if (this.body === null) {
      // Unstarted, or finished: as its caller's `yield*` sees it, a throw passes through.
      this.state = FINISHED;
      throw e;
    }
    return this.settle(() => this.body!.throw(e));
  }

  /** The body is done: pop its frame. */
  private finish(): void {
    this.body = null;
    this.state = FINISHED;
    this.c.current.stack.pop();
  }

  /** Resume the body out of band; the frame goes when the body is done. */
  private settle(resume: () => IteratorResult<OpKind, R>): IteratorResult<OpKind, R> {
    let r: IteratorResult<OpKind, R>;
    try {
      r = resume();
    } catch (e) {
      this.finish();
      throw e;
    }
    if (r.done === true) {
      this.finish();
      this.result = r;
      return r;
    }
    return this.state === IN_CALLER ? this.yielded(r) : r;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/**
 * The offset of the return address inside `caller` for its call to `callee`:
 * deterministic, word aligned, inside the caller, and after its prologue.
 * SIMPLIFICATION: the model does not compile the modelled functions, so call
 * sites get stable synthetic offsets (FNV-1a of the pair).
 */
export function callSiteOffset(caller: KFuncInfo, callee: string): number {
  return siteOffset(caller, `call ${callee}`);
}

/** A stable synthetic offset inside `fn` for a named site (a trap, a call). */
export function siteOffset(fn: KFuncInfo, site: string): number {
  let h = 0x811c9dc5;
  const s = `${fn.name}>${site}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  const words = fn.size / 4;
  // Skip the first 4 words (prologue) and the last word (blr).
  return 4 * (4 + (h % Math.max(1, words - 5)));
}

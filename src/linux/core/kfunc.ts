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
import type { OpKind } from "../../machine/ops.ts";
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
}

/** A frame of the shadow call stack. */
export interface Frame {
  readonly fn: KFuncInfo;
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
  };
  if (info.size % 4 !== 0 || info.size < 16)
    throw new Error(`kfunc ${info.name}: bad size ${info.size}`);
  if (info.inline) return body;
  const known = REGISTRY.get(info.name);
  if (known !== undefined && known.file !== info.file) {
    throw new Error(`kfunc ${info.name} declared in both ${known.file} and ${info.file}`);
  }
  REGISTRY.set(info.name, info);
  const frame: Frame = { fn: info };
  return (c: Ctx, ...args: A): KGen<R> =>
    new FramedCall(c.current.stack, frame, body(c, ...args)) as unknown as KGen<R>;
}

/**
 * A call of a non-inline kfunc as the caller's `yield*` drives it: the frame
 * is pushed when the body starts and popped when it returns, throws or is
 * closed — what a wrapping generator with try/finally does, without a second
 * generator to resume at every step of the body.
 */
class FramedCall<R> {
  private readonly stack: Frame[];
  private readonly frame: Frame;
  private readonly body: KGen<R>;
  private started = false;

  constructor(stack: Frame[], frame: Frame, body: KGen<R>) {
    this.stack = stack;
    this.frame = frame;
    this.body = body;
  }

  next(): IteratorResult<OpKind, R> {
    if (!this.started) {
      this.started = true;
      this.stack.push(this.frame);
    }
    let r: IteratorResult<OpKind, R>;
    try {
      r = this.body.next();
    } catch (e) {
      this.stack.pop();
      throw e;
    }
    if (r.done === true) this.stack.pop();
    return r;
  }

  return(value: R): IteratorResult<OpKind, R> {
    if (!this.started) {
      this.started = true;
      return this.body.return(value);
    }
    return this.settle(() => this.body.return(value));
  }

  throw(e: unknown): IteratorResult<OpKind, R> {
    if (!this.started) {
      this.started = true;
      return this.body.throw(e);
    }
    return this.settle(() => this.body.throw(e));
  }

  /** Resume the body out of band; the frame goes when the body is done. */
  private settle(resume: () => IteratorResult<OpKind, R>): IteratorResult<OpKind, R> {
    let r: IteratorResult<OpKind, R>;
    try {
      r = resume();
    } catch (e) {
      this.stack.pop();
      throw e;
    }
    if (r.done === true) this.stack.pop();
    return r;
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

/**
 * A structural deep copy of an object graph, for forking a simulated system:
 * an interleaving checker starts each execution from a copy of one booted
 * machine and kernel instead of booting again.
 *
 * What is copied: plain objects and class instances (a new object with the
 * same prototype and the same own properties, accessors and non-enumerable
 * ones included, by descriptor), arrays, Maps, Sets, ArrayBuffers, typed
 * arrays and DataViews (views on one buffer stay views on one copied buffer),
 * Dates and RegExps. Shared references and cycles are kept: every object is
 * copied once. Primitives (bigints included) are values.
 *
 * What is not copied:
 * - Functions are shared by reference: code is immutable, so this is right
 *   only for functions that capture nothing mutable. The audit mode
 *   (`auditClone`) lists the path of every function value met (shared
 *   objects' included), for reviewing exactly that.
 * - Objects marked with `markShared` (immutable after they are built: symbol
 *   tables, configurations, opcode tables) are shared by reference.
 * - An object whose prototype chain has a `[FORK]` method is copied by that
 *   method (copy-on-write memory, tables shared until written).
 *
 * What cannot be copied throws an `UncloneableError` naming the path from the
 * root: WeakMap, WeakSet, WeakRef, FinalizationRegistry, Promise,
 * SharedArrayBuffer, generator objects (a running task), built-in iterators,
 * boxed primitives.
 *
 * Speed: copying an object costs one `Object.keys` and a generated
 * per-shape function; objects of one prototype with the same own keys in the
 * same order are taken to have the same property attributes (the first one is
 * inspected by descriptor; one that is not extensible, or that the check
 * finds unusual, is copied by descriptor). The audit mode checks that
 * assumption on every object and reports where it fails.
 * SIMPLIFICATION: own properties other than elements on plain arrays, and own
 * properties of plain Maps, Sets, typed arrays and DataViews, are not copied
 * (the audit mode reports them).
 */

/** The method by which an object (its class, on the prototype) copies itself for a fork. */
export const FORK: unique symbol = Symbol("fork");

/** An object with its own copying (see `FORK`). */
export interface Forkable {
  /**
   * Return the copy. Call `c.remember(this, copy)` before copying children
   * that may lead back here; copy children with `c.clone`. It may turn what
   * `this` holds copy-on-write, but must not change what it reads as (it
   * may be called twice when an error path is traced).
   */
  [FORK](c: Cloner): unknown;
}

const SHARED = new WeakSet<object>();

/** Mark `o` as shared by every copy (it must not change after this). Returns `o`. */
export function markShared<T extends object>(o: T): T {
  SHARED.add(o);
  return o;
}

/** Was `o` marked with `markShared`? */
export function isShared(o: unknown): boolean {
  return typeof o === "object" && o !== null && SHARED.has(o);
}

/** Thrown when the graph holds something that cannot be copied. */
export class UncloneableError extends Error {
  /** Where it sits, from the root (`k.machine.cpus[0].tasks[0]`). */
  readonly path: string;
  constructor(path: string, what: string) {
    super(`cannot copy ${what} at ${path}`);
    this.name = "UncloneableError";
    this.path = path;
  }
}

/** A function value met by an audit. */
export interface FunctionSite {
  readonly path: string;
  readonly fn: (...args: never[]) => unknown;
}

/** What an audit found. */
export interface CloneAudit {
  /** Every function value reachable (not through shared objects or FORK copies of their own). */
  readonly functions: readonly FunctionSite[];
  /** Objects whose own properties the fast copy would have missed (copied by descriptor instead). */
  readonly irregular: readonly string[];
}

export interface CloneOptions {
  /** The root's name in paths (default "root"). */
  readonly rootName?: string;
  /** Record function sites and check every object's properties (slow). */
  readonly audit?: boolean;
}

// ------------------------------------------------------------ classification

const OBJECT = 0;
const ARRAY = 1;
const MAP = 2;
const SET = 3;
const BUFFER = 4;
const TYPED = 5;
const DATAVIEW = 6;
const DATE = 7;
const REGEXP = 8;
const HOOK = 9;
const BAD = 10;

/** A per-shape copy of the own properties of an object: `(from, to, cloner)`. */
type ShapeFn = (v: object, o: object, c: Cloner) => void;

interface Shape {
  readonly keys: readonly string[];
  /** null: objects of this shape are copied by descriptor. */
  readonly fn: ShapeFn | null;
  next: Shape | null;
}

interface ProtoInfo {
  readonly kind: number;
  /** The built-in prototype the kind comes from (Map.prototype ...). */
  readonly builtin: object | null;
  /** For BAD: what it is. */
  readonly what: string;
  /** For OBJECT: the shapes seen so far, by first key ("" for none). */
  readonly shapes: Map<string, Shape>;
  shapeCount: number;
}

const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const GeneratorProto = Object.getPrototypeOf(function* () {}).prototype as object;
const AsyncGeneratorProto = Object.getPrototypeOf(async function* () {}).prototype as object;

const BUILTIN = new Map<object, [number, string]>([
  [Object.prototype, [OBJECT, "object"]],
  [Array.prototype, [ARRAY, "array"]],
  [Map.prototype, [MAP, "Map"]],
  [Set.prototype, [SET, "Set"]],
  [ArrayBuffer.prototype, [BUFFER, "ArrayBuffer"]],
  [TypedArrayProto, [TYPED, "typed array"]],
  [DataView.prototype, [DATAVIEW, "DataView"]],
  [Date.prototype, [DATE, "Date"]],
  [RegExp.prototype, [REGEXP, "RegExp"]],
  [WeakMap.prototype, [BAD, "a WeakMap"]],
  [WeakSet.prototype, [BAD, "a WeakSet"]],
  [WeakRef.prototype, [BAD, "a WeakRef"]],
  [FinalizationRegistry.prototype, [BAD, "a FinalizationRegistry"]],
  [Promise.prototype, [BAD, "a Promise"]],
  [SharedArrayBuffer.prototype, [BAD, "a SharedArrayBuffer"]],
  [GeneratorProto, [BAD, "a generator object (a suspended task)"]],
  [AsyncGeneratorProto, [BAD, "an async generator object"]],
  [Object.getPrototypeOf([][Symbol.iterator]()), [BAD, "an array iterator"]],
  [Object.getPrototypeOf(new Map()[Symbol.iterator]()), [BAD, "a Map iterator"]],
  [Object.getPrototypeOf(new Set()[Symbol.iterator]()), [BAD, "a Set iterator"]],
  [Object.getPrototypeOf(""[Symbol.iterator]()), [BAD, "a string iterator"]],
  [Object.getPrototypeOf(/x/[Symbol.matchAll]("")), [BAD, "a RegExp string iterator"]],
  [Number.prototype, [BAD, "a boxed number"]],
  [String.prototype, [BAD, "a boxed string"]],
  [Boolean.prototype, [BAD, "a boxed boolean"]],
  [Symbol.prototype, [BAD, "a boxed symbol"]],
  [BigInt.prototype, [BAD, "a boxed bigint"]],
]);

/** Prototype (or null) → how its objects are copied. Prototypes are few and live for ever. */
const PROTOS = new Map<object | null, ProtoInfo>();

function classify(proto: object | null): ProtoInfo {
  let kind = OBJECT;
  let builtin: object | null = null;
  let what = "object";
  if (proto !== null && typeof (proto as Partial<Forkable>)[FORK] === "function") kind = HOOK;
  else {
    let below: object | null = null;
    for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
      const b = BUILTIN.get(p);
      if (b !== undefined) {
        [kind, what] = b;
        // A typed array's own built-in prototype is the one below %TypedArray%.prototype.
        builtin = kind === TYPED ? below : p;
        break;
      }
      below = p;
    }
  }
  const info: ProtoInfo = { kind, builtin, what, shapes: new Map(), shapeCount: 0 };
  PROTOS.set(proto, info);
  return info;
}

/** At most this many shapes per prototype get a generated copy function (plain objects have many). */
const MAX_SHAPES = 4096;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Are all own properties of `v` the enumerable, writable, configurable data properties `keys`? */
function plainProperties(v: object, keys: readonly string[]): boolean {
  if (!Object.isExtensible(v)) return false;
  if (Reflect.ownKeys(v).length !== keys.length) return false;
  for (const key of keys) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if (!("value" in d) || d.writable !== true || d.enumerable !== true || d.configurable !== true)
      return false;
  }
  return true;
}

/** The copy function of one shape: one assignment per key, in order (so copies share hidden classes). */
function shapeFn(keys: readonly string[]): ShapeFn {
  let body = "let x;";
  for (const key of keys) {
    const k = JSON.stringify(key);
    body += `x=v[${k}];o[${k}]=typeof x==="object"?(x===null?x:c.object(x,${k})):typeof x==="function"?c.fn(x,${k}):x;`;
  }
  return new Function(`return function copyShape(v,o,c){${body}}`)() as ShapeFn;
}

function shapeOf(info: ProtoInfo, v: object, keys: readonly string[]): Shape {
  const first = keys.length === 0 ? "" : keys[0]!;
  const head = info.shapes.get(first) ?? null;
  for (let s = head; s !== null; s = s.next) if (sameKeys(s.keys, keys)) return s;
  const fn = info.shapeCount < MAX_SHAPES && plainProperties(v, keys) ? shapeFn(keys) : null;
  const shape: Shape = { keys: keys.slice(), fn, next: head };
  if (fn !== null) {
    info.shapes.set(first, shape);
    info.shapeCount++;
  }
  return shape;
}

// -------------------------------------------------------------------- paths

/** A step of the path to the value being copied (kept only when tracing). */
export type Step =
  | PropertyKey
  | { readonly mapKey: unknown }
  | { readonly mapValue: unknown }
  | { readonly setElement: number };

function shortKey(k: unknown): string {
  if (typeof k === "string") return JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k);
  if (typeof k === "bigint") return `${k}n`;
  if (typeof k === "object" && k !== null) return `<${k.constructor?.name ?? "object"}>`;
  return String(k);
}

function renderPath(root: string, steps: readonly Step[]): string {
  let out = root;
  for (const s of steps) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string")
      out += /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${shortKey(s)}]`;
    else if (typeof s === "symbol") out += `[${s.toString()}]`;
    else if ("mapKey" in s) out += `.<key ${shortKey(s.mapKey)}>`;
    else if ("mapValue" in s) out += `.get(${shortKey(s.mapValue)})`;
    else out += `.<element ${s.setElement}>`;
  }
  return out;
}

/** Thrown internally by a fast pass; the traced pass that follows names the path. */
class Unknown {
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }
}

// ------------------------------------------------------------------- cloner

/**
 * One copy of one graph: the map from originals to their copies, so shared
 * references and cycles come out the same. FORK methods receive it.
 */
export class Cloner {
  private readonly memo = new Map<object, unknown>();
  /** Keep the path (to name where an error or a function is): audits and error reports. */
  private readonly tracing: boolean;
  private readonly auditing: boolean;
  private readonly steps: Step[] = [];
  private readonly rootName: string;
  private readonly functionSites: FunctionSite[] = [];
  private readonly irregularSites: string[] = [];

  constructor(opts: CloneOptions & { readonly trace?: boolean } = {}) {
    this.auditing = opts.audit === true;
    this.tracing = this.auditing || opts.trace === true;
    this.rootName = opts.rootName ?? "root";
  }

  /** What an audit found so far. */
  get audit(): CloneAudit {
    return { functions: this.functionSites, irregular: this.irregularSites };
  }

  /** Objects copied so far (after `run`: the size of the copy). */
  get copied(): number {
    return this.memo.size;
  }

  /** The path of the value being copied (only kept while auditing or tracing an error). */
  get path(): string {
    return renderPath(this.rootName, this.steps);
  }

  /** Copy `v`; `key` names it in paths (a property name or index of its holder). */
  clone<T>(v: T, key?: PropertyKey): T {
    if (typeof v === "object") return v === null ? v : (this.object(v, key ?? "?") as T);
    if (typeof v === "function") return this.fn(v, key ?? "?");
    return v;
  }

  /** Record that `orig` is copied as `copy` (a FORK method, before copying children). */
  remember<T extends object>(orig: T, copy: T): T {
    this.memo.set(orig, copy);
    return copy;
  }

  /** A function value: shared (and, auditing, recorded). */
  fn<T>(f: T, key: Step): T {
    if (this.auditing) {
      this.steps.push(key);
      this.functionSites.push({ path: this.path, fn: f as FunctionSite["fn"] });
      this.steps.pop();
    }
    return f;
  }

  /** An object value (called by the generated shape functions). */
  object(v: object, key: PropertyKey): unknown {
    const m = this.memo.get(v);
    if (m !== undefined) return m;
    if (SHARED.has(v)) return this.auditing ? this.auditShared(v, key) : v;
    if (!this.tracing) return this.copy(v);
    this.steps.push(key);
    try {
      return this.copy(v);
    } finally {
      this.steps.pop();
    }
  }

  /** A value that is not a property (a Map key or value, a Set element). */
  private at(step: Step, v: unknown): unknown {
    if (typeof v === "function") return this.auditing ? this.fn(v, step) : v;
    if (typeof v !== "object" || v === null) return v;
    const m = this.memo.get(v);
    if (m !== undefined) return m;
    if (SHARED.has(v)) return this.auditing ? this.auditShared(v, step) : v;
    if (!this.tracing) return this.copy(v);
    this.steps.push(step);
    try {
      return this.copy(v);
    } finally {
      this.steps.pop();
    }
  }

  /** Objects marked shared that an audit walked (for the functions they hold). */
  private readonly sharedSeen = new Set<object>();

  /**
   * Auditing, a shared object is not copied but its functions are listed
   * too: a fork shares them all the same.
   */
  private auditShared(v: object, step: Step): object {
    if (this.sharedSeen.has(v)) return v;
    this.sharedSeen.add(v);
    this.steps.push(step);
    try {
      const visit = (x: unknown, s: Step): void => {
        if (typeof x === "function") this.fn(x, s);
        else if (typeof x === "object" && x !== null && !this.memo.has(x)) this.auditShared(x, s);
      };
      if (v instanceof Map) for (const [k, x] of v) visit(x, { mapValue: k });
      else if (v instanceof Set) {
        let i = 0;
        for (const x of v) visit(x, { setElement: i++ });
      } else if (!ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
        for (const key of Reflect.ownKeys(v)) {
          const d = Object.getOwnPropertyDescriptor(v, key)!;
          if ("value" in d)
            visit(d.value, Array.isArray(v) && isIndex(String(key)) ? Number(key) : key);
        }
      }
    } finally {
      this.steps.pop();
    }
    return v;
  }

  private fail(what: string): never {
    if (!this.tracing) throw new Unknown(what);
    throw new UncloneableError(this.path, what);
  }

  private copy(v: object): unknown {
    const proto = Object.getPrototypeOf(v) as object | null;
    const info = PROTOS.get(proto) ?? classify(proto);
    switch (info.kind) {
      case OBJECT:
        return this.copyObject(v, proto, info);
      case ARRAY:
        return proto === Array.prototype
          ? this.copyArray(v as unknown[])
          : this.copyByDescriptor(v, this.remember(v, Object.setPrototypeOf([], proto) as object));
      case MAP:
        return this.copyMap(v as Map<unknown, unknown>, proto, info);
      case SET:
        return this.copySet(v as Set<unknown>, proto, info);
      case BUFFER:
        return this.remember(v, copyBuffer(v as ArrayBuffer));
      case TYPED:
        return this.copyTyped(v as Uint8Array, proto, info);
      case DATAVIEW: {
        const d = v as DataView;
        const buf = this.object(d.buffer, "buffer") as ArrayBuffer;
        return this.finish(v, new DataView(buf, d.byteOffset, d.byteLength), proto, info);
      }
      case DATE:
        return this.finish(v, new Date((v as Date).getTime()), proto, info);
      case REGEXP: {
        const r = v as RegExp;
        const out = new RegExp(r.source, r.flags);
        out.lastIndex = r.lastIndex;
        return this.finish(v, out, proto, info);
      }
      case HOOK: {
        const out = (v as Forkable)[FORK](this);
        this.memo.set(v, out);
        return out;
      }
      default:
        return this.fail(info.what);
    }
  }

  private copyObject(v: object, proto: object | null, info: ProtoInfo): object {
    const out = Object.create(proto) as object;
    this.memo.set(v, out);
    const keys = Object.keys(v);
    const shape = shapeOf(info, v, keys);
    if (shape.fn === null || !Object.isExtensible(v)) return this.copyByDescriptor(v, out);
    if (this.auditing && !plainProperties(v, keys)) {
      this.irregularSites.push(this.path);
      return this.copyByDescriptor(v, out);
    }
    shape.fn(v, out, this);
    return out;
  }

  /** Copy every own property of `v` onto `out` by descriptor (accessors stay accessors). */
  copyByDescriptor<T extends object>(v: object, out: T): T {
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)!;
      if ("value" in d) d.value = this.clone(d.value, key);
      else {
        if (d.get !== undefined) this.fn(d.get, key);
        if (d.set !== undefined) this.fn(d.set, key);
      }
      Object.defineProperty(out, key, d);
    }
    if (Object.isFrozen(v)) Object.freeze(out);
    else if (Object.isSealed(v)) Object.seal(out);
    else if (!Object.isExtensible(v)) Object.preventExtensions(out);
    return out;
  }

  private copyArray(v: unknown[]): unknown[] {
    // slice keeps holes and the elements' representation (packed doubles stay so).
    const out = v.slice();
    this.memo.set(v, out);
    if (this.auditing) this.checkNoExtras(v, (k) => k === "length" || isIndex(k));
    for (let i = 0; i < out.length; i++) {
      const x = out[i];
      if (typeof x === "object") {
        if (x !== null) out[i] = this.object(x, i);
      } else if (typeof x === "function") this.fn(x, i);
    }
    return out;
  }

  private copyMap(v: Map<unknown, unknown>, proto: object | null, info: ProtoInfo): unknown {
    const out = new Map<unknown, unknown>();
    this.memo.set(v, out);
    if (this.tracing) {
      for (const [k, x] of v) out.set(this.at({ mapKey: k }, k), this.at({ mapValue: k }, x));
    } else {
      for (const [k, x] of v) {
        out.set(
          typeof k === "object" && k !== null ? this.object(k, "") : k,
          typeof x === "object" && x !== null ? this.object(x, "") : x,
        );
      }
    }
    return this.finish(v, out, proto, info);
  }

  private copySet(v: Set<unknown>, proto: object | null, info: ProtoInfo): unknown {
    const out = new Set<unknown>();
    this.memo.set(v, out);
    let i = 0;
    for (const x of v) out.add(this.at({ setElement: i++ }, x));
    return this.finish(v, out, proto, info);
  }

  private copyTyped(v: Uint8Array, proto: object | null, info: ProtoInfo): unknown {
    const buf = v.buffer;
    if (
      proto === info.builtin &&
      v.byteOffset === 0 &&
      v.byteLength === buf.byteLength &&
      !this.memo.has(buf) &&
      !SHARED.has(buf) &&
      !isResizable(buf)
    ) {
      // The whole buffer under one view: one copy of both.
      const out = v.slice();
      this.memo.set(v, out);
      this.memo.set(buf, out.buffer);
      return out;
    }
    const nb = this.object(buf, "buffer") as ArrayBuffer;
    const Ctor = (info.builtin as { constructor: Uint8ArrayConstructor }).constructor;
    return this.finish(v, new Ctor(nb, v.byteOffset, v.length), proto, info);
  }

  /** Register `out`, give it `v`'s prototype if that is a subclass's, and its own properties. */
  private finish<T extends object>(v: object, out: T, proto: object | null, info: ProtoInfo): T {
    this.memo.set(v, out);
    if (proto !== info.builtin) {
      Object.setPrototypeOf(out, proto);
      this.copyByDescriptor(v, out);
    } else if (this.auditing) this.checkNoExtras(v, () => false);
    return out;
  }

  private checkNoExtras(v: object, allowed: (k: string) => boolean): void {
    for (const k of Reflect.ownKeys(v)) {
      if (typeof k !== "string" || !allowed(k)) {
        this.irregularSites.push(`${this.path} (own property ${String(k)} not copied)`);
        return;
      }
    }
  }

  /** Copy a whole graph from `root` (see the file comment). */
  run<T>(root: T): T {
    if (typeof root !== "object" || root === null) return this.clone(root, "");
    const m = this.memo.get(root);
    if (m !== undefined) return m as T;
    return (SHARED.has(root) ? root : this.copy(root)) as T;
  }
}

function isIndex(k: string): boolean {
  return /^(0|[1-9]\d*)$/.test(k);
}

function isResizable(buf: ArrayBufferLike): boolean {
  return (buf as { resizable?: boolean }).resizable === true;
}

function copyBuffer(b: ArrayBuffer): ArrayBuffer {
  if (!isResizable(b)) return b.slice(0);
  const max = (b as { maxByteLength?: number }).maxByteLength;
  const out = new (ArrayBuffer as new (n: number, o: { maxByteLength?: number }) => ArrayBuffer)(
    b.byteLength,
    max === undefined ? {} : { maxByteLength: max },
  );
  new Uint8Array(out).set(new Uint8Array(b));
  return out;
}

/**
 * A deep copy of `root` (see the file comment). On something uncloneable
 * throws an UncloneableError naming its path (found by a second, traced pass).
 */
export function deepClone<T>(root: T, opts: CloneOptions = {}): T {
  try {
    return new Cloner(opts).run(root);
  } catch (e) {
    if (!(e instanceof Unknown)) throw e;
    new Cloner({ ...opts, trace: true }).run(root);
    throw new UncloneableError(opts.rootName ?? "root", e.what);
  }
}

/** Copy `root` in audit mode and return what the audit found (the copy is dropped). */
export function auditClone(root: unknown, rootName = "root"): CloneAudit {
  const c = new Cloner({ audit: true, rootName });
  c.run(root);
  return c.audit;
}

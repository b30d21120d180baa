/**
 * Runtime of the plain-function twins that scripts/sync-twins.mjs gives the
 * model's generator functions at load time (see that file). A twin runs
 * only inside a sync region opened by its host (Machine.runSync): there a
 * `yield op` that the CPU cannot take in place is handed to the host, which
 * runs the scheduler inline until this CPU is picked again — the same steps
 * in the same order as resuming the generators would take.
 *
 * The helper names are fixed by the transform; nothing else calls them.
 */

/** The side that takes a step boundary for a twin (the machine). */
export interface SyncHost {
  yieldOp(op: unknown): void;
}

type AnyFn = (this: unknown, ...args: never[]) => unknown;
type TwinFn = AnyFn & { sync?: AnyFn };

let host: SyncHost | null = null;
let enabled = true;

/** Make `h` the host of the region being entered; returns the previous one. */
export function setSyncHost(h: SyncHost | null): SyncHost | null {
  const prev = host;
  host = h;
  return prev;
}

/** Twins are used when present unless switched off (to compare both ways). */
export function setSyncTwinsEnabled(on: boolean): void {
  enabled = on;
}

export function syncTwinsEnabled(): boolean {
  return enabled;
}

/** The twin of `f`, if the transform gave it one. */
export function syncTwinOf<F>(f: F): F | undefined {
  return (f as TwinFn).sync as F | undefined;
}

/** `yield op` in a twin. */
export function __tpY(op?: unknown): undefined {
  if (host === null) throw new Error("sync twin yielded outside a sync region");
  host.yieldOp(op);
  return undefined;
}

/** `yield* iterable` in a twin: drive it (a generator), each of its yields a step boundary. */
export function __tpD<R>(iterable: Iterable<unknown, R, undefined>): R {
  const g = iterable[Symbol.iterator]();
  let r = g.next();
  while (r.done !== true) {
    __tpY(r.value);
    r = g.next();
  }
  return r.value;
}

const driven = new WeakMap<AnyFn, AnyFn>();

/** `yield* f(...)` in a twin: f's twin, or f with its generator driven. */
export function __tpF(f: TwinFn): AnyFn {
  const s = f.sync;
  if (s !== undefined) return s;
  let d = driven.get(f);
  if (d === undefined) {
    d = function (this: unknown, ...a: never[]) {
      return __tpD(f.apply(this, a) as Iterable<unknown, unknown, undefined>);
    };
    driven.set(f, d);
  }
  return d;
}

/** `yield* o[k](...)` in a twin, with `this` = o. */
export function __tpCM(o: Record<PropertyKey, TwinFn>, k: PropertyKey, ...a: never[]): unknown {
  const f = o[k]!;
  const s = f.sync;
  if (s !== undefined) return s.apply(o, a);
  return __tpD(f.apply(o, a) as Iterable<unknown, unknown, undefined>);
}

/** Attach a module-scope generator expression's twin. */
export function __tpT<G>(g: G, s: AnyFn): G {
  (g as TwinFn).sync = s;
  return g;
}

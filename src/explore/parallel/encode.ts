/**
 * A dpor trace as one Float64Array, for crossing threads: a structured clone
 * of the trace's many small arrays costs more than the execution's race
 * analysis, while a typed array is transferred without a copy. Footprint
 * keys are integers well inside a double's exact range.
 */
import type { DecisionKind } from "../controller.ts";
import type { Footprint } from "../footprint.ts";
import type { DporJob, DporTrace } from "../strategies/dpor.ts";

class Writer {
  private buf = new Float64Array(1024);
  private n = 0;
  put(v: number): void {
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = v;
  }
  list(l: readonly number[]): void {
    this.put(l.length);
    for (const v of l) this.put(v);
  }
  fp(f: Footprint): void {
    this.list(f.reads);
    this.list(f.writes);
  }
  done(): Float64Array {
    return this.buf.slice(0, this.n);
  }
}

class Reader {
  private i = 0;
  private readonly a: Float64Array;
  constructor(a: Float64Array) {
    this.a = a;
  }
  get(): number {
    return this.a[this.i++]!;
  }
  list(): number[] {
    const n = this.get();
    const out = new Array<number>(n);
    for (let k = 0; k < n; k++) out[k] = this.get();
    return out;
  }
  fp(): Footprint {
    const reads = this.list();
    return { reads, writes: this.list() };
  }
}

export function encodeTrace(t: DporTrace): Float64Array {
  const w = new Writer();
  w.put(t.decisions.length);
  for (const d of t.decisions) {
    w.put(d.kind);
    w.put(d.value);
    w.list(d.options);
  }
  w.put(t.sleepAt.length);
  for (const s of t.sleepAt) {
    w.put(s.length);
    for (const [cpu, fp] of s) {
      w.put(cpu);
      w.fp(fp);
    }
  }
  w.list(t.steppedAt);
  w.put(t.explored.length);
  for (const [i, fp] of t.explored) {
    w.put(i);
    w.fp(fp);
  }
  w.put(t.races.length);
  for (const [i, c] of t.races) {
    w.put(i);
    w.list(c);
  }
  w.put(t.blocked ? 1 : 0);
  w.put(t.steps);
  return w.done();
}

export function decodeTrace(a: Float64Array): DporTrace {
  const r = new Reader(a);
  const decisions: { kind: DecisionKind; value: number; options: number[] }[] = [];
  for (let n = r.get(); n > 0; n--) {
    const kind = r.get() as DecisionKind;
    const value = r.get();
    decisions.push({ kind, value, options: r.list() });
  }
  const sleepAt: [number, Footprint][][] = [];
  for (let n = r.get(); n > 0; n--) {
    const s: [number, Footprint][] = [];
    for (let m = r.get(); m > 0; m--) {
      const cpu = r.get();
      s.push([cpu, r.fp()]);
    }
    sleepAt.push(s);
  }
  const steppedAt = r.list();
  const explored: [number, Footprint][] = [];
  for (let n = r.get(); n > 0; n--) {
    const i = r.get();
    explored.push([i, r.fp()]);
  }
  const races: [number, number[]][] = [];
  for (let n = r.get(); n > 0; n--) {
    const i = r.get();
    races.push([i, r.list()]);
  }
  const blocked = r.get() === 1;
  return { decisions, sleepAt, steppedAt, explored, races, blocked, steps: r.get() };
}

export function encodeJob(j: DporJob): Float64Array {
  const w = new Writer();
  w.list(j.prefix);
  w.put(j.sleep.length);
  for (const [cpu, fp] of j.sleep) {
    w.put(cpu);
    w.fp(fp);
  }
  return w.done();
}

export function decodeJob(a: Float64Array): DporJob {
  const r = new Reader(a);
  const prefix = r.list();
  const sleep: [number, Footprint][] = [];
  for (let n = r.get(); n > 0; n--) {
    const cpu = r.get();
    sleep.push([cpu, r.fp()]);
  }
  return { prefix, sleep };
}

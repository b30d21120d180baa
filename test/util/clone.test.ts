import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  auditClone,
  type Cloner,
  deepClone,
  FORK,
  isShared,
  markShared,
  UncloneableError,
} from "../../src/util/clone.ts";

class Point {
  x: number;
  y: number;
  constructor(x: number, y: number) {
    this.x = x;
    this.y = y;
  }
  sum(): number {
    return this.x + this.y;
  }
}

describe("deepClone: structure", () => {
  it("keeps class instances' prototypes and copies their fields", () => {
    const p = new Point(1, 2);
    const q = deepClone(p);
    assert.notEqual(q, p);
    assert.ok(q instanceof Point);
    assert.equal(Object.getPrototypeOf(q), Point.prototype);
    assert.equal(q.sum(), 3);
    q.x = 10;
    assert.equal(p.x, 1, "the copy is independent");
  });

  it("copies own accessors, non-enumerable and symbol-keyed properties by descriptor", () => {
    const tag = Symbol("tag");
    const o: { v: number; readonly double: number; [tag]?: string } = {
      v: 2,
      get double() {
        return this.v * 2;
      },
    };
    Object.defineProperty(o, "hidden", { value: { deep: 1 }, enumerable: false, writable: false });
    o[tag] = "t";
    const c = deepClone(o);
    const d = Object.getOwnPropertyDescriptor(c, "double")!;
    assert.equal(typeof d.get, "function", "the getter stays a getter");
    c.v = 5;
    assert.equal(c.double, 10, "and reads the copy");
    const h = Object.getOwnPropertyDescriptor(c, "hidden")!;
    assert.equal(h.enumerable, false);
    assert.equal(h.writable, false);
    assert.deepEqual(h.value, { deep: 1 });
    assert.notEqual(
      h.value,
      (o as unknown as { hidden: object }).hidden,
      "its value is copied too",
    );
    assert.equal(c[tag], "t");
  });

  it("keeps a frozen object frozen", () => {
    const c = deepClone(Object.freeze({ a: { b: 1 } }));
    assert.ok(Object.isFrozen(c));
    assert.deepEqual(c, { a: { b: 1 } });
  });

  it("keeps cycles and shared references: every object is copied once", () => {
    const shared = { n: 1 };
    const root: { self?: unknown; l: object; r: object; list: object[] } = {
      l: shared,
      r: shared,
      list: [shared],
    };
    root.self = root;
    const c = deepClone(root);
    assert.equal(c.self, c);
    assert.equal(c.l, c.r);
    assert.equal(c.list[0], c.l);
    assert.notEqual(c.l, shared);
  });

  it("copies arrays with their holes, Maps and Sets with object keys and members", () => {
    const key = { k: 1 };
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    const arr = [1, , { a: 2 }];
    const m = new Map<unknown, unknown>([
      [key, arr],
      ["s", 3n],
    ]);
    const s = new Set<unknown>([key, "x"]);
    const c = deepClone({ m, s, key });
    const ck = c.key;
    assert.notEqual(ck, key);
    assert.equal(c.m.get(ck), c.m.get(ck), "the Map's object key is the copied key");
    assert.equal(c.m.has(key), false);
    const carr = c.m.get(ck) as unknown[];
    assert.equal(carr.length, 3);
    assert.equal(1 in carr, false, "the hole stays a hole");
    assert.deepEqual(carr[2], { a: 2 });
    assert.notEqual(carr[2], arr[2]);
    assert.equal(c.m.get("s"), 3n);
    assert.ok(c.s.has(ck) && c.s.has("x") && !c.s.has(key));
  });

  it("copies typed arrays; views on one buffer stay views on one copied buffer", () => {
    const buf = new ArrayBuffer(16);
    const u8 = new Uint8Array(buf);
    const u32 = new Uint32Array(buf, 4, 2);
    const dv = new DataView(buf, 8, 8);
    const big = new BigUint64Array([0xffff_ffff_ffff_ffffn, 7n]);
    const f64 = new Float64Array([1.5]);
    u8[4] = 0x11;
    const c = deepClone({ u8, u32, dv, big, f64 });
    assert.equal(c.u8.buffer, c.u32.buffer);
    assert.equal(c.u8.buffer, c.dv.buffer);
    assert.notEqual(c.u8.buffer, buf);
    assert.equal(c.u32.byteOffset, 4);
    assert.equal(c.u32.length, 2);
    assert.equal(c.u32[0], 0x11);
    c.dv.setUint8(0, 0xaa);
    assert.equal(c.u8[8], 0xaa, "a write through one copied view shows in the others");
    assert.equal(u8[8], 0, "and not in the original");
    assert.ok(c.big instanceof BigUint64Array);
    assert.deepEqual([...c.big], [0xffff_ffff_ffff_ffffn, 7n]);
    assert.ok(c.f64 instanceof Float64Array && c.f64[0] === 1.5);
  });

  it("shares functions, primitives and objects marked shared", () => {
    const table = markShared({ big: [1, 2, 3] });
    const f = () => 1;
    const c = deepClone({ table, f, n: 5n, s: "x" });
    assert.equal(c.table, table);
    assert.equal(c.f, f);
    assert.equal(c.n, 5n);
    assert.ok(isShared(table));
    assert.equal(isShared({}), false);
  });
});

describe("deepClone: FORK methods", () => {
  class Counted {
    static forks = 0;
    value: number;
    peer: Counted | null = null;
    constructor(value: number) {
      this.value = value;
    }
    [FORK](c: Cloner): Counted {
      Counted.forks++;
      const copy = c.remember(this, new Counted(this.value * 10));
      copy.peer = c.clone(this.peer, "peer");
      return copy;
    }
  }

  it("copies an object with its class's FORK method, cycles through it included", () => {
    const a = new Counted(1);
    const b = new Counted(2);
    a.peer = b;
    b.peer = a;
    Counted.forks = 0;
    const c = deepClone({ a, b });
    assert.equal(Counted.forks, 2);
    assert.equal(c.a.value, 10, "the method's copy, not a structural one");
    assert.equal(c.a.peer, c.b);
    assert.equal(c.b.peer, c.a);
  });
});

describe("deepClone: what cannot be copied", () => {
  it("throws an error naming the path of a WeakMap", () => {
    const root = { a: { list: [1, { w: new WeakMap() }] } };
    assert.throws(
      () => deepClone(root, { rootName: "k" }),
      (e: unknown) =>
        e instanceof UncloneableError && e.path === "k.a.list[1].w" && /WeakMap/.test(e.message),
    );
  });

  it("refuses a generator object (a suspended task), a Promise and a WeakRef", () => {
    const g = (function* () {
      yield 1;
    })();
    assert.throws(() => deepClone({ tasks: [g] }), /generator object.*root\.tasks\[0\]/);
    assert.throws(() => deepClone({ p: Promise.resolve(1) }), /Promise at root\.p/);
    assert.throws(
      () => deepClone(new Map([["x", new WeakRef({})]])),
      /WeakRef at root\.get\("x"\)/,
    );
  });
});

describe("auditClone", () => {
  it("lists the path of every function value", () => {
    const handler = function handler() {};
    const a = auditClone({ ops: { run: handler }, list: [() => 0] }, "k");
    assert.deepEqual(
      a.functions.map((f) => f.path),
      ["k.ops.run", "k.list[0]"],
    );
    assert.equal(a.functions[0]!.fn, handler);
  });

  it("reports an object the fast copy would get wrong (a sibling of the same shape with more)", () => {
    const plain = new Point(1, 2);
    const odd = new Point(3, 4);
    Object.defineProperty(odd, "extra", { value: 1, enumerable: false });
    const a = auditClone({ plain, odd }, "k");
    assert.deepEqual(a.irregular, ["k.odd"]);
  });
});

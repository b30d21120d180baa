import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TraceRecorder } from "../../src/trace/events.ts";
import { toChromeTrace } from "../../src/trace/export/chrome.ts";

describe("Chrome trace export", () => {
  const rec = new TraceRecorder();
  rec.sink({ type: "enter", step: 1, tb: 512, cpu: 0, fn: "patch_instruction" });
  rec.sink({ type: "step", step: 2, tb: 1024, cpu: 0, op: "store", ea: 0x1234n });
  rec.sink({ type: "printk", step: 2, tb: 1024, cpu: 1, text: "hello" });
  rec.sink({ type: "exit", step: 3, tb: 1536, cpu: 0, fn: "patch_instruction" });
  const json = JSON.parse(toChromeTrace(rec.events)) as {
    traceEvents: {
      name: string;
      ph: string;
      ts: number;
      tid: number;
      args?: Record<string, unknown>;
    }[];
  };

  it("names one thread track per CPU (the metadata Perfetto shows)", () => {
    const names = json.traceEvents
      .filter((e) => e.name === "thread_name")
      .map((e) => [e.tid, e.args?.name]);
    assert.deepEqual(names, [
      [0, "CPU 0"],
      [1, "CPU 1"],
    ]);
  });

  it("turns kernel function entry/exit into balanced B/E slices on the CPU's track", () => {
    const slices = json.traceEvents.filter((e) => e.ph === "B" || e.ph === "E");
    assert.deepEqual(
      slices.map((e) => [e.ph, e.name, e.tid]),
      [
        ["B", "patch_instruction", 0],
        ["E", "patch_instruction", 0],
      ],
    );
  });

  it("converts timebase ticks to microseconds (512 MHz: 512 ticks = 1 µs)", () => {
    const store = json.traceEvents.find((e) => e.name === "store")!;
    assert.equal(store.ts, 2);
    assert.equal(store.args?.ea, "0x1234");
  });

  it("is byte-identical for the same events", () => {
    assert.equal(toChromeTrace(rec.events), toChromeTrace([...rec.events]));
  });
});

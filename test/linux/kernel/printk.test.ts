// Expected renderings follow kernel/printk/printk.c: print_time()'s
// "[%5lu.%06lu]" plus one space, a trailing newline ending a record, KERN_CONT
// appending to the same caller's open record, and every line of a multi-line
// record carrying the record's prefix (record_print_text()).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  KERN_CONT,
  KERN_CRIT,
  KERN_ERR,
  KERN_INFO,
  LOGLEVEL_EMERG,
  Printk,
  printTime,
} from "../../../src/linux/kernel/printk.ts";

function clocked() {
  let now = 0n;
  const log = new Printk({ clock: () => now });
  return {
    log,
    at(ns: bigint) {
      now = ns;
    },
  };
}

describe("print_time", () => {
  it("pads seconds to 5 columns and prints microseconds", () => {
    assert.equal(printTime(0n), "[    0.000000]");
    assert.equal(printTime(12_345_678_000n), "[   12.345678]");
    assert.equal(printTime(12_345_000_001_000n), "[12345.000001]");
  });
  it("truncates nanoseconds and widens past 99999 s", () => {
    assert.equal(printTime(999n), "[    0.000000]");
    assert.equal(printTime(1_999_999_999n), "[    1.999999]");
    assert.equal(printTime(123_456_000_000_000n), "[123456.000000]");
  });
});

describe("Printk records", () => {
  it("renders dmesg lines with the timestamp of each record", () => {
    const { log, at } = clocked();
    log.prInfo("Linux version 6.2.0-rc1\n");
    at(12_345_678_000n);
    log.prErr("second\n");
    assert.equal(log.dmesg(), "[    0.000000] Linux version 6.2.0-rc1\n[   12.345678] second\n");
  });
  it("pr_cont appends to the same caller's open record, keeping its timestamp", () => {
    const { log, at } = clocked();
    at(1_000_000_000n);
    log.printk("Modules linked in:");
    at(2_000_000_000n);
    log.prCont(" foo");
    log.prCont(" bar\n");
    assert.deepEqual(log.lines(), ["[    1.000000] Modules linked in: foo bar"]);
    assert.equal(log.records().length, 1);
  });
  it("pr_cont after a terminated record starts a new record", () => {
    const { log } = clocked();
    log.printk("MSR:  x\n");
    log.prCont("CFAR: y ");
    log.prCont("IRQMASK: 1 ");
    log.prCont("\nGPR00: a ");
    log.prCont("\n");
    assert.deepEqual(log.lines(), [
      "[    0.000000] MSR:  x",
      "[    0.000000] CFAR: y IRQMASK: 1 ",
      "[    0.000000] GPR00: a ",
    ]);
    assert.equal(log.records().length, 2);
  });
  it("pr_cont from another caller does not join; a new record ends the open one", () => {
    const { log } = clocked();
    log.printk("a", 1);
    log.prCont("b", 2);
    log.prCont("c\n", 1);
    assert.deepEqual(log.lines(), ["[    0.000000] a", "[    0.000000] b", "[    0.000000] c"]);
  });
  it("stores levels: default = 4, the first level prefix wins, KERN_CONT joins", () => {
    const { log } = clocked();
    log.printk("plain\n");
    log.printk(`${KERN_CRIT}crit\n`);
    log.printk(`${KERN_ERR}${KERN_INFO}err\n`);
    log.printk(`${KERN_INFO}x`);
    log.printk(`${KERN_CONT}${KERN_CRIT}y\n`);
    assert.deepEqual(
      log.records().map((r) => [r.level, r.text]),
      [
        [4, "plain"],
        [2, "crit"],
        [3, "err"],
        [6, "xy"],
      ],
    );
  });
  it("filters by console loglevel like the console, not like dmesg", () => {
    const { log } = clocked();
    log.prInfo("info\n");
    log.prWarn("warn\n");
    log.prEmerg("emerg\n");
    assert.deepEqual(log.lines(4), ["[    0.000000] emerg"]);
    assert.deepEqual(log.lines(5), ["[    0.000000] warn", "[    0.000000] emerg"]);
    assert.equal(log.lines().length, 3);
  });
  it("pr_fmt prefixes pr_* but not pr_cont; pr_debug is compiled out by default", () => {
    const { log } = clocked();
    const pr = log.withPrefix("code-patching: ");
    pr.prErr("failed");
    pr.prCont(" (-14)\n");
    pr.prDebug("hidden\n");
    log.withPrefix("kprobes: ", true).prDebug("shown\n");
    assert.deepEqual(log.lines(), [
      "[    0.000000] code-patching: failed (-14)",
      "[    0.000000] kprobes: shown",
    ]);
  });
  it("printLines emits producer lines with their levels; time off drops the prefix", () => {
    const log = new Printk({ clock: () => 5n, time: false });
    log.printLines([
      { level: LOGLEVEL_EMERG, text: "Kernel panic - not syncing: x" },
      { level: 4, text: "" },
    ]);
    assert.equal(log.dmesg(), "Kernel panic - not syncing: x\n\n");
    assert.deepEqual(
      log.records().map((r) => r.level),
      [0, 4],
    );
  });
});

// Expected strings follow kernel/kallsyms.c's `__sprint_symbol()` formats:
// "%s+%#lx/%#lx" (the kernel's %#lx prints 0x0 for zero), " [%s]" for a
// module, "0x%lx" for an address without a symbol, and %pB's lookup of the
// byte before a return address.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kallsyms } from "../../../src/linux/kernel/kallsyms.ts";

const K = 0xc000_0000_0000_0000n;
const table = () =>
  new Kallsyms([
    { name: "patch_instruction", address: K + 0x9d9a0n, size: 0x6d0, type: "T" },
    { name: "assert_pte_locked", address: K + 0xa1230n, size: 0x1a0, type: "T" },
    // a gap of 0x20 bytes after assert_pte_locked
    { name: "set_pte_at", address: K + 0xa13f0n, size: 0x80, type: "T" },
    { name: "poking_init", address: K + 0x2001000n, size: 0x100, type: "T" },
    { name: "poking_init_done", address: K + 0x2500000n, size: 0, type: "b" },
    {
      name: "kp_init",
      address: 0xc008_0000_0000_0000n,
      size: 0x40,
      type: "t",
      module: "kprobe_example",
    },
    {
      name: "handler_pre",
      address: 0xc008_0000_0000_0040n,
      size: 0x90,
      type: "t",
      module: "kprobe_example",
    },
  ]);

describe("kallsyms lookup (%pS)", () => {
  const ks = table();
  it("at a symbol's start prints +0x0", () => {
    assert.equal(ks.sprintSymbol(K + 0xa1230n), "assert_pte_locked+0x0/0x1a0");
  });
  it("inside a symbol prints the offset and size", () => {
    assert.equal(ks.sprintSymbol(K + 0xa1230n + 0x180n), "assert_pte_locked+0x180/0x1a0");
    assert.equal(ks.sprintSymbol(K + 0x9d9a0n + 0x618n), "patch_instruction+0x618/0x6d0");
  });
  it("at the last byte is still inside", () => {
    assert.equal(ks.sprintSymbol(K + 0xa1230n + 0x19fn), "assert_pte_locked+0x19f/0x1a0");
  });
  it("one past the end is not in the symbol (here: in a gap → plain hex)", () => {
    assert.equal(ks.sprintSymbol(K + 0xa13d0n), "0xc0000000000a13d0");
    assert.equal(ks.lookup(K + 0xa13d0n), undefined);
  });
  it("one past the end of a symbol directly followed by another is the next symbol's +0x0", () => {
    const ks2 = new Kallsyms([
      { name: "a", address: K + 0x100n, size: 0x10, type: "T" },
      { name: "b", address: K + 0x110n, size: 0x10, type: "T" },
    ]);
    assert.equal(ks2.sprintSymbol(K + 0x110n), "b+0x0/0x10");
  });
  it("between symbols and below the first one prints plain hex", () => {
    assert.equal(ks.sprintSymbol(K + 0x1000000n), "0xc000000001000000");
    assert.equal(ks.sprintSymbol(0x60000000n), "0x60000000");
    assert.equal(ks.sprintSymbol(0n), "0x0");
  });
  it("past the last symbol prints plain hex", () => {
    assert.equal(ks.sprintSymbol(0xc008_0000_0000_1000n), "0xc008000000001000");
  });
  it("module symbols carry [module]", () => {
    assert.equal(ks.sprintSymbol(0xc008_0000_0000_0058n), "handler_pre+0x18/0x90 [kprobe_example]");
    assert.equal(ks.sprintSymbolNoOffset(0xc008_0000_0000_0058n), "handler_pre [kprobe_example]");
  });
  it("zero-size symbols are never found by address", () => {
    assert.equal(ks.sprintSymbol(K + 0x2500000n), "0xc000000002500000");
  });
  it("%pB looks up the byte before a return address", () => {
    // a return address equal to the end of poking_init (a call as its last instruction)
    assert.equal(ks.sprintSymbol(K + 0x2001100n), "0xc000000002001100");
    assert.equal(ks.sprintBacktrace(K + 0x2001100n), "poking_init+0x100/0x100");
    assert.equal(ks.sprintBacktrace(K + 0xa1230n + 0x180n), "assert_pte_locked+0x180/0x1a0");
    // no symbol: the original address, not address-1
    assert.equal(ks.sprintBacktrace(0x60000000n), "0x60000000");
  });
  it("aliases: the first-added symbol at an address wins", () => {
    const ks2 = new Kallsyms([
      { name: "__kretprobe_trampoline", address: K + 0x200n, size: 8, type: "T" },
      { name: "kretprobe_trampoline_alias", address: K + 0x200n, size: 8, type: "t" },
    ]);
    assert.equal(ks2.sprintSymbol(K + 0x204n), "__kretprobe_trampoline+0x4/0x8");
  });
});

describe("kallsyms lookup by name", () => {
  const ks = table();
  it("kallsyms_lookup_name finds core and module symbols", () => {
    assert.equal(ks.lookupName("poking_init"), K + 0x2001000n);
    assert.equal(ks.lookupName("poking_init_done"), K + 0x2500000n);
    assert.equal(ks.lookupName("handler_pre"), 0xc008_0000_0000_0040n);
    assert.equal(ks.lookupName("kprobe_example:kp_init"), 0xc008_0000_0000_0000n);
    assert.equal(ks.lookupName("other_module:kp_init"), undefined);
    assert.equal(ks.lookupName("no_such_symbol"), undefined);
  });
  it("prefers the core kernel over a module symbol of the same name", () => {
    const ks2 = new Kallsyms([
      { name: "init_module", address: 0xc008_0000_0000_0000n, size: 4, type: "t", module: "m" },
      { name: "init_module", address: K + 0x40n, size: 4, type: "T" },
    ]);
    assert.equal(ks2.lookupName("init_module"), K + 0x40n);
    assert.equal(ks2.symbolByName("m:init_module")?.module, "m");
  });
  it("removeModule drops its symbols from both indexes", () => {
    const ks2 = table();
    ks2.removeModule("kprobe_example");
    assert.equal(ks2.lookupName("handler_pre"), undefined);
    assert.equal(ks2.sprintSymbol(0xc008_0000_0000_0058n), "0xc008000000000058");
    assert.equal(ks2.sprintSymbol(K + 0xa1230n), "assert_pte_locked+0x0/0x1a0");
  });
});

describe("kallsyms scale", () => {
  it("answers a 4096-symbol table by binary search, consistently with a linear scan", () => {
    const entries = Array.from({ length: 4096 }, (_, i) => ({
      name: `f${i}`,
      address: K + BigInt(i) * 0x100n,
      size: 0x80 + (i % 0x80),
      type: "T",
    }));
    // insert in scrambled order: the table sorts
    const scrambled = entries.map((_e, i) => entries[(i * 2654435761) % 4096]!);
    const ks = new Kallsyms(new Set(scrambled));
    for (let a = K - 0x10n; a < K + 4096n * 0x100n + 0x10n; a += 0x1d1n) {
      const linear = entries.find((e) => a >= e.address && a < e.address + BigInt(e.size));
      assert.equal(ks.lookup(a)?.symbol.name, linear?.name, `address ${a.toString(16)}`);
    }
  });
});

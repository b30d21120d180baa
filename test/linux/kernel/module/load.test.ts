// Module loading on a booted kernel: layout in the modules (vmalloc) area,
// RX text, kallsyms `sym+off/size [mod]`, the init run in the interpreter,
// relocations and the call stub, patch_instruction on module text, errors,
// unloading. Expected values come from outside the model: symbol values and
// sizes from `readelf -s` of the fixture object, branch targets from GNU
// objdump disassembling the loaded bytes, the stub's words from GNU as, the
// CRC from node:zlib, the init's constants from the module's C source, the
// messages from kernel/module/main.c (v6.2).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { ppcInst } from "../../../../src/isa/powerpc/inst.ts";
import { warnOn } from "../../../../src/linux/arch/powerpc/include/asm/bug.ts";
import { patchingOps } from "../../../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../../../../src/linux/core/ctx.ts";
import type { Kernel } from "../../../../src/linux/core/kernel.ts";
import { kfunc } from "../../../../src/linux/core/kfunc.ts";
import { declareBugSite } from "../../../../src/linux/image/sites.ts";
import { newKprobe } from "../../../../src/linux/include/linux/kprobes.ts";
import { registerKprobe } from "../../../../src/linux/kernel/kprobes.ts";
import { builtinModule } from "../../../../src/linux/kernel/module/builtin.ts";
import {
  callModuleFunction,
  ENOEXEC,
  findModule,
  loadModule,
  type Module,
  printModulesOf,
  unloadModule,
} from "../../../../src/linux/kernel/module/load.ts";
import { vmAreas } from "../../../../src/linux/mm/vmalloc.ts";
import { isFault } from "../../../../src/machine/mmu/fault.ts";
import { ld, st } from "../../../../src/machine/task-ops.ts";
import { assembleWords, tool } from "../../../machine/exec/toolchain.ts";
import { bootKernel, dmesgLines, runOn } from "../../helpers/run-kernel.ts";

const FIXTURES = new URL("../../../../fixtures/modules/", import.meta.url).pathname;
const DEMO = "textpoke_demo";
const VMALLOC_START = 0xc008_0000_0000_0000n;

/** readelf -sW of a fixture: name → {value, size, ndx} for FUNC/OBJECT symbols. */
function readelfSymbols(
  object: string,
): Map<string, { value: number; size: number; type: string }> {
  const r = tool("powerpc64le-linux-gnu-readelf", ["-sW", `${FIXTURES}${object}`]);
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, { value: number; size: number; type: string }>();
  for (const line of r.stdout.toString().split("\n")) {
    const m = /^\s*\d+: ([0-9a-f]+)\s+(\d+) (FUNC|OBJECT)\s.*\s(\S+)$/.exec(line);
    if (m !== null)
      out.set(m[4]!, { value: Number.parseInt(m[1]!, 16), size: Number(m[2]), type: m[3]! });
  }
  return out;
}

/** objdump -dr of a fixture: REL24 target symbol → offset of the `bl` in .text. */
function rel24Sites(object: string): Map<string, number> {
  const r = tool("powerpc64le-linux-gnu-objdump", ["-dr", `${FIXTURES}${object}`]);
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, number>();
  for (const m of r.stdout.toString().matchAll(/^\s+([0-9a-f]+): R_PPC64_REL24\s+(\S+)$/gm))
    out.set(m[2]!, Number.parseInt(m[1]!, 16));
  return out;
}

/** Boot with the demo module loaded by `--module`. */
function bootWithDemo(req: Parameters<typeof bootKernel>[0] = {}): { k: Kernel; mod: Module } {
  const k = bootKernel({ ...req, modules: [DEMO] });
  const mod = findModule(k, DEMO);
  assert.ok(mod !== undefined, "the module did not load");
  return { k, mod };
}

function read(k: Kernel, addr: bigint, size: 4 | 8): bigint {
  return runOn(k, 0, function* (c) {
    const v = yield* ld(k.machine, c.cpu, addr, size);
    assert.ok(!isFault(v), `load at 0x${addr.toString(16)} faulted`);
    return v as bigint;
  });
}

/** objdump -D of `len` bytes of memory at `addr`, as GNU objdump decodes them at that address. */
function objdumpAt(k: Kernel, addr: bigint, len: number): Map<bigint, string> {
  const bytes = Buffer.alloc(len);
  for (let off = 0; off < len; off += 4)
    bytes.writeUInt32LE(Number(read(k, addr + BigInt(off), 4)), off);
  const dir = mkdtempSync(join(tmpdir(), "textpoke-mod-"));
  const bin = join(dir, "text.bin");
  writeFileSync(bin, bytes);
  const r = tool("powerpc64le-linux-gnu-objdump", [
    "-D",
    "-b",
    "binary",
    "-m",
    "powerpc:common64",
    "-EL",
    `--adjust-vma=0x${addr.toString(16)}`,
    bin,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<bigint, string>();
  for (const line of r.stdout.toString().split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} ){4}\s*(.*)$/.exec(line);
    if (m !== null) out.set(BigInt(`0x${m[1]}`), m[2]!.trim());
  }
  return out;
}

describe("load_module: textpoke_demo loaded at boot", () => {
  const { k, mod } = bootWithDemo();
  const syms = readelfSymbols("textpoke_demo.o");
  const textOf = (name: string) => mod.symbols.get(name)!.address;

  it("prints the out-of-tree taint line and lists the module with (O)", () => {
    const lines = dmesgLines(k);
    const taint = lines.indexOf(`${DEMO}: loading out-of-tree module taints kernel.`);
    assert.ok(taint >= 0, lines.join("\n"));
    assert.ok(taint < lines.indexOf("Run /init as init process"));
    assert.equal(printModulesOf(k).text, `Modules linked in: ${DEMO}(O)`);
  });

  it("places the text in the modules (vmalloc) area, mapped read-only and executable", () => {
    assert.ok(mod.base >= VMALLOC_START && mod.base < VMALLOC_START + (1n << 40n));
    const add = textOf("textpoke_demo_add");
    // The first instruction of textpoke_demo_add, as objdump -d of the object shows it: add r3,r3,r4.
    assert.equal(read(k, add, 4), BigInt(assembleWords("add 3,3,4")[0]!));
    const fault = runOn(k, 0, function* (c) {
      return yield* st(k.machine, c.cpu, add, 4, 0x6000_0000n);
    });
    assert.ok(fault !== null && isFault(fault), "a plain store to module text must fault");
    assert.equal(read(k, add, 4), BigInt(assembleWords("add 3,3,4")[0]!));
  });

  it("kallsyms names module addresses fn+0xoff/0xsize [textpoke_demo], offsets and sizes as readelf", () => {
    const funcs = [...syms.entries()]
      .filter(([, s]) => s.type === "FUNC")
      .sort((a, b) => a[1].value - b[1].value);
    for (const [i, [name, s]] of funcs.entries()) {
      const next = funcs[i + 1];
      assert.equal(textOf(name) - mod.base, BigInt(s.value), name);
      if (next === undefined) continue;
      const size = next[1].value - s.value;
      assert.equal(
        k.kallsyms.sprintSymbol(textOf(name) + 4n),
        `${name}+0x4/0x${size.toString(16)} [${DEMO}]`,
      );
    }
    assert.equal(k.kallsyms.lookupName(`${DEMO}:init_module`), textOf("init_module"));
  });

  it("ran init_module: the values it stored are in module data", () => {
    const src = readFileSync(`${FIXTURES}textpoke_demo.c`, "utf8");
    const m = /textpoke_demo_add\((0x[0-9a-f]+), (0x[0-9a-f]+)\)/.exec(src)!;
    assert.equal(read(k, textOf("textpoke_demo_sum"), 8), BigInt(Number(m[1]) + Number(m[2])));
    const buf = /demo_buf\[\] = "([^"]*)"/.exec(src)![1]!;
    // crc32_le(0, ...) (no inversions) = ~zlib's crc32 seeded with ~0.
    const expected = (~crc32(Buffer.from(buf), 0xffff_ffff) >>> 0) >>> 0;
    assert.equal(read(k, textOf("textpoke_demo_crc"), 4), BigInt(expected));
  });

  it("relocates: local calls, the stub to crc32_le, r2 restore and ADDR64", () => {
    const text = objdumpAt(k, mod.base, Number(textOf("cleanup_module") - mod.base));
    const calls = rel24Sites("textpoke_demo.o");
    const bl = (name: string) => text.get(mod.base + BigInt(calls.get(name)!)) ?? "";
    // Local calls: to the callee's local entry (readelf: textpoke_demo_checksum's localentry is 8).
    assert.match(
      bl("textpoke_demo_add"),
      new RegExp(`^bl\\s+0x${textOf("textpoke_demo_add").toString(16)}$`),
    );
    assert.match(
      bl("textpoke_demo_checksum"),
      new RegExp(`^bl\\s+0x${(textOf("textpoke_demo_checksum") + 8n).toString(16)}$`),
    );
    // The call to the kernel's crc32_le goes to the stub; the nop after it restores r2.
    assert.match(bl("crc32_le"), new RegExp(`^bl\\s+0x${mod.stubs.toString(16)}$`));
    const chk = mod.base + BigInt(calls.get("crc32_le")!) + 4n;
    assert.equal(read(k, chk, 4), BigInt(assembleWords("ld 2,24(1)")[0]!));
    const rel = mod.stubs - mod.toc;
    const ha = ((rel + 0x8000n) >> 16n) & 0xffffn;
    const lo = rel & 0xffffn;
    const expectStub = assembleWords(
      `addis 11,2,${BigInt.asIntN(16, ha)}\naddi 11,11,${BigInt.asIntN(16, lo)}\nstd 2,24(1)\nld 12,32(11)\nmtctr 12\nbctr`,
    );
    expectStub.forEach((w, i) => {
      assert.equal(read(k, mod.stubs + BigInt(4 * i), 4), BigInt(w), `stub word ${i}`);
    });
    assert.equal(read(k, mod.stubs + 32n, 8), k.kallsyms.lookupName("crc32_le"));
    // .data's R_PPC64_ADDR64: textpoke_demo_sum_ptr = &textpoke_demo_sum.
    assert.equal(read(k, textOf("textpoke_demo_sum_ptr"), 8), textOf("textpoke_demo_sum"));
  });

  it("patch_instruction on module text (temp-mm path) changes the word seen through the module mapping", () => {
    const at = textOf("textpoke_demo_add") + 0x14n; // a nop of the padding (objdump)
    const word = assembleWords("li 3,7")[0]!;
    const ret = runOn(k, 1, (c) => patchingOps(k).patchInstruction(c, at, ppcInst(word)));
    assert.equal(ret, 0);
    assert.equal(read(k, at, 4), BigInt(word));
  });

  it("unloads: kallsyms forgets it, its memory is freed, print_modules remembers it", () => {
    const base = mod.base;
    assert.equal(
      runOn(k, 0, (c) => unloadModule(c, DEMO)),
      0,
    );
    assert.equal(findModule(k, DEMO), undefined);
    assert.equal(k.kallsyms.lookup(base), undefined);
    assert.ok(!vmAreas({ k }).some((a) => a.addr === base));
    assert.equal(printModulesOf(k).text, `Modules linked in: [last unloaded: ${DEMO}]`);
  });
});

describe("load_module: the vmalloc patching path", () => {
  it("patch_instruction on module text with the hash MMU (vmalloc path) changes the word", () => {
    const { k, mod } = bootWithDemo({ mmu: "hash" });
    const at = mod.symbols.get("textpoke_demo_add")!.address + 0x18n;
    const word = assembleWords("li 3,9")[0]!;
    const ret = runOn(k, 0, (c) => patchingOps(k).patchInstruction(c, at, ppcInst(word)));
    assert.equal(ret, 0);
    assert.equal(read(k, at, 4), BigInt(word));
  });
});

describe("load_module: errors", () => {
  const k = bootKernel({});
  const load = (name: string, bytes: Uint8Array) => runOn(k, 0, (c) => loadModule(c, name, bytes));

  it("a malformed ELF is -ENOEXEC", () => {
    const demo = builtinModule(DEMO)!;
    assert.equal(load("trunc", demo.subarray(0, 40)), -ENOEXEC);
    const notElf = demo.slice();
    notElf[1] = 0;
    assert.equal(load("magic", notElf), -ENOEXEC);
    assert.ok(dmesgLines(k).includes("Invalid ELF header magic: != \x7fELF"));
  });

  it("an object without .stubs (not built as a module) is -ENOEXEC", () => {
    const crc = new Uint8Array(
      readFileSync(new URL("../../../../fixtures/kernel/crc32.o", import.meta.url)),
    );
    assert.equal(load("crc32", crc), -ENOEXEC);
    assert.ok(dmesgLines(k).includes("crc32: doesn't contain .stubs."));
  });

  it("an unknown symbol is -ENOENT with the kernel's message", () => {
    assert.equal(load("textpoke_unknown", builtinModule("textpoke_unknown")!), -2);
    assert.ok(
      dmesgLines(k).includes("textpoke_unknown: Unknown symbol textpoke_no_such_function (err -2)"),
    );
    assert.equal(findModule(k, "textpoke_unknown"), undefined);
  });
});

describe("load_module: kprobes on module text", () => {
  // check_kprobe_address_safe() accepts module text (__module_text_address).
  it("a kprobe on textpoke_demo_add fires when the function runs", () => {
    const { k, mod } = bootWithDemo();
    const kp = newKprobe({ symbolName: "textpoke_demo_add" });
    assert.equal(
      runOn(k, 0, (c) => registerKprobe(c, kp)),
      0,
    );
    const add = mod.symbols.get("textpoke_demo_add")!.address;
    const r3 = runOn(k, 0, (c) => callModuleFunction(c, add, [2n, 3n]));
    assert.equal(r3, 5n);
    assert.equal(kp.hits, 1);
  });
});

// A WARN_ON the test compiles into the image, to see what the die path prints after a load.
const MODULE_WARN_FILE = "init/textpoke-module-test.c";
declareBugSite({
  fn: "textpoke_module_test_warn",
  file: MODULE_WARN_FILE,
  line: 7,
  kind: "warn-on",
});
const moduleTestWarn = kfunc(
  { name: "textpoke_module_test_warn", file: MODULE_WARN_FILE, size: 0x80 },
  function* (c: Ctx): KGen<number> {
    yield* warnOn(c, true, { file: MODULE_WARN_FILE, line: 7 });
    return 0;
  },
);

describe("load_module: the die path names loaded modules", () => {
  it("a WARNING after the load prints `Modules linked in: textpoke_demo(O)`", () => {
    const { k } = bootWithDemo();
    const before = dmesgLines(k).length;
    runOn(k, 0, (c) => moduleTestWarn(c));
    const log = dmesgLines(k).slice(before);
    const w = log.findIndex((l) => l.startsWith("WARNING: "));
    assert.ok(w >= 0, log.join("\n"));
    assert.equal(log[w + 1], "Modules linked in: textpoke_demo(O)");
  });
});

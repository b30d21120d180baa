import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createKernel } from "../../../src/api/boot.ts";
import { readElf64 } from "../../../src/elf/elf64.ts";
import { decodeBase64 } from "../../../src/linux/image/base64.ts";
import { imageLayout } from "../../../src/linux/image/build.ts";
import { KERNEL_OBJECTS } from "../../../src/linux/image/kernel-objects.ts";

const FIXTURES = new URL("../../../fixtures/kernel/", import.meta.url).pathname;
const hex = (v: bigint) => `0x${v.toString(16)}`;

describe("kernel image", () => {
  it("embeds exactly the committed objects of fixtures/kernel", () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".o"))
      .sort();
    assert.deepEqual(Object.keys(KERNEL_OBJECTS).sort(), files);
    for (const f of files)
      assert.deepEqual(
        decodeBase64(KERNEL_OBJECTS[f]!),
        new Uint8Array(readFileSync(join(FIXTURES, f))),
      );
  });

  it("links the compiled objects byte-for-byte as GNU ld does at the same addresses", () => {
    const k = createKernel();
    const l = imageLayout(k);
    const sym = (n: string) => l.symbols.get(n)!;
    const dir = mkdtempSync(join(tmpdir(), "textpoke-ld-"));
    // The same placement, written as a linker script: objects in name order per region.
    writeFileSync(
      join(dir, "k.lds"),
      `SECTIONS {
  .text ${hex(sym("crc32_le").address)} : { ${Object.keys(KERNEL_OBJECTS)
    .sort()
    .map((o) => `${o}(.text)`)
    .join(" ")} }
  .rodata ${hex(l.startRodata)} : { *(.rodata .rodata.*) . = ALIGN(8); *(__jump_table) }
  .init.text ${hex(l.sinittext)} : { *(.init.text) }
  .got ${hex(l.sdata)} : { *(.got .toc .data .data.*) }
  .bss ${hex(l.bssStart)} : { *(.bss) }
  /DISCARD/ : { *(.comment) *(.note*) }
}\n`,
    );
    const objs = Object.keys(KERNEL_OBJECTS).sort();
    execFileSync(
      "powerpc64le-linux-gnu-ld",
      ["--no-toc-optimize", "-T", join(dir, "k.lds"), "-o", join(dir, "k.elf"), ...objs],
      {
        cwd: FIXTURES,
      },
    );
    const elf = readElf64(new Uint8Array(readFileSync(join(dir, "k.elf"))));
    for (const name of [
      "crc32_le",
      "crc32test_init",
      "__hard_irq_disable",
      "__kretprobe_trampoline",
      "test_trampoline",
      "crc32test_buf",
      // -pg -mprofile-kernel code with an asm goto site; its TOC setup; POWER10 pcrel code.
      "static_branch_demo",
      "ftrace_demo_caller",
      "prefixed_demo",
      "patch_clients_init",
    ]) {
      const s = elf.symbol(name)!;
      assert.equal(hex(sym(name).address), hex(s.value), `${name} address`);
      const pa = Number(s.value - 0xc000_0000_0000_0000n);
      const mine = [...k.machine.mem.readBytes(pa, Number(s.size))]
        .map((b) => b.toString(16))
        .join(" ");
      const theirs = [...elf.symbolBytes(s)].map((b) => b.toString(16)).join(" ");
      assert.equal(mine, theirs, `${name} bytes (TOC ${hex(l.toc)})`);
    }
  });

  it("lays out the image as vmlinux.lds.S: vectors to __head_end, text, rodata, 16M-aligned init, data, bss", () => {
    const k = createKernel();
    const l = imageLayout(k);
    assert.equal(l.stext, 0xc000_0000_0000_0000n);
    assert.equal(l.headEnd, l.stext + 0x8000n);
    assert.ok(l.etext <= l.startRodata && l.endRodata <= l.initBegin);
    assert.equal(l.initBegin % (1n << 24n), 0n);
    assert.ok(l.initEnd <= l.sdata && l.edata <= l.bssStart && l.bssStop <= l.end);
    assert.equal(l.toc, l.sdata + 0x8000n);
    // Every modelled function has an address and size; __init ones are in init text.
    const ki = l.symbols.get("kernel_init_freeable")!;
    assert.ok(ki.address >= l.sinittext && ki.address < l.einittext);
    const kinit = l.symbols.get("kernel_init")!;
    assert.ok(kinit.address >= l.headEnd && kinit.address < l.etext);
    assert.equal(k.kallsyms.sprintSymbol(kinit.address + 0x34n), "kernel_init+0x34/0x1d0");
    assert.equal(k.kallsyms.lookupName("__head_end"), l.headEnd);
  });

  it("synthesised functions carry a frame prologue and epilogue, as objdump reads them", () => {
    const k = createKernel();
    const f = imageLayout(k).symbols.get("kernel_init")!;
    const bytes = k.machine.mem.readBytes(Number(f.address - 0xc000_0000_0000_0000n), f.size);
    const dir = mkdtempSync(join(tmpdir(), "textpoke-objdump-"));
    writeFileSync(join(dir, "f.bin"), bytes);
    const out = execFileSync(
      "powerpc64le-linux-gnu-objdump",
      ["-D", "-b", "binary", "-m", "powerpc:common64", "-EL", join(dir, "f.bin")],
      { encoding: "utf8" },
    );
    const insns = out
      .split("\n")
      .filter((x) => /^\s+[0-9a-f]+:\t/.test(x))
      .map((x) => x.split("\t")[2]!.trim());
    assert.deepEqual(insns.slice(0, 3), ["mflr    r0", "std     r0,16(r1)", "stdu    r1,-112(r1)"]);
    assert.deepEqual(insns.slice(-4), [
      "addi    r1,r1,112",
      "ld      r0,16(r1)",
      "mtlr    r0",
      "blr",
    ]);
    // kernel_init calls kernel_init_freeable: a bl lands on it.
    assert.ok(insns.some((x) => x.startsWith("bl ")));
  });
});

// The ELF reader on malformed input: every defect is a one-line UserError,
// never a RangeError/TypeError. The base file is a committed GCC-built
// fixture; field offsets below are the gABI's Elf64_Ehdr/Shdr/Sym/Rela layout.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type Elf64, readElf64 } from "../../src/elf/elf64.ts";
import { UserError } from "../../src/util/user-error.ts";

const FIXTURE = new URL("../../fixtures/programs/arith.p9", import.meta.url).pathname;
const ORIGINAL = new Uint8Array(readFileSync(FIXTURE));

function copy(): { bytes: Uint8Array; dv: DataView } {
  const bytes = ORIGINAL.slice();
  return { bytes, dv: new DataView(bytes.buffer) };
}

// Header fields read independently of the reader under test.
const H = new DataView(ORIGINAL.buffer, ORIGINAL.byteOffset);
const SHOFF = Number(H.getBigUint64(40, true));
const SHNUM = H.getUint16(60, true);
const PHOFF = Number(H.getBigUint64(32, true));
const shdr = (i: number) => SHOFF + 64 * i;
function sectionOfType(type: number): number {
  for (let i = 0; i < SHNUM; i++) if (H.getUint32(shdr(i) + 4, true) === type) return i;
  throw new Error(`fixture has no section of type ${type}`);
}
const SYMTAB = sectionOfType(2);
const RELA = sectionOfType(4);

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => readElf64(bytes),
    (e: unknown) => {
      assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
      assert.match(e.message, /^bad ELF: /);
      assert.ok(!e.message.includes("\n"), "one line");
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe("readElf64 rejects malformed files with UserError", () => {
  it("accepts the unmodified fixture", () => {
    const elf = readElf64(ORIGINAL);
    assert.equal(elf.sections.length, SHNUM);
    assert.equal(elf.header.machine, 21);
  });

  it("a file shorter than the ELF header", () => {
    rejects(ORIGINAL.subarray(0, 10), /10 bytes, shorter than the 64-byte ELF64 header/);
    rejects(new Uint8Array(0), /0 bytes/);
  });

  it("bad magic", () => {
    const { bytes } = copy();
    bytes[1] = 0x46;
    rejects(bytes, /bad magic/);
  });

  it("ELF32 class, big-endian data, wrong ident version", () => {
    let c = copy();
    c.bytes[4] = 1;
    rejects(c.bytes, /EI_CLASS 1, expected 2 \(ELF64\)/);
    c = copy();
    c.bytes[5] = 2;
    rejects(c.bytes, /EI_DATA 2, expected 1 \(little-endian\)/);
    c = copy();
    c.bytes[6] = 0;
    rejects(c.bytes, /EI_VERSION 0/);
  });

  it("a machine other than EM_PPC64, a bad e_version", () => {
    let c = copy();
    c.dv.setUint16(18, 20, true);
    rejects(c.bytes, /e_machine 20, expected 21 \(EM_PPC64\)/);
    c = copy();
    c.dv.setUint32(20, 2, true);
    rejects(c.bytes, /e_version 2/);
  });

  it("a section header table past the end of the file", () => {
    const c = copy();
    c.dv.setBigUint64(40, BigInt(ORIGINAL.length - 64 * 3), true);
    rejects(
      c.bytes,
      new RegExp(
        `section header table \\(offset 0x[0-9a-f]+, ${SHNUM} × 64 bytes\\) extends past end of file \\(${ORIGINAL.length} bytes\\)`,
      ),
    );
    rejects(ORIGINAL.subarray(0, SHOFF + 64 * 2), /section header table/);
  });

  it("an absurd section count (extended numbering) or a huge e_shoff", () => {
    let c = copy();
    c.dv.setUint16(60, 0, true);
    c.dv.setBigUint64(shdr(0) + 32, 0xffff_ffff_ffffn, true);
    rejects(c.bytes, /section count|section header table/);
    c = copy();
    c.dv.setBigUint64(40, 0xffff_ffff_ffff_fff0n, true);
    rejects(c.bytes, /section header 0 \(offset 0xfffffffffffffff0/);
  });

  it("a wrong e_shentsize or e_phentsize", () => {
    let c = copy();
    c.dv.setUint16(58, 40, true);
    rejects(c.bytes, /e_shentsize 40, expected 64/);
    c = copy();
    c.dv.setUint16(54, 32, true);
    rejects(c.bytes, /e_phentsize 32, expected 56/);
  });

  it("a section whose contents lie outside the file", () => {
    const c = copy();
    c.dv.setBigUint64(shdr(1) + 32, BigInt(ORIGINAL.length), true);
    rejects(
      c.bytes,
      /section 1 \(offset 0x[0-9a-f]+, 0x[0-9a-f]+ bytes\) extends past end of file/,
    );
  });

  it("e_shstrndx out of range, a section name index out of range", () => {
    let c = copy();
    c.dv.setUint16(62, SHNUM + 5, true);
    rejects(c.bytes, new RegExp(`e_shstrndx ${SHNUM + 5} out of range`));
    c = copy();
    c.dv.setUint32(shdr(1), 0x7fff_0000, true);
    rejects(c.bytes, /string index 0x7fff0000 out of range for the section name table/);
  });

  it("a symbol name index out of range, a bad symbol table entry size", () => {
    let c = copy();
    const symOff = Number(H.getBigUint64(shdr(SYMTAB) + 24, true));
    c.dv.setUint32(symOff + 24 * 3, 0xffff_fff0, true);
    rejects(c.bytes, /string index 0xfffffff0 out of range for string table \.strtab/);
    c = copy();
    c.dv.setBigUint64(shdr(SYMTAB) + 56, 16n, true);
    rejects(c.bytes, /sh_entsize 16, expected 24/);
  });

  it("a relocation naming a symbol beyond the symbol table", () => {
    const c = copy();
    const relOff = Number(H.getBigUint64(shdr(RELA) + 24, true));
    c.dv.setBigUint64(relOff + 8, (0xffffn << 32n) | 10n, true);
    rejects(c.bytes, /relocation 0 in \.rela\.text names symbol 65535 of \d+/);
  });

  it("a PT_LOAD whose file size exceeds its memory size, a segment past the end", () => {
    let c = copy();
    c.dv.setBigUint64(PHOFF + 40, 4n, true);
    rejects(c.bytes, /PT_LOAD segment 0 has p_filesz 0x[0-9a-f]+ > p_memsz 0x4/);
    c = copy();
    c.dv.setBigUint64(PHOFF + 8, BigInt(ORIGINAL.length), true);
    rejects(c.bytes, /segment 0 \(offset/);
  });

  it("sectionBytes / symbolBytes of missing names or NOBITS data are UserErrors", () => {
    const elf = readElf64(ORIGINAL);
    assert.throws(() => elf.sectionBytes(".nope"), UserError);
    assert.throws(() => elf.sectionBytes(".bss"), UserError);
    assert.throws(() => elf.symbolBytes("no_such_function"), UserError);
    assert.throws(() => elf.symbolBytes(elf.symbols[0]!), UserError);
  });
});

/** Touch everything the reader exposes, the way a loader or disassembler would. */
function exercise(elf: Elf64): void {
  for (const s of elf.sections) {
    try {
      elf.sectionBytes(s);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
  }
  for (const s of elf.symbols) {
    try {
      elf.symbolBytes(s);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
  }
  void elf.entry;
}

function onlyUserError(bytes: Uint8Array): boolean {
  try {
    exercise(readElf64(bytes));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
  return true;
}

describe("property: damaged fixtures never throw anything but UserError", () => {
  it("random truncations", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ORIGINAL.length }), (n) =>
        onlyUserError(ORIGINAL.slice(0, n)),
      ),
      { numRuns: 400 },
    );
  });

  // Mutations aimed at the header, the section table and the symbol table,
  // where a damaged byte changes structure rather than just contents.
  const symOff = Number(H.getBigUint64(shdr(SYMTAB) + 24, true));
  const position = fc.oneof(
    fc.integer({ min: 0, max: 63 }),
    fc.integer({ min: PHOFF, max: PHOFF + 3 * 56 - 1 }),
    fc.integer({ min: SHOFF, max: ORIGINAL.length - 1 }),
    fc.integer({ min: symOff, max: symOff + 24 * 8 }),
    fc.integer({ min: 0, max: ORIGINAL.length - 1 }),
  );
  it("random byte mutations", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(position, fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: ORIGINAL.length }),
        (edits, cut) => {
          const bytes = ORIGINAL.slice();
          for (const [at, v] of edits) bytes[at] = v;
          return onlyUserError(bytes) && onlyUserError(bytes.subarray(0, cut));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

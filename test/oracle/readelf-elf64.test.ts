// Oracle: GNU readelf (binutils 2.40, powerpc64le-linux-gnu-readelf -W) on the
// committed fixture binaries. The ELF reader's header, sections, segments,
// symbols (with ELFv2 local entry) and relocations must match readelf's text,
// and symbolBytes must match objcopy's dump of the section.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readElf64 } from "../../src/elf/elf64.ts";

const DIR = new URL("../../fixtures/programs/", import.meta.url).pathname;
const FILES = readdirSync(DIR)
  .filter((f) => /\.(p9|p10|o)$/.test(f))
  .sort();

function tool(name: string, args: string[]): string {
  const r = spawnSync(name, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${name} not runnable (install binutils-powerpc64le-linux-gnu)`);
  assert.equal(r.status, 0, `${name} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const readelf = (file: string, ...opts: string[]) =>
  tool("powerpc64le-linux-gnu-readelf", ["-W", ...opts, join(DIR, file)]);

// readelf's names for section and segment types (gABI / GNU values).
const SHT_NAMES: Record<string, number> = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  GROUP: 17,
};
const PT_NAMES: Record<string, number> = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
};
const STT_NAMES: Record<string, number> = {
  NOTYPE: 0,
  OBJECT: 1,
  FUNC: 2,
  SECTION: 3,
  FILE: 4,
  COMMON: 5,
  TLS: 6,
};
const STB_NAMES: Record<string, number> = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };
const STV_NAMES: Record<string, number> = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 };
// readelf's section flag letters, in the order it prints them.
const SHF_LETTERS: [number, string][] = [
  [0x1, "W"],
  [0x2, "A"],
  [0x4, "X"],
  [0x10, "M"],
  [0x20, "S"],
  [0x40, "I"],
  [0x80, "L"],
  [0x100, "O"],
  [0x200, "G"],
  [0x400, "T"],
  [0x800, "C"],
];

function flagLetters(flags: bigint): string {
  let out = "";
  let rest = flags;
  for (const [bit, letter] of SHF_LETTERS) {
    if (flags & BigInt(bit)) {
      out += letter;
      rest &= ~BigInt(bit);
    }
  }
  assert.equal(rest, 0n, `unexpected section flag bits ${rest.toString(16)}`);
  return out;
}

const big = (hex: string) => BigInt(`0x${hex}`);

describe("oracle: readelf -W on fixtures/programs", () => {
  assert.ok(FILES.length >= 16, `expected the committed fixtures in ${DIR}`);
  for (const file of FILES) {
    const elf = readElf64(new Uint8Array(readFileSync(join(DIR, file))));

    it(`${file}: ELF header fields match readelf -h`, () => {
      const text = readelf(file, "-h");
      const field = (label: string) => {
        const m = new RegExp(`^\\s*${label}:\\s+(.*)$`, "m").exec(text);
        assert.ok(m, label);
        return m[1]!.trim();
      };
      assert.equal(elf.entry, BigInt(field("Entry point address")));
      assert.equal(elf.header.flags, Number.parseInt(field("Flags").split(",")[0]!, 16));
      assert.equal(elf.header.ppc64Abi, field("Flags").includes("abiv2") ? 2 : 0);
      assert.equal(elf.header.shnum, Number(field("Number of section headers")));
      assert.equal(elf.header.phnum, Number(field("Number of program headers")));
      assert.equal(elf.header.shstrndx, Number(field("Section header string table index")));
      assert.equal(elf.header.type, field("Type").startsWith("REL ") ? 1 : 2);
    });

    it(`${file}: sections match readelf -S`, () => {
      const rows = readelf(file, "-S")
        .split("\n")
        .map((l) =>
          /^\s*\[\s*(\d+)\]\s+(\S*?)\s+([A-Z_]+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(
            l,
          ),
        )
        .filter((m) => m !== null);
      assert.equal(rows.length, elf.sections.length);
      for (const m of rows) {
        const s = elf.sections[Number(m[1])]!;
        assert.equal(s.name, m[2], `section ${m[1]} name`);
        assert.equal(s.type, SHT_NAMES[m[3]!], `${s.name} type`);
        assert.equal(s.addr, big(m[4]!), `${s.name} addr`);
        assert.equal(s.offset, Number(big(m[5]!)), `${s.name} offset`);
        assert.equal(s.size, Number(big(m[6]!)), `${s.name} size`);
        assert.equal(s.entsize, Number(big(m[7]!)), `${s.name} entsize`);
        assert.equal(flagLetters(s.flags), m[8], `${s.name} flags`);
        assert.equal(s.link, Number(m[9]), `${s.name} link`);
        assert.equal(s.info, Number(m[10]), `${s.name} info`);
        assert.equal(s.addralign, BigInt(m[11]!), `${s.name} align`);
      }
    });

    it(`${file}: program headers match readelf -l`, () => {
      const rows = readelf(file, "-l")
        .split("\n")
        .map((l) =>
          /^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([R ][W ][E ])\s+0x([0-9a-f]+)\s*$/.exec(
            l,
          ),
        )
        .filter((m) => m !== null);
      assert.equal(rows.length, elf.segments.length);
      rows.forEach((m, i) => {
        const p = elf.segments[i]!;
        assert.equal(p.type, PT_NAMES[m[1]!], `segment ${i} type`);
        assert.equal(p.offset, Number(big(m[2]!)));
        assert.equal(p.vaddr, big(m[3]!));
        assert.equal(p.paddr, big(m[4]!));
        assert.equal(p.filesz, Number(big(m[5]!)));
        assert.equal(p.memsz, big(m[6]!));
        const f = `${p.flags & 4 ? "R" : " "}${p.flags & 2 ? "W" : " "}${p.flags & 1 ? "E" : " "}`;
        assert.equal(f, m[7]);
        assert.equal(p.align, big(m[8]!));
      });
    });

    it(`${file}: symbols match readelf -s, local entry included`, () => {
      const rows = readelf(file, "-s")
        .split("\n")
        .map((l) =>
          /^\s*(\d+):\s+([0-9a-f]{16})\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+\[<localentry>: (\d+)\])?\s+(\S+)\s?(.*)$/.exec(
            l,
          ),
        )
        .filter((m) => m !== null);
      assert.equal(rows.length, elf.symbols.length);
      assert.ok(rows.length > 10);
      let withLocalEntry = 0;
      for (const m of rows) {
        const s = elf.symbols[Number(m[1])]!;
        // readelf shows a section symbol (st_name 0) by its section's name.
        const shown = s.type === 3 && s.name === "" ? elf.sections[s.shndx]?.name : s.name;
        assert.equal(shown, m[9], `symbol ${m[1]} name`);
        assert.equal(s.value, big(m[2]!), `${s.name} value`);
        assert.equal(s.size, BigInt(m[3]!), `${s.name} size`);
        assert.equal(s.type, STT_NAMES[m[4]!], `${s.name} type`);
        assert.equal(s.bind, STB_NAMES[m[5]!], `${s.name} bind`);
        assert.equal(s.visibility, STV_NAMES[m[6]!], `${s.name} visibility`);
        const ndx = m[8]!;
        const shndx =
          ndx === "UND" ? 0 : ndx === "ABS" ? 0xfff1 : ndx === "COM" ? 0xfff2 : Number(ndx);
        assert.equal(s.shndx, shndx, `${s.name} shndx`);
        // readelf prints the byte offset, except field value 1 (single entry, r2 not kept) as "1".
        if (m[7] === undefined) {
          assert.equal(s.localEntry, 0, `${s.name} st_other`);
        } else {
          withLocalEntry++;
          if (m[7] === "1") assert.equal(s.localEntry, 1, `${s.name} local entry`);
          else assert.equal(s.localEntryOffset, Number(m[7]), `${s.name} local entry`);
        }
      }
      assert.ok(withLocalEntry > 0, "fixtures exercise st_other local entries");
    });

    it(`${file}: relocations match readelf -r`, () => {
      const text = readelf(file, "-r");
      const sections = text.split(/^Relocation section /m).slice(1);
      assert.equal(sections.length, elf.relocations.length);
      sections.forEach((chunk, i) => {
        const rs = elf.relocations[i]!;
        const head = /^'([^']+)' at offset 0x([0-9a-f]+) contains (\d+) entr/.exec(chunk);
        assert.ok(head);
        assert.equal(rs.section.name, head[1]);
        assert.equal(rs.section.offset, Number(big(head[2]!)));
        assert.equal(rs.entries.length, Number(head[3]));
        const rows = chunk
          .split("\n")
          .map((l) =>
            /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)\s+(?:([0-9a-f]{16})\s+(.*?)\s+([+-])\s+([0-9a-f]+)|([0-9a-f]+))\s*$/.exec(
              l,
            ),
          )
          .filter((m) => m !== null);
        assert.equal(rows.length, rs.entries.length);
        rows.forEach((m, j) => {
          const r = rs.entries[j]!;
          assert.equal(r.offset, big(m[1]!));
          assert.equal(r.info, big(m[2]!));
          assert.equal(r.typeName, m[3], `reloc ${j} type`);
          if (m[4] !== undefined) {
            assert.ok(r.symbol);
            assert.equal(r.symbol.value, big(m[4]));
            const shown = r.symbol.type === 3 ? elf.sections[r.symbol.shndx]?.name : r.symbol.name;
            assert.equal(shown, m[5]);
            assert.equal(r.addend, (m[6] === "-" ? -1n : 1n) * big(m[7]!));
          } else {
            assert.equal(r.symIndex, 0);
            assert.equal(r.addend, big(m[8]!));
          }
        });
      });
    });

    it(`${file}: symbolBytes of every function equals objcopy's section dump`, () => {
      const dir = mkdtempSync(join(tmpdir(), "textpoke-objcopy-"));
      try {
        const out = join(dir, "text.bin");
        tool("powerpc64le-linux-gnu-objcopy", [
          "-O",
          "binary",
          "--only-section=.text",
          join(DIR, file),
          out,
        ]);
        const text = new Uint8Array(readFileSync(out));
        const sec = elf.section(".text")!;
        const base = elf.header.type === 1 ? 0n : sec.addr;
        const funcs = elf.symbols.filter((s) => s.type === 2 && s.shndx === sec.index);
        assert.ok(funcs.length >= 3);
        for (const f of funcs) {
          const start = Number(f.value - base);
          assert.deepEqual(
            elf.symbolBytes(f),
            text.subarray(start, start + Number(f.size)),
            f.name,
          );
        }
        assert.deepEqual(elf.sectionBytes(".text"), text);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

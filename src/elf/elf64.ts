/**
 * A read-only view of a little-endian ELF64 file for 64-bit PowerPC (the
 * System V gABI structures Elf64_Ehdr, Elf64_Shdr, Elf64_Phdr, Elf64_Sym,
 * Elf64_Rela). Everything is parsed and validated up front by `readElf64`, so
 * a malformed file fails there with a one-line `UserError`, never later.
 *
 * Address-space quantities (addresses, symbol values and sizes, memsz, addends)
 * are bigints; file offsets and file sizes are numbers, checked to lie inside
 * the file.
 */
import { bad, ElfBytes, hx } from "./bytes.ts";
import {
  EI_ABIVERSION,
  EI_CLASS,
  EI_DATA,
  EI_OSABI,
  EI_VERSION,
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  EM_PPC64,
  ET,
  EV_CURRENT,
  PT,
  SHN,
  SHT,
} from "./constants.ts";
import {
  EF_PPC64_ABI,
  ppc64LocalEntryField,
  ppc64LocalEntryOffset,
  ppc64RelocName,
} from "./ppc64-reloc.ts";

export interface ElfHeader {
  readonly osabi: number;
  /** `e_ident[EI_ABIVERSION]`. */
  readonly identAbiVersion: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  /** `e_flags & EF_PPC64_ABI`: 1 = ELFv1, 2 = ELFv2, 0 = unspecified. */
  readonly ppc64Abi: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  /** The real section count (extended numbering resolved). */
  readonly shnum: number;
  /** The real section-name table index (extended numbering resolved). */
  readonly shstrndx: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: number;
  /** sh_size; for SHT_NOBITS it need not fit in the file but is a safe integer. */
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: number;
}

export interface ElfSegment {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: number;
  readonly memsz: bigint;
  readonly align: bigint;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** `ELF64_ST_TYPE(st_info)`. */
  readonly type: number;
  /** `ELF64_ST_BIND(st_info)`. */
  readonly bind: number;
  readonly other: number;
  /** `ELF64_ST_VISIBILITY(st_other)`. */
  readonly visibility: number;
  readonly shndx: number;
  /** ELFv2 local-entry field, st_other bits 5-7 (0..7). */
  readonly localEntry: number;
  /** Bytes from the global to the local entry point (`PPC64_LOCAL_ENTRY_OFFSET`). */
  readonly localEntryOffset: number;
}

export interface ElfRela {
  readonly offset: bigint;
  readonly info: bigint;
  /** `ELF64_R_TYPE(r_info)`. */
  readonly type: number;
  /** `R_PPC64_<NAME>`. */
  readonly typeName: string;
  /** `ELF64_R_SYM(r_info)`. */
  readonly symIndex: number;
  /** The referenced symbol; undefined for symbol index 0. */
  readonly symbol: ElfSymbol | undefined;
  readonly addend: bigint;
}

export interface ElfRelaSection {
  readonly section: ElfSection;
  /** The section the relocations apply to (sh_info), when there is one. */
  readonly target: ElfSection | undefined;
  readonly entries: readonly ElfRela[];
}

/** Beyond this many entries a table is rejected as absurd even if the file is large. */
const MAX_ENTRIES = 1 << 24;

export class Elf64 {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
  /** The symbols of SHT_SYMTAB (empty if there is none), index 0 included. */
  readonly symbols: readonly ElfSymbol[];
  readonly relocations: readonly ElfRelaSection[];

  constructor(
    bytes: Uint8Array,
    header: ElfHeader,
    sections: readonly ElfSection[],
    segments: readonly ElfSegment[],
    symbols: readonly ElfSymbol[],
    relocations: readonly ElfRelaSection[],
  ) {
    this.bytes = bytes;
    this.header = header;
    this.sections = sections;
    this.segments = segments;
    this.symbols = symbols;
    this.relocations = relocations;
  }

  /** `e_entry`. */
  get entry(): bigint {
    return this.header.entry;
  }

  /** The first section called `name`. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The first defined symbol called `name` (else the first of that name). */
  symbol(name: string): ElfSymbol | undefined {
    const all = this.symbols.filter((s) => s.name === name && s.index !== 0);
    return all.find((s) => s.shndx !== SHN.UNDEF) ?? all[0];
  }

  /** A section's file bytes (a view, not a copy). SHT_NOBITS has none. */
  sectionBytes(which: ElfSection | string): Uint8Array {
    const sec = typeof which === "string" ? this.section(which) : which;
    if (sec === undefined) throw bad(`no section named ${which as string}`);
    if (sec.type === SHT.NOBITS) throw bad(`section ${sec.name} has no file contents (NOBITS)`);
    return this.bytes.subarray(sec.offset, sec.offset + sec.size);
  }

  /**
   * The bytes a symbol covers (e.g. a function's text), from st_value and
   * st_size inside its section. st_value is an address in executables and
   * shared objects and a section offset in relocatable objects.
   */
  symbolBytes(which: ElfSymbol | string): Uint8Array {
    const sym = typeof which === "string" ? this.symbol(which) : which;
    if (sym === undefined) throw bad(`no symbol named ${which as string}`);
    if (sym.shndx === SHN.UNDEF || sym.shndx >= SHN.LORESERVE) {
      throw bad(`symbol ${sym.name} is not defined in a section (st_shndx ${hx(sym.shndx)})`);
    }
    const sec = this.sections[sym.shndx];
    if (sec === undefined) {
      throw bad(`symbol ${sym.name} has section index ${sym.shndx} of ${this.sections.length}`);
    }
    const base = this.header.type === ET.REL ? 0n : sec.addr;
    const start = sym.value - base;
    if (start < 0n || sym.size > BigInt(sec.size) || start > BigInt(sec.size) - sym.size) {
      throw bad(
        `symbol ${sym.name} (${hx(sym.value)}, ${sym.size} bytes) lies outside section ${sec.name}`,
      );
    }
    if (sec.type === SHT.NOBITS) throw bad(`symbol ${sym.name} is in NOBITS section ${sec.name}`);
    const off = sec.offset + Number(start);
    return this.bytes.subarray(off, off + Number(sym.size));
  }
}

function safe(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} ${hx(v)} is absurdly large`);
  return Number(v);
}

function readHeader(b: ElfBytes): ElfHeader {
  if (b.length < ELF64_EHDR_SIZE) {
    if (b.length >= 4 && !hasMagic(b.bytes)) throw bad("not an ELF file (bad magic)");
    throw bad(`file is ${b.length} bytes, shorter than the 64-byte ELF64 header`);
  }
  if (!hasMagic(b.bytes)) throw bad("not an ELF file (bad magic)");
  const cls = b.u8(EI_CLASS, "e_ident");
  if (cls !== ELFCLASS64) throw bad(`EI_CLASS ${cls}, expected 2 (ELF64)`);
  const data = b.u8(EI_DATA, "e_ident");
  if (data !== ELFDATA2LSB) throw bad(`EI_DATA ${data}, expected 1 (little-endian)`);
  const identVersion = b.u8(EI_VERSION, "e_ident");
  if (identVersion !== EV_CURRENT) throw bad(`EI_VERSION ${identVersion}, expected 1`);
  const machine = b.u16(18, "e_machine");
  if (machine !== EM_PPC64) throw bad(`e_machine ${machine}, expected 21 (EM_PPC64)`);
  const version = b.u32(20, "e_version");
  if (version !== EV_CURRENT) throw bad(`e_version ${version}, expected 1`);
  const flags = b.u32(48, "e_flags");
  const ehsize = b.u16(52, "e_ehsize");
  if (ehsize < ELF64_EHDR_SIZE) throw bad(`e_ehsize ${ehsize}, smaller than 64`);
  return {
    osabi: b.u8(EI_OSABI, "e_ident"),
    identAbiVersion: b.u8(EI_ABIVERSION, "e_ident"),
    type: b.u16(16, "e_type"),
    machine,
    version,
    entry: b.u64(24, "e_entry"),
    phoff: b.u64(32, "e_phoff"),
    shoff: b.u64(40, "e_shoff"),
    flags,
    ppc64Abi: flags & EF_PPC64_ABI,
    ehsize,
    phentsize: b.u16(54, "e_phentsize"),
    phnum: b.u16(56, "e_phnum"),
    shentsize: b.u16(58, "e_shentsize"),
    shnum: b.u16(60, "e_shnum"),
    shstrndx: b.u16(62, "e_shstrndx"),
  };
}

function hasMagic(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

interface RawShdr {
  name: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  addralign: bigint;
  entsize: bigint;
}

function readShdr(b: ElfBytes, at: number): RawShdr {
  return {
    name: b.u32(at, "sh_name"),
    type: b.u32(at + 4, "sh_type"),
    flags: b.u64(at + 8, "sh_flags"),
    addr: b.u64(at + 16, "sh_addr"),
    offset: b.u64(at + 24, "sh_offset"),
    size: b.u64(at + 32, "sh_size"),
    link: b.u32(at + 40, "sh_link"),
    info: b.u32(at + 44, "sh_info"),
    addralign: b.u64(at + 48, "sh_addralign"),
    entsize: b.u64(at + 56, "sh_entsize"),
  };
}

function readSections(b: ElfBytes, h: ElfHeader): { header: ElfHeader; sections: ElfSection[] } {
  if (h.shoff === 0n) {
    if (h.shnum !== 0) throw bad(`e_shnum ${h.shnum} with no section header table (e_shoff 0)`);
    return { header: h, sections: [] };
  }
  if (h.shentsize !== ELF64_SHDR_SIZE) {
    throw bad(`e_shentsize ${h.shentsize}, expected ${ELF64_SHDR_SIZE}`);
  }
  const shoff = b.range(h.shoff, BigInt(ELF64_SHDR_SIZE), "section header 0");
  const first = readShdr(b, shoff);
  // Extended numbering: a count or name index too big for the header lives in section 0.
  const count = h.shnum === 0 ? safe(first.size, "section count") : h.shnum;
  const strndx = h.shstrndx === SHN.XINDEX ? first.link : h.shstrndx;
  if (count > MAX_ENTRIES) throw bad(`section count ${count} is absurd`);
  b.range(
    h.shoff,
    BigInt(count) * BigInt(ELF64_SHDR_SIZE),
    "section header table",
    `${count} × ${ELF64_SHDR_SIZE} bytes`,
  );
  const raws: RawShdr[] = [];
  for (let i = 0; i < count; i++) raws.push(readShdr(b, shoff + i * ELF64_SHDR_SIZE));
  const header = { ...h, shnum: count, shstrndx: strndx };

  const place = (r: RawShdr, i: number): { offset: number; size: number } => {
    if (r.type === SHT.NOBITS || r.type === SHT.NULL) {
      return {
        offset: safe(r.offset, `section ${i} offset`),
        size: safe(r.size, `section ${i} size`),
      };
    }
    const offset = b.range(r.offset, r.size, `section ${i}`);
    return { offset, size: Number(r.size) };
  };
  const placed = raws.map(place);

  let names: { start: number; size: number; what: string } | undefined;
  if (count > 0 && strndx !== SHN.UNDEF) {
    const s = raws[strndx];
    if (s === undefined) throw bad(`e_shstrndx ${strndx} out of range (${count} sections)`);
    if (s.type === SHT.NOBITS || s.type === SHT.NULL) {
      throw bad(`section name table ${strndx} has no contents (type ${s.type})`);
    }
    names = {
      start: placed[strndx]!.offset,
      size: placed[strndx]!.size,
      what: "the section name table",
    };
  }
  const sections = raws.map((r, i): ElfSection => {
    const p = placed[i]!;
    const name = names ? b.cstring(names.start, names.size, r.name, names.what) : "";
    return {
      index: i,
      name,
      type: r.type,
      flags: r.flags,
      addr: r.addr,
      offset: p.offset,
      size: p.size,
      link: r.link,
      info: r.info,
      addralign: r.addralign,
      entsize: safe(r.entsize, `section ${i} entsize`),
    };
  });
  return { header, sections };
}

function readSegments(b: ElfBytes, h: ElfHeader): ElfSegment[] {
  if (h.phnum === 0) return [];
  if (h.phentsize !== ELF64_PHDR_SIZE) {
    throw bad(`e_phentsize ${h.phentsize}, expected ${ELF64_PHDR_SIZE}`);
  }
  const phoff = b.range(
    h.phoff,
    BigInt(h.phnum) * BigInt(ELF64_PHDR_SIZE),
    "program header table",
    `${h.phnum} × ${ELF64_PHDR_SIZE} bytes`,
  );
  const segments: ElfSegment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const at = phoff + i * ELF64_PHDR_SIZE;
    const offset = b.u64(at + 8, "p_offset");
    const filesz = b.u64(at + 32, "p_filesz");
    const memsz = b.u64(at + 40, "p_memsz");
    const type = b.u32(at, "p_type");
    const off = b.range(offset, filesz, `segment ${i}`);
    if (filesz > memsz && type === PT.LOAD) {
      throw bad(`PT_LOAD segment ${i} has p_filesz ${hx(filesz)} > p_memsz ${hx(memsz)}`);
    }
    segments.push({
      index: i,
      type,
      flags: b.u32(at + 4, "p_flags"),
      offset: off,
      vaddr: b.u64(at + 16, "p_vaddr"),
      paddr: b.u64(at + 24, "p_paddr"),
      filesz: Number(filesz),
      memsz,
      align: b.u64(at + 48, "p_align"),
    });
  }
  return segments;
}

function tableCount(sec: ElfSection, entsize: number, what: string): number {
  if (sec.type === SHT.NOBITS) throw bad(`${what} section ${sec.name} is NOBITS`);
  if (sec.entsize !== entsize) {
    throw bad(`${what} section ${sec.name} has sh_entsize ${sec.entsize}, expected ${entsize}`);
  }
  if (sec.size % entsize !== 0) {
    throw bad(`${what} section ${sec.name} size ${hx(sec.size)} is not a multiple of ${entsize}`);
  }
  return sec.size / entsize;
}

function readSymbols(b: ElfBytes, sections: readonly ElfSection[], sec: ElfSection): ElfSymbol[] {
  const count = tableCount(sec, ELF64_SYM_SIZE, "symbol table");
  const strtab = sections[sec.link];
  if (strtab === undefined || strtab.type !== SHT.STRTAB) {
    throw bad(`symbol table ${sec.name} links to section ${sec.link}, not a string table`);
  }
  const what = `string table ${strtab.name}`;
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const at = sec.offset + i * ELF64_SYM_SIZE;
    const info = b.u8(at + 4, "st_info");
    const other = b.u8(at + 5, "st_other");
    symbols.push({
      index: i,
      name: b.cstring(strtab.offset, strtab.size, b.u32(at, "st_name"), what),
      value: b.u64(at + 8, "st_value"),
      size: b.u64(at + 16, "st_size"),
      type: info & 0xf,
      bind: info >>> 4,
      other,
      visibility: other & 0x3,
      shndx: b.u16(at + 6, "st_shndx"),
      localEntry: ppc64LocalEntryField(other),
      localEntryOffset: ppc64LocalEntryOffset(other),
    });
  }
  return symbols;
}

function readRela(
  b: ElfBytes,
  sections: readonly ElfSection[],
  sec: ElfSection,
  symbolsOf: (s: ElfSection) => readonly ElfSymbol[],
): ElfRelaSection {
  const count = tableCount(sec, ELF64_RELA_SIZE, "relocation");
  let symbols: readonly ElfSymbol[] = [];
  if (sec.link !== SHN.UNDEF) {
    const symtab = sections[sec.link];
    if (symtab === undefined || (symtab.type !== SHT.SYMTAB && symtab.type !== SHT.DYNSYM)) {
      throw bad(`relocation section ${sec.name} links to section ${sec.link}, not a symbol table`);
    }
    symbols = symbolsOf(symtab);
  }
  let target: ElfSection | undefined;
  if (sec.info !== 0) {
    target = sections[sec.info];
    if (target === undefined) {
      throw bad(
        `relocation section ${sec.name} applies to section ${sec.info} of ${sections.length}`,
      );
    }
  }
  const entries: ElfRela[] = [];
  for (let i = 0; i < count; i++) {
    const at = sec.offset + i * ELF64_RELA_SIZE;
    const info = b.u64(at + 8, "r_info");
    const symIndex = Number(info >> 32n);
    const type = Number(info & 0xffff_ffffn);
    let symbol: ElfSymbol | undefined;
    if (symIndex !== 0) {
      symbol = symbols[symIndex];
      if (symbol === undefined) {
        throw bad(`relocation ${i} in ${sec.name} names symbol ${symIndex} of ${symbols.length}`);
      }
    }
    entries.push({
      offset: b.u64(at, "r_offset"),
      info,
      type,
      typeName: ppc64RelocName(type),
      symIndex,
      symbol,
      addend: b.i64(at + 16, "r_addend"),
    });
  }
  return { section: sec, target, entries };
}

/**
 * Parse and validate an ELF64 little-endian EM_PPC64 file. Throws `UserError`
 * (message starting `bad ELF:`) on any malformed input.
 * SIMPLIFICATION: SHT_REL (ppc64 uses RELA only) and SHT_SYMTAB_SHNDX (symbols
 * with st_shndx SHN_XINDEX) are not interpreted.
 */
export function readElf64(bytes: Uint8Array): Elf64 {
  const b = new ElfBytes(bytes);
  const { header, sections } = readSections(b, readHeader(b));
  const segments = readSegments(b, header);
  const symtabs = new Map<number, readonly ElfSymbol[]>();
  const symbolsOf = (s: ElfSection): readonly ElfSymbol[] => {
    let syms = symtabs.get(s.index);
    if (syms === undefined) {
      syms = readSymbols(b, sections, s);
      symtabs.set(s.index, syms);
    }
    return syms;
  };
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  const symbols = symtab ? symbolsOf(symtab) : [];
  const relocations = sections
    .filter((s) => s.type === SHT.RELA)
    .map((s) => readRela(b, sections, s, symbolsOf));
  return new Elf64(bytes, header, sections, segments, symbols, relocations);
}

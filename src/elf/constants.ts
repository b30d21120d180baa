/**
 * Generic ELF64 constants (System V gABI, the `Elf64_*` structures of
 * <elf.h>), named as in the specification. Values are `as const` objects, not
 * TS enums.
 */

/** `e_ident` indexes and values. */
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_ABIVERSION = 8;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;

/** Structure sizes of the 64-bit format. */
export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_RELA_SIZE = 24;

/** `e_type`. */
export const ET = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;

/** `e_machine` for 64-bit PowerPC. */
export const EM_PPC64 = 21;

/** `sh_type`. */
export const SHT = {
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
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
} as const;

/** `sh_flags` bits. */
export const SHF = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
  MERGE: 0x10,
  STRINGS: 0x20,
  INFO_LINK: 0x40,
  LINK_ORDER: 0x80,
  OS_NONCONFORMING: 0x100,
  GROUP: 0x200,
  TLS: 0x400,
  COMPRESSED: 0x800,
} as const;

/** Special section indexes. */
export const SHN = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  XINDEX: 0xffff,
} as const;

/** `p_type`. */
export const PT = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  SHLIB: 5,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
} as const;

/** `p_flags` bits. */
export const PF = { X: 0x1, W: 0x2, R: 0x4 } as const;

/** `ELF64_ST_TYPE(st_info)`. */
export const STT = {
  NOTYPE: 0,
  OBJECT: 1,
  FUNC: 2,
  SECTION: 3,
  FILE: 4,
  COMMON: 5,
  TLS: 6,
  GNU_IFUNC: 10,
} as const;

/** `ELF64_ST_BIND(st_info)`. */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2, GNU_UNIQUE: 10 } as const;

/** `ELF64_ST_VISIBILITY(st_other)`. */
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

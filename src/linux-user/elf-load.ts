/**
 * Loading a static ppc64le ELFv2 executable into a user address space, as
 * Linux's load_elf_binary (fs/binfmt_elf.c) does for a static binary: every
 * PT_LOAD segment mapped with its permissions, file bytes copied, the rest
 * (bss) zero, and the program break just after the highest segment.
 * Rejects what the kernel (or this model) would not run with a UserError.
 */
import { ET, PF, PT } from "../elf/constants.ts";
import { type Elf64, readElf64 } from "../elf/elf64.ts";
import { UserError } from "../util/user-error.ts";
import {
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  type UserAddressSpace,
} from "./address-space.ts";

/** Where a static-pie (ET_DYN without an interpreter) is placed. */
export const PIE_BASE = 0x1_0000_0000;

export interface LoadedImage {
  readonly elf: Elf64;
  /** Added to every p_vaddr (0 for ET_EXEC). */
  readonly bias: number;
  readonly entry: bigint;
  /** Address of the program headers in memory (AT_PHDR), or 0 if not loaded. */
  readonly phdr: bigint;
  readonly phnum: number;
  /** Initial program break (page-aligned end of the highest segment). */
  readonly brk: number;
}

/** Parse and check an executable; the message says what is wrong, on one line. */
export function checkExecutable(bytes: Uint8Array): Elf64 {
  let elf: Elf64;
  try {
    elf = readElf64(bytes);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`not a ppc64le executable: ${e.message}`);
    throw e;
  }
  const type = elf.header.type;
  if (type !== ET.EXEC && type !== ET.DYN) {
    throw new UserError(
      `not an executable (ELF type ${type}${type === ET.REL ? ", a relocatable object" : ""})`,
    );
  }
  if (elf.segments.some((s) => s.type === PT.INTERP)) {
    throw new UserError(
      "dynamically linked executables are not supported (it has PT_INTERP); link with -static",
    );
  }
  // Linux (and qemu) enter an executable without EF_PPC64_ABI = 2 through an
  // ELFv1 function descriptor at e_entry; only ELFv2 is modelled.
  if (elf.header.ppc64Abi !== 2) {
    throw new UserError(
      `ELFv${elf.header.ppc64Abi === 1 ? "1" : "1 (e_flags ABI 0)"} executables (entry through a function descriptor) are not supported; ELFv2 only`,
    );
  }
  if (!elf.segments.some((s) => s.type === PT.LOAD))
    throw new UserError("no PT_LOAD segment to load");
  return elf;
}

function protOf(flags: number): number {
  return (
    (flags & PF.R ? PROT_READ : 0) |
    (flags & PF.W ? PROT_WRITE : 0) |
    (flags & PF.X ? PROT_EXEC : 0)
  );
}

/** Map and copy the PT_LOAD segments of `elf` into `as`. */
export function loadElf(as: UserAddressSpace, elf: Elf64): LoadedImage {
  const bias = elf.header.type === ET.DYN ? PIE_BASE : 0;
  let end = 0;
  let phdr = 0n;
  const phoff = elf.header.phoff;
  for (const s of elf.segments) {
    if (s.type !== PT.LOAD) continue;
    const va = Number(s.vaddr) + bias;
    const memsz = Number(s.memsz);
    if (!Number.isSafeInteger(va) || va + memsz > 2 ** 47) {
      throw new UserError(
        `segment at 0x${s.vaddr.toString(16)} lies outside the user address range`,
      );
    }
    if (memsz === 0) continue;
    as.map(va, memsz, protOf(s.flags));
    if (s.filesz > 0) as.write(va, elf.bytes.subarray(s.offset, s.offset + s.filesz));
    end = Math.max(end, va + memsz);
    // AT_PHDR: the program headers when a loaded segment covers them in the file.
    if (phoff >= BigInt(s.offset) && phoff < BigInt(s.offset + s.filesz)) {
      phdr = BigInt(va) + (phoff - BigInt(s.offset));
    }
  }
  return {
    elf,
    bias,
    entry: elf.entry + BigInt(bias),
    phdr,
    phnum: elf.header.phnum,
    brk: Math.ceil(end / PAGE_SIZE) * PAGE_SIZE,
  };
}

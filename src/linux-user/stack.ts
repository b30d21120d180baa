/**
 * The initial user stack, laid out as Linux's create_elf_tables
 * (fs/binfmt_elf.c) builds it for a 64-bit task: from the top, the argument
 * and environment strings, the platform string and the 16 AT_RANDOM bytes,
 * then (16-byte aligned) argc, argv[], NULL, envp[], NULL, the auxiliary
 * vector (AT_* pairs ending with AT_NULL). r1 points at argc.
 */
import type { CpuModel } from "../machine/interp.ts";
import { PAGE_SIZE, PROT_READ, PROT_WRITE, type UserAddressSpace } from "./address-space.ts";
import type { LoadedImage } from "./elf-load.ts";

/** Top of the stack mapping and its size (8 MiB, the usual RLIMIT_STACK). */
export const STACK_TOP = 0x7fff_ffff_0000;
export const STACK_SIZE = 8 * 1024 * 1024;

/** Auxiliary vector types (include/uapi/linux/auxvec.h, asm/auxvec.h for powerpc). */
export const AT = {
  NULL: 0,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  DCACHEBSIZE: 19,
  ICACHEBSIZE: 20,
  UCACHEBSIZE: 21,
  SECURE: 23,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
} as const;

/**
 * AT_HWCAP / AT_HWCAP2 (arch/powerpc/include/uapi/asm/cputable.h bits): a
 * 64-bit little-endian server CPU with FPU, AltiVec, VSX, DFP, SMT, ISA 2.06
 * (HWCAP), and ISA 2.07/3.00 features, plus ISA 3.1 and MMA on POWER10 (HWCAP2).
 */
export const HWCAP = 0xdc00_65c2;
const HWCAP2_POWER9 = 0xaef0_0000;
const HWCAP2_POWER10 = 0xaef6_0000;

/** Block sizes Linux reports for POWER9/POWER10 (128-byte cache lines). */
const CACHE_BLOCK = 128;

/**
 * AT_RANDOM bytes: fixed, so runs are reproducible.
 * SIMPLIFICATION: not random.
 */
const RANDOM_BYTES = Uint8Array.from({ length: 16 }, (_, i) => (i * 0x3b + 0x11) & 0xff);

export interface InitialStack {
  /** The stack pointer (r1): the address of argc. */
  readonly sp: bigint;
}

/** Map the stack and write argv/envp/auxv into it. */
export function buildStack(
  as: UserAddressSpace,
  image: LoadedImage,
  argv: readonly string[],
  envp: readonly string[],
  cpu: CpuModel,
): InitialStack {
  as.map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE);
  const enc = new TextEncoder();
  let top = STACK_TOP;
  const putBytes = (b: Uint8Array): number => {
    top -= b.length;
    as.write(top, b);
    return top;
  };
  const putString = (s: string): number => putBytes(enc.encode(`${s}\0`));
  // Strings first (highest addresses): execfn, envp, argv, platform, random.
  const execfn = putString(argv[0] ?? "");
  const envAddrs = envp.map(putString);
  const argAddrs = argv.map(putString);
  const platform = putString(cpu);
  top -= top % 16;
  const random = putBytes(RANDOM_BYTES);
  const auxv: [number, number][] = [
    [AT.PHDR, Number(image.phdr)],
    [AT.PHENT, 56],
    [AT.PHNUM, image.phnum],
    [AT.PAGESZ, PAGE_SIZE],
    [AT.BASE, 0],
    [AT.FLAGS, 0],
    [AT.ENTRY, Number(image.entry)],
    [AT.UID, 0],
    [AT.EUID, 0],
    [AT.GID, 0],
    [AT.EGID, 0],
    [AT.HWCAP, HWCAP],
    [AT.HWCAP2, cpu === "power10" ? HWCAP2_POWER10 : HWCAP2_POWER9],
    [AT.CLKTCK, 100],
    [AT.DCACHEBSIZE, CACHE_BLOCK],
    [AT.ICACHEBSIZE, CACHE_BLOCK],
    [AT.UCACHEBSIZE, 0],
    [AT.SECURE, 0],
    [AT.RANDOM, random],
    [AT.PLATFORM, platform],
    [AT.EXECFN, execfn],
    [AT.NULL, 0],
  ];
  const words: number[] = [argv.length, ...argAddrs, 0, ...envAddrs, 0, ...auxv.flat()];
  top -= words.length * 8;
  top -= top % 16;
  const table = new Uint8Array(words.length * 8);
  const dv = new DataView(table.buffer);
  words.forEach((v, i) => {
    dv.setBigUint64(i * 8, BigInt(v), true);
  });
  as.write(top, table);
  if (top < STACK_TOP - STACK_SIZE + PAGE_SIZE) throw new Error("arguments do not fit the stack");
  return { sp: BigInt(top) };
}

/**
 * The ppc64 half of module loading (arch/powerpc/kernel/module_64.c, v6.2,
 * ELFv2 without pcrel): the module's TOC pointer (`my_r2`), the call stubs
 * through which a module reaches kernel functions (`ppc64_stub_entry`,
 * `create_stub`, `stub_for_addr`, `restore_r2`) and `apply_relocate_add`.
 * Pure functions over the module's image being built: no kernel state.
 */
import { SHN } from "../../../../elf/constants.ts";
import type { Elf64, ElfRela, ElfSymbol } from "../../../../elf/elf64.ts";
import { applyPpc64Reloc, R_PPC64 } from "../../../../elf/ppc64-reloc.ts";

/** `sizeof(struct ppc64_stub_entry)` for ELFv2: `u32 jump[7]; u32 magic; func_desc_t funcdata`. */
export const PPC64_STUB_SIZE = 40;
/** `STUB_MAGIC` ("stub" in the word after the jump). */
export const STUB_MAGIC = 0x7374_7562;
/** Offset of `funcdata` (the target address) in a stub. */
const STUB_FUNCDATA = 32;
/** `R2_STACK_OFFSET` (ELFv2): where a caller's TOC pointer is saved across a stub. */
export const R2_STACK_OFFSET = 24;
/** `PPC_INST_NOP`. */
export const PPC_INST_NOP = 0x6000_0000;
/** `PPC_INST_LD_TOC`: `ld r2,24(r1)`, what `restore_r2()` puts after a call through a stub. */
export const PPC_INST_LD_TOC = 0xe841_0018;

/** The bias of the TOC pointer over the start of the TOC (`my_r2()`: `sh_addr + 0x8000`). */
export const TOC_BIAS = 0x8000n;

/**
 * Models `ppc64_stub_insns[]` with the immediates `create_stub()` fills in:
 * r11 = this stub (r2-relative), save r2, load the target from `funcdata`,
 * jump through CTR with r12 = the target's global entry (it sets up its own TOC).
 */
export function ppc64StubInsns(stubAddr: bigint, myR2: bigint): number[] {
  const reladdr = stubAddr - myR2;
  const lo = Number(BigInt.asUintN(16, reladdr));
  const ha = Number(BigInt.asUintN(16, (reladdr + 0x8000n) >> 16n));
  return [
    (0x3d62_0000 | ha) >>> 0, // addis r11,r2,ha
    (0x396b_0000 | lo) >>> 0, // addi  r11,r11,lo
    0xf841_0018, //              std   r2,24(r1)
    0xe98b_0020, //              ld    r12,32(r11)
    0x7d89_03a6, //              mtctr r12
    0x4e80_0420, //              bctr
    0, //                        (jump[6], unused)
  ];
}

/**
 * Models `get_stubs_size()`: one stub per REL24 relocation (an upper bound:
 * the kernel counts them too, without de-duplicating), plus the zeroed
 * sentinel entry that ends the search in `stub_for_addr()`.
 */
export function getStubsSize(elf: Elf64): number {
  let n = 1;
  for (const rs of elf.relocations) for (const r of rs.entries) if (r.type === R_PPC64.REL24) n++;
  return n * PPC64_STUB_SIZE;
}

/** Where a section of the module was placed. */
export interface ModuleSectionPlace {
  /** Offset in the module's image. */
  readonly offset: number;
  /** Final address. */
  readonly addr: bigint;
}

/** What `apply_relocate_add` needs besides the object. */
export interface ModuleRelocContext {
  /** The module's image (all sections at their offsets); relocated in place. */
  readonly image: Uint8Array;
  /** The address of image[0]. */
  readonly base: bigint;
  /** Section index → placement, for SHF_ALLOC sections. */
  readonly placement: ReadonlyMap<number, ModuleSectionPlace>;
  /** The stubs area: offset in the image and size. */
  readonly stubsOffset: number;
  readonly stubsSize: number;
  /** `my_r2(sechdrs, me)`. */
  readonly toc: bigint;
  /** The value of an undefined symbol (simplify_symbols' result). */
  readonly resolve: (sym: ElfSymbol) => bigint;
  /** `%pS` of an address inside the module, for the messages. */
  readonly describe: (addr: bigint) => string;
}

/** The result of relocating: 0 or a negative errno, with the kernel's message. */
export interface RelocResult {
  readonly ret: number;
  readonly message?: string;
}

const ENOEXEC = 8;
const ENOENT = 2;

function word(img: Uint8Array, off: number): number {
  return new DataView(img.buffer, img.byteOffset, img.byteLength).getUint32(off, true);
}
function setWord(img: Uint8Array, off: number, w: number): void {
  new DataView(img.buffer, img.byteOffset, img.byteLength).setUint32(off, w >>> 0, true);
}

/**
 * Models `stub_for_addr(sechdrs, addr, me, name)`: the existing stub for
 * `addr`, or a new one after the last (`create_stub`). Null when the stubs
 * area is full ("%s: No stubs section", the kernel's BUG-worthy overflow).
 */
function stubForAddr(ctx: ModuleRelocContext, addr: bigint): bigint | null {
  const view = new DataView(ctx.image.buffer, ctx.image.byteOffset, ctx.image.byteLength);
  const count = ctx.stubsSize / PPC64_STUB_SIZE;
  for (let i = 0; i < count - 1; i++) {
    const off = ctx.stubsOffset + i * PPC64_STUB_SIZE;
    const at = ctx.base + BigInt(off);
    const funcdata = view.getBigUint64(off + STUB_FUNCDATA, true);
    if (funcdata === 0n) {
      // create_stub(): the jump, the magic, then the target.
      ppc64StubInsns(at, ctx.toc).forEach((w, j) => {
        setWord(ctx.image, off + 4 * j, w);
      });
      setWord(ctx.image, off + 28, STUB_MAGIC);
      view.setBigUint64(off + STUB_FUNCDATA, addr, true);
      return at;
    }
    if (funcdata === addr) return at;
  }
  return null;
}

/**
 * Models `restore_r2(name, instruction, me)`: a call through a stub must be
 * followed by a `nop`, which becomes `ld r2,24(r1)`. The kernel message when not.
 */
function restoreR2(ctx: ModuleRelocContext, off: number): string | null {
  const next = word(ctx.image, off + 4);
  if (next !== PPC_INST_NOP) {
    const hex = next.toString(16).padStart(8, "0");
    return `Expected nop after call, got ${hex} at ${ctx.describe(ctx.base + BigInt(off))}`;
  }
  setWord(ctx.image, off + 4, PPC_INST_LD_TOC);
  return null;
}

/** The value (S) of a relocation's symbol, or null for an undefined one the caller resolves. */
function symbolValue(ctx: ModuleRelocContext, sym: ElfSymbol | undefined): bigint | null {
  if (sym === undefined) return 0n;
  if (sym.name === ".TOC.") return ctx.toc;
  if (sym.shndx === SHN.ABS) return sym.value;
  if (sym.shndx === SHN.UNDEF) return null;
  const p = ctx.placement.get(sym.shndx);
  if (p === undefined) return null;
  return p.addr + sym.value;
}

/**
 * Models `apply_relocate_add(sechdrs, strtab, symindex, relsec, me)` for
 * every RELA section whose target was placed: REL24 calls (to a kernel
 * symbol always through a stub, then `restore_r2`; to a module function at
 * its local entry), the TOC16 family against `my_r2`, REL16_* for the global
 * entry's TOC setup, ADDR64/ADDR32/REL32/REL64. The kernel's messages on
 * failure (its `pr_err`s), -ENOEXEC.
 */
export function applyRelocateAdd(elf: Elf64, ctx: ModuleRelocContext): RelocResult {
  for (const rs of elf.relocations) {
    const target = rs.target;
    if (target === undefined) continue;
    const placed = ctx.placement.get(target.index);
    if (placed === undefined) continue;
    for (const r of rs.entries) {
      const res = applyOne(ctx, placed, r);
      if (res !== null) return res;
    }
  }
  return { ret: 0 };
}

function applyOne(
  ctx: ModuleRelocContext,
  placed: ModuleSectionPlace,
  r: ElfRela,
): RelocResult | null {
  const off = placed.offset + Number(r.offset);
  const p = placed.addr + r.offset;
  const sym = r.symbol;
  let s = symbolValue(ctx, sym);
  const undef = sym !== undefined && sym.shndx === SHN.UNDEF && sym.name !== ".TOC.";
  if (undef) s = ctx.resolve(sym);
  if (s === null) return { ret: -ENOENT, message: `unplaced symbol ${sym?.name ?? "?"}` };
  if (r.type === R_PPC64.REL24) {
    if (undef) {
      // External call: via a stub, then restore the caller's TOC pointer.
      const stub = stubForAddr(ctx, s + r.addend);
      if (stub === null) return { ret: -ENOEXEC, message: "No stubs left" };
      const why = restoreR2(ctx, off);
      if (why !== null) return { ret: -ENOEXEC, message: why };
      s = stub;
      const a = 0n;
      return finish(ctx, off, r.type, { s, a, p, toc: ctx.toc });
    }
    // A call within the module enters after the callee's TOC setup.
    s += BigInt(sym?.localEntryOffset ?? 0);
    const rel = s + r.addend - p;
    if (rel + 0x200_0000n >= 0x400_0000n || (rel & 3n) !== 0n)
      return { ret: -ENOEXEC, message: `REL24 ${rel} out of range!` };
  }
  return finish(ctx, off, r.type, { s, a: r.addend, p, toc: ctx.toc });
}

function finish(
  ctx: ModuleRelocContext,
  off: number,
  type: number,
  v: { s: bigint; a: bigint; p: bigint; toc: bigint },
): RelocResult | null {
  const why = applyPpc64Reloc(ctx.image, off, type, v);
  if (why === null) return null;
  // SIMPLIFICATION: out-of-range TOC offsets and unknown types share one message shape.
  return {
    ret: -ENOEXEC,
    message: why.endsWith("not supported") ? `Unknown ADD relocation: ${type}` : why,
  };
}

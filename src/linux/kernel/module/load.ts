/**
 * Loading and unloading modules: kernel/module/main.c (`load_module`,
 * `layout_sections`, `simplify_symbols`, `check_modinfo`, `do_init_module`,
 * `free_module`, `delete_module`), kernel/module/strict_rwx.c
 * (`module_enable_ro/nx/x`) and kernel/module/kallsyms.c (the module's
 * symbols in kallsyms), v6.2. The arch part (stubs, relocations) is
 * arch/powerpc/kernel/module_64.ts.
 *
 * A module is a relocatable ppc64le ELF object (a `.ko` is one, `ld -r`'d).
 * Its SHF_ALLOC sections are laid out as the core layout — text (with the
 * `.stubs` section), rodata, data — page-aligned from one `module_alloc()`.
 * SIMPLIFICATION: `.init*` sections go to the core layout (no separate init
 * layout freed after init); module signatures, versions, parameters,
 * `.gnu.linkonce.this_module` and sysfs are not modelled; the name is given
 * by the caller (as `modprobe NAME` would).
 */
import { EM_PPC64, ET, SHF, SHN, SHT, STB, STT } from "../../../elf/constants.ts";
import { type Elf64, type ElfSymbol, readElf64 } from "../../../elf/elf64.ts";
import { icbiOp, isync, st } from "../../../machine/task-ops.ts";
import { moduleAlloc } from "../../arch/powerpc/kernel/module.ts";
import {
  applyRelocateAdd,
  getStubsSize,
  type ModuleSectionPlace,
  TOC_BIAS,
} from "../../arch/powerpc/kernel/module_64.ts";
import {
  changeMemoryAttr,
  SET_MEMORY_NX,
  SET_MEMORY_RO,
  SET_MEMORY_X,
} from "../../arch/powerpc/mm/pageattr.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import type { Kernel } from "../../core/kernel.ts";
import { kfunc } from "../../core/kfunc.ts";
import { callCompiledAt } from "../../image/call-compiled.ts";
import { ENOENT, ENOMEM } from "../../include/uapi/errno.ts";
import { vfree } from "../../mm/vmalloc.ts";
import type { KallsymsEntry } from "../kallsyms.ts";
import { addTaintTo, getTaint, TAINT_OOT_MODULE, testTaint } from "../panic.ts";
import { findModule, MODULES, type Module, type ModuleSymbol } from "./list.ts";

export {
  findModule,
  loadedModules,
  type Module,
  type ModuleSymbol,
  moduleTextAddress,
  printModulesOf,
} from "./list.ts";

/** `ENOEXEC` (include/uapi/asm-generic/errno-base.h). */
export const ENOEXEC = 8;
/** `EEXIST`. */
export const EEXIST = 17;
/** `EBUSY`. */
const EBUSY = 16;

const FILE = "kernel/module/main.c";

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** The kernel's `elf_validity_check()` checks that apply here; the message or null. */
function elfValidityCheck(bytes: Uint8Array): string | null {
  if (bytes.length < 64) return `Invalid ELF header len ${bytes.length}`;
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    return "Invalid ELF header magic: != \x7fELF";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  if (type !== ET.REL) return `Invalid ELF header type: ${type} != ${ET.REL}`;
  const machine = view.getUint16(18, true);
  if (machine !== EM_PPC64) return `Invalid architecture in ELF header: ${machine}`;
  return null;
}

/** `get_modinfo(info, tag)`: the value of `tag=` in .modinfo, or undefined. */
function getModinfo(elf: Elf64, tag: string): string | undefined {
  const sec = elf.sections.find((s) => s.name === ".modinfo");
  if (sec === undefined) return undefined;
  const text = new TextDecoder().decode(elf.sectionBytes(sec));
  for (const entry of text.split("\0")) {
    if (entry.startsWith(`${tag}=`)) return entry.slice(tag.length + 1);
  }
  return undefined;
}

type Part = "text" | "rodata" | "data";

/** `layout_sections()`'s class of a section, or null when it is not loaded. */
function partOf(name: string, type: number, flags: bigint): Part | null {
  const f = Number(flags);
  if ((f & SHF.ALLOC) === 0 || type === SHT.NULL) return null;
  // The loader clears SHF_ALLOC on .modinfo and __versions (rewrite_section_headers).
  if (name === ".modinfo" || name === "__versions") return null;
  if (f & SHF.EXECINSTR) return "text";
  return f & SHF.WRITE ? "data" : "rodata";
}

interface Layout {
  readonly placement: Map<number, { part: Part; offset: number }>;
  readonly textSize: number;
  readonly roSize: number;
  readonly size: number;
  readonly stubsIndex: number;
  readonly stubsSize: number;
}

/**
 * Models `layout_sections()` (+ `module_frob_arch_sections()` sizing
 * `.stubs`): text, then rodata, then data, each part rounded to a page
 * under strict module RWX (`debug_align`).
 */
function layoutSections(elf: Elf64, pageSize: number, strict: boolean): Layout | null {
  const stubs = elf.sections.find((s) => s.name === ".stubs");
  if (stubs === undefined) return null;
  const stubsSize = getStubsSize(elf);
  const placement = new Map<number, { part: Part; offset: number }>();
  let size = 0;
  const ends: Record<Part, number> = { text: 0, rodata: 0, data: 0 };
  for (const part of ["text", "rodata", "data"] as const) {
    for (const sec of elf.sections) {
      if (partOf(sec.name, sec.type, sec.flags) !== part) continue;
      const secSize = sec.index === stubs.index ? stubsSize : sec.size;
      const off = alignUp(size, Math.max(1, Number(sec.addralign)));
      placement.set(sec.index, { part, offset: off });
      size = off + secSize;
    }
    if (strict) size = alignUp(size, pageSize);
    ends[part] = size;
  }
  return {
    placement,
    textSize: ends.text,
    roSize: ends.rodata,
    size: ends.data,
    stubsIndex: stubs.index,
    stubsSize,
  };
}

/** Models `module_flags_taint()`'s input: `add_taint_module(mod, flag)`. */
function addTaintModule(c: Ctx, mod: { taints: number }, flag: number): void {
  mod.taints |= 1 << flag;
  addTaintTo(c.k, flag);
}

/** `elf_type()`'s letter for a module symbol (kernel/module/kallsyms.c). */
function typeLetter(part: Part, nobits: boolean, global: boolean): string {
  const t = part === "text" ? "t" : part === "rodata" ? "r" : nobits ? "b" : "d";
  return global ? t.toUpperCase() : t;
}

/**
 * Call a function of module code at `entry` (its global entry) with integer
 * arguments on `c.cpu`, as the kernel calls `mod->init`; returns r3, or null
 * if the call did not return (an oops, the instruction budget).
 */
export function* callModuleFunction(
  c: Ctx,
  entry: bigint,
  args: readonly bigint[] = [],
): KGen<bigint | null> {
  return yield* callCompiledAt(c, entry, args);
}

/** An `int` return value from r3. */
const asInt = (v: bigint): number => Number(BigInt.asIntN(32, v));

/**
 * Copy the finished image into the module's mapping (`move_module()`'s
 * memcpy) and flush the icache over its text (`flush_module_icache()`).
 * SIMPLIFICATION: relocations are applied to the image before the copy, not
 * in place after it: the bytes that end up in memory are the same.
 */
function* moveModule(c: Ctx, base: bigint, image: Uint8Array, textSize: number): KGen<void> {
  const m = c.k.machine;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let off = 0; off + 8 <= image.length; off += 8) {
    const f = yield* st(m, c.cpu, base + BigInt(off), 8, view.getBigUint64(off, true));
    if (f !== null) throw new Error(`move_module: store at +0x${off.toString(16)} faulted`);
  }
  for (let off = 0; off < textSize; off += 128) {
    const f = yield* icbiOp(m, c.cpu, base + BigInt(off));
    if (f !== null) throw new Error(`flush_module_icache: icbi at +0x${off.toString(16)} faulted`);
  }
  yield* isync(m, c.cpu);
}

/**
 * Models `module_enable_ro()`, `module_enable_nx()` and `module_enable_x()`
 * (kernel/module/strict_rwx.c): text and rodata read-only, rodata and data
 * not executable, text executable.
 * SIMPLIFICATION: strict module RWX follows CONFIG_STRICT_KERNEL_RWX (the
 * default on ppc64, where STRICT_MODULE_RWX defaults to it), as kprobes.ts does.
 */
function* moduleEnableRwx(c: Ctx, mod: Module): KGen<void> {
  if (!c.k.config.bool("STRICT_KERNEL_RWX")) return;
  const ps = c.k.config.pageSize;
  const pages = (from: number, to: number) => Math.max(0, (to - from) / ps);
  yield* changeMemoryAttr(c, mod.base, pages(0, mod.roSize), SET_MEMORY_RO);
  yield* changeMemoryAttr(
    c,
    mod.base + BigInt(mod.textSize),
    pages(mod.textSize, mod.size),
    SET_MEMORY_NX,
  );
  yield* changeMemoryAttr(c, mod.base, pages(0, mod.textSize), SET_MEMORY_X);
}

/** The resolution of one undefined symbol (`resolve_symbol_wait`), or undefined. */
function resolveSymbol(k: Kernel, name: string): bigint | undefined {
  // SIMPLIFICATION: every global core-kernel symbol counts as exported
  // (EXPORT_SYMBOL is not modelled); other modules' globals too.
  const s = k.kallsyms.symbolByName(name);
  if (s === undefined) return undefined;
  return s.type === s.type.toUpperCase() ? s.address : undefined;
}

/** The module's kallsyms: its named FUNC/OBJECT symbols, sized to the next symbol. */
function moduleSymbols(
  elf: Elf64,
  layout: Layout,
  base: bigint,
): { symbols: Map<string, ModuleSymbol>; entries: KallsymsEntry[] } {
  const raw: { sym: ElfSymbol; part: Part; offset: number; nobits: boolean }[] = [];
  for (const s of elf.symbols) {
    if (s.index === 0 || s.name === "" || s.shndx === SHN.UNDEF || s.shndx >= SHN.LORESERVE)
      continue;
    if (s.type !== STT.FUNC && s.type !== STT.OBJECT && s.type !== STT.NOTYPE) continue;
    const p = layout.placement.get(s.shndx);
    if (p === undefined) continue;
    const nobits = elf.sections[s.shndx]?.type === SHT.NOBITS;
    raw.push({ sym: s, part: p.part, offset: p.offset + Number(s.value), nobits });
  }
  raw.sort((a, b) => a.offset - b.offset);
  const partEnd: Record<Part, number> = {
    text: layout.textSize,
    rodata: layout.roSize,
    data: layout.size,
  };
  const symbols = new Map<string, ModuleSymbol>();
  const entries: KallsymsEntry[] = [];
  raw.forEach((r, i) => {
    // find_kallsyms_symbol(): a symbol runs to the next one, or the end of its part.
    const next = raw.slice(i + 1).find((n) => n.offset > r.offset && n.part === r.part);
    const size = (next?.offset ?? partEnd[r.part]) - r.offset;
    const global = r.sym.bind !== STB.LOCAL;
    const address = base + BigInt(r.offset);
    const ms: ModuleSymbol = {
      name: r.sym.name,
      address,
      size,
      func: r.sym.type === STT.FUNC,
      localEntryOffset: r.sym.localEntryOffset,
    };
    if (!symbols.has(ms.name) || global) symbols.set(ms.name, ms);
    entries.push({ name: ms.name, address, size, type: typeLetter(r.part, r.nobits, global) });
  });
  return { symbols, entries };
}

/**
 * Models `load_module(info, uargs, flags)` (the `init_module` syscall path):
 * check the ELF, lay out and allocate the module, resolve its undefined
 * symbols against the kernel, relocate, copy, add its symbols to kallsyms,
 * make its memory RO/NX/X, run its init (`do_init_module`) and mark it live.
 * Returns the module or a negative errno: -ENOEXEC for a bad ELF, a missing
 * `.stubs` or a bad relocation; -EEXIST if a module of that name is loaded;
 * -ENOMEM when module_alloc fails; -ENOENT for an unknown symbol; init's
 * negative return value.
 */
export const loadModule = kfunc(
  { name: "load_module", file: FILE, size: 0x1a40 },
  function* (c: Ctx, name: string, bytes: Uint8Array): KGen<Module | number> {
    const k = c.k;
    const pid = c.current.pid;
    const bad = elfValidityCheck(bytes);
    if (bad !== null) {
      k.printk.prErr(`${bad}\n`, pid);
      return -ENOEXEC;
    }
    let elf: Elf64;
    try {
      elf = readElf64(bytes);
    } catch {
      // elf_validity_check()'s section-header checks: malformed headers or tables.
      k.printk.prErr("Invalid ELF section headers\n", pid);
      return -ENOEXEC;
    }
    if (findModule(k, name) !== undefined) return -EEXIST;
    const mod0 = { taints: 0 };
    // check_modinfo(): a module without "intree" taints the kernel O.
    if (getModinfo(elf, "intree") === undefined) {
      if (!testTaint(getTaint(k), TAINT_OOT_MODULE))
        k.printk.prWarn(`${name}: loading out-of-tree module taints kernel.\n`, pid);
      addTaintModule(c, mod0, TAINT_OOT_MODULE);
    }
    const ps = k.config.pageSize;
    const strict = k.config.bool("STRICT_KERNEL_RWX");
    const layout = layoutSections(elf, ps, strict);
    if (layout === null) {
      k.printk.prErr(`${name}: doesn't contain .stubs.\n`, pid);
      return -ENOEXEC;
    }
    // simplify_symbols(): every undefined symbol must resolve (weak ones may not).
    const resolved = new Map<string, bigint>();
    for (const s of elf.symbols) {
      if (s.index === 0 || s.shndx !== SHN.UNDEF || s.name === "" || s.name === ".TOC.") continue;
      const v = resolveSymbol(k, s.name);
      if (v === undefined) {
        if (s.bind === STB.WEAK) {
          resolved.set(s.name, 0n);
          continue;
        }
        k.printk.prWarn(`${name}: Unknown symbol ${s.name} (err ${-ENOENT})\n`, pid);
        return -ENOENT;
      }
      resolved.set(s.name, v);
    }
    const base = yield* moduleAlloc(c, layout.size);
    if (base === null) return -ENOMEM;
    const image = new Uint8Array(layout.size);
    const placement = new Map<number, ModuleSectionPlace>();
    const sections = new Map<string, bigint>();
    for (const [index, p] of layout.placement) {
      const sec = elf.sections[index]!;
      if (sec.type !== SHT.NOBITS) image.set(elf.sectionBytes(sec), p.offset);
      const addr = base + BigInt(p.offset);
      placement.set(index, { offset: p.offset, addr });
      sections.set(sec.name, addr);
    }
    const stubsOffset = layout.placement.get(layout.stubsIndex)!.offset;
    // my_r2(): the .toc section if there is one, else .stubs, plus 0x8000.
    const tocSec = elf.sections.find((s) => s.name === ".toc" && layout.placement.has(s.index));
    const toc =
      (tocSec !== undefined ? placement.get(tocSec.index)!.addr : base + BigInt(stubsOffset)) +
      TOC_BIAS;
    const syms = moduleSymbols(elf, layout, base);
    const describe = (addr: bigint): string => {
      for (const s of syms.symbols.values()) {
        if (addr >= s.address && addr < s.address + BigInt(s.size))
          return `${s.name}+0x${(addr - s.address).toString(16)}/0x${s.size.toString(16)} [${name}]`;
      }
      return `0x${addr.toString(16)}`;
    };
    const rel = applyRelocateAdd(elf, {
      image,
      base,
      placement,
      stubsOffset,
      stubsSize: layout.stubsSize,
      toc,
      resolve: (s) => resolved.get(s.name) ?? 0n,
      describe,
    });
    if (rel.ret !== 0) {
      if (rel.message !== undefined) k.printk.prErr(`${name}: ${rel.message}\n`, pid);
      yield* vfree(c, base);
      return rel.ret;
    }
    yield* moveModule(c, base, image, layout.textSize);
    const entry = (n: string): bigint | null => {
      const s = syms.symbols.get(n);
      return s?.func === true ? s.address : null;
    };
    const mod: Module = {
      name,
      state: "coming",
      taints: mod0.taints,
      base,
      size: layout.size,
      textSize: layout.textSize,
      roSize: layout.roSize,
      toc,
      stubs: base + BigInt(stubsOffset),
      symbols: syms.symbols,
      sections,
      init: entry("init_module"),
      exit: entry("cleanup_module"),
    };
    // add_kallsyms() + list_add_rcu(): visible to kallsyms and print_modules from here.
    k.kallsyms.add(syms.entries.map((e) => ({ ...e, module: name })));
    const st = k.slot(MODULES);
    st.list.unshift(mod);
    yield* moduleEnableRwx(c, mod);
    return yield* doInitModule(c, mod);
  },
);

/** Drop a module from the list and kallsyms and free its memory (`free_module`). */
const freeModule = kfunc(
  { name: "free_module", file: FILE, size: 0x1f0 },
  function* (c: Ctx, mod: Module): KGen<void> {
    const st = c.k.slot(MODULES);
    const i = st.list.indexOf(mod);
    if (i >= 0) st.list.splice(i, 1);
    c.k.kallsyms.removeModule(mod.name);
    // module_memfree(): vfree; VM_FLUSH_RESET_PERMS makes the pages RW again as they go.
    yield* vfree(c, mod.base);
  },
);

/**
 * Models `do_init_module(mod)`: run `mod->init` in the interpreter; a
 * negative return frees the module and is returned, a positive one draws
 * the kernel's warning. Then the module is live.
 */
const doInitModule = kfunc(
  { name: "do_init_module", file: FILE, size: 0x2b0 },
  function* (c: Ctx, mod: Module): KGen<Module | number> {
    if (mod.init !== null) {
      const r3 = yield* callModuleFunction(c, mod.init);
      // The init did not return (it oopsed): the module stays "coming", as in the kernel.
      if (r3 === null) return -ENOEXEC;
      const ret = asInt(r3);
      if (ret < 0) {
        mod.state = "going";
        yield* freeModule(c, mod);
        return ret;
      }
      if (ret > 0) {
        c.k.printk.prWarn(
          `${mod.name}: '${mod.name}'->init suspiciously returned ${ret}, it should follow 0/-E convention\n`,
          c.current.pid,
        );
      }
    }
    mod.state = "live";
    return mod;
  },
);

/**
 * Models the `delete_module` syscall for a live module with no users: run
 * `mod->exit`, free it, remember it as `last_unloaded_module`. 0, -ENOENT
 * for an unknown name, -EBUSY for a module still coming or going.
 */
export const unloadModule = kfunc(
  { name: "__do_sys_delete_module", file: FILE, size: 0x2d0 },
  function* (c: Ctx, name: string): KGen<number> {
    const mod = findModule(c.k, name);
    if (mod === undefined) return -ENOENT;
    if (mod.state !== "live") return -EBUSY;
    mod.state = "going";
    if (mod.exit !== null) yield* callModuleFunction(c, mod.exit);
    yield* freeModule(c, mod);
    c.k.slot(MODULES).lastUnloaded = mod.name;
    return 0;
  },
);

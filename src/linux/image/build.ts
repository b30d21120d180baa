/**
 * The kernel image builder (a textpoke tool, not a kernel file): lays the
 * kernel out in simulated physical memory the way vmlinux.lds.S does, links
 * the compiled objects of fixtures/kernel (real ppc64le code for the
 * functions the machine executes), synthesises text for every other modelled
 * function (src/linux/core/kfunc.ts registry), and fills `k.image` and
 * `k.kallsyms`. The kernel runs at PAGE_OFFSET + physical address, with the
 * image at physical 0.
 */

import { markShared } from "../../util/clone.ts";
import {
  __pa,
  END_INTERRUPTS,
  HEAD_SIZE,
  INTERRUPT_VECTORS,
  PAGE_OFFSET,
  RADIX_PGD_TABLE_SIZE,
  START_INTERRUPTS,
  strictAlignSize,
  TOC_BIAS,
} from "../arch/powerpc/kernel/vmlinux.ts";
import { defineSlot, type Kernel, type KernelImage } from "../core/kernel.ts";
import { callSiteOffset, type KFuncInfo, registeredFunctions, siteOffset } from "../core/kfunc.ts";
import type { KallsymsEntry } from "../kernel/kallsyms.ts";
import { TAINT_WARN } from "../kernel/panic.ts";
import {
  BUGFLAG_NO_CUT_HERE,
  BUGFLAG_ONCE,
  BUGFLAG_TAINT,
  BUGFLAG_WARNING,
  registerBugEntry,
} from "../lib/bug.ts";
import type { SymbolOfType } from "../scripts/kconfig/symbols.ts";
import { decodeBase64 } from "./base64.ts";
import { KERNEL_OBJECTS } from "./kernel-objects.ts";
import {
  mcountSites,
  type PlacedSymbol,
  placeObjects,
  type Region,
  RegionBuffer,
  relocateObjects,
} from "./link-objects.ts";
import "./bug-sites.ts";
import { type BugSiteDecl, callEdges, imageBugSites, trapSites } from "./sites.ts";
import { BRANCH_SELF, blWord, synthFunction } from "./synth.ts";

/** A function or data object of the image. */
export interface ImageSymbol {
  readonly name: string;
  readonly address: bigint;
  /** Bytes up to the next symbol (padding included, as kallsyms sizes are). */
  readonly size: number;
  readonly region: Region;
  /** Real compiled code / data from an object, or synthesised. */
  readonly compiled: boolean;
  readonly func: boolean;
  readonly global: boolean;
  /** ELFv2: bytes from the global to the local entry point (0 when there is no TOC setup). */
  readonly localEntryOffset: number;
}

/** Every address the linker script defines, plus the symbol table. */
export interface KernelImageLayout extends KernelImage {
  /** `__head_end`: end of the fixed interrupt-vector sections. */
  readonly headEnd: bigint;
  readonly startInterrupts: bigint;
  readonly endInterrupts: bigint;
  readonly endRodata: bigint;
  /** `_sinittext` / `_einittext`. */
  readonly sinittext: bigint;
  readonly einittext: bigint;
  readonly sdata: bigint;
  /** The kernel TOC pointer (r2): `.TOC.`. */
  readonly toc: bigint;
  readonly edata: bigint;
  readonly bssStart: bigint;
  readonly bssStop: bigint;
  /** `__start___jump_table` / `__stop___jump_table`: the compiled objects' jump entries. */
  readonly startJumpTable: bigint;
  readonly stopJumpTable: bigint;
  /** `__start_mcount_loc` .. `__stop_mcount_loc`: every ftrace call site, ascending. */
  readonly mcountLoc: readonly bigint[];
  readonly symbols: ReadonlyMap<string, ImageSymbol>;
}

export interface BuildImageOptions {
  /** The modelled functions to lay out; default: every registered kfunc. */
  readonly functions?: readonly KFuncInfo[];
  /** Compiled objects by file name; default: fixtures/kernel (embedded). */
  readonly objects?: Readonly<Record<string, Uint8Array>>;
}

const LAYOUT = defineSlot<{ layout: KernelImageLayout | undefined }>("image", () => ({
  layout: undefined,
}));

const alignUp = (v: bigint, a: number): bigint => {
  const b = BigInt(a);
  return ((v + b - 1n) / b) * b;
};

/**
 * Objects the kernel's Makefiles build only with a configuration symbol
 * (`obj-$(CONFIG_X) += file.o`); every other embedded object is always linked.
 */
const OBJECT_CONFIG: Readonly<Record<string, SymbolOfType<"bool">>> = {
  // kernel/trace/Makefile: obj-$(CONFIG_FUNCTION_TRACER) += trace_functions.o
  "trace_functions.o": "FUNCTION_TRACER",
};

function embeddedObjects(k: Kernel): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [name, b64] of Object.entries(KERNEL_OBJECTS)) {
    const sym = OBJECT_CONFIG[name];
    if (sym !== undefined && !k.config.bool(sym)) continue;
    out[name] = decodeBase64(b64);
  }
  return out;
}

/** Link order of the modelled functions: by source file, then name (independent of import order). */
function linkOrder(a: KFuncInfo, b: KFuncInfo): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Build the image into `k`'s physical memory; fills k.image and k.kallsyms. */
export function buildKernelImage(k: Kernel, opts: BuildImageOptions = {}): KernelImageLayout {
  const slot = k.slot(LAYOUT);
  if (slot.layout !== undefined) throw new Error("kernel image already built");
  const pageSize = k.config.pageSize;
  const regions: Record<Region, RegionBuffer> = {
    text: new RegionBuffer("text"),
    inittext: new RegionBuffer("inittext"),
    rodata: new RegionBuffer("rodata"),
    data: new RegionBuffer("data"),
    bss: new RegionBuffer("bss"),
  };
  const objects = Object.entries(opts.objects ?? embeddedObjects(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, bytes]) => ({ name, bytes }));
  const all = new Set<Region>(["text", "inittext", "rodata", "data", "bss"]);
  const { loaded, symbols: objSymbols, tables } = placeObjects(objects, regions, all);
  const compiledNames = new Set(objSymbols.filter((s) => s.global || s.func).map((s) => s.name));

  // Modelled functions after the objects' text, in link order.
  const synth: { info: KFuncInfo; region: Region; offset: number }[] = [];
  const fns = [...(opts.functions ?? registeredFunctions())].sort(linkOrder);
  for (const info of fns) {
    if (compiledNames.has(info.name)) continue;
    if (info.config !== undefined && !k.config.bool(info.config)) continue;
    const region: Region = info.init ? "inittext" : "text";
    synth.push({ info, region, offset: regions[region].reserve(info.size, 4) });
  }
  // head_64.S's page-aligned bss objects: the zero page and the kernel's PGD.
  const bssObjects = [
    { name: "empty_zero_page", offset: regions.bss.reserve(pageSize, pageSize), size: pageSize },
    {
      name: "swapper_pg_dir",
      offset: regions.bss.reserve(RADIX_PGD_TABLE_SIZE, RADIX_PGD_TABLE_SIZE),
      size: RADIX_PGD_TABLE_SIZE,
    },
  ];

  // Addresses, as vmlinux.lds.S assigns them.
  const stext = PAGE_OFFSET;
  const headEnd = stext + BigInt(HEAD_SIZE);
  regions.text.base = headEnd;
  const etext = alignUp(headEnd + BigInt(regions.text.size), pageSize);
  regions.rodata.base = etext;
  const endRodata = alignUp(etext + BigInt(regions.rodata.size), pageSize);
  const initBegin = alignUp(
    endRodata,
    strictAlignSize(k.config.bool("STRICT_KERNEL_RWX"), pageSize),
  );
  regions.inittext.base = alignUp(initBegin, pageSize);
  const einittext = regions.inittext.base + BigInt(regions.inittext.size);
  const initEnd = alignUp(einittext, pageSize);
  const sdata = initEnd;
  regions.data.base = sdata;
  const toc = sdata + TOC_BIAS;
  const edata = alignUp(sdata + BigInt(regions.data.size), pageSize);
  regions.bss.base = edata;
  const bssStop = edata + BigInt(regions.bss.size);
  const end = alignUp(bssStop, pageSize);
  if (__pa(end) > k.machine.mem.size) {
    throw new Error(`kernel image (_end 0x${end.toString(16)}) does not fit in physical memory`);
  }

  // The symbol table: sizes run to the next symbol of the region (no gaps).
  const raw: RawSymbol[] = [];
  for (const s of objSymbols) raw.push(fromPlaced(s));
  for (const s of synth) {
    raw.push({
      name: s.info.name,
      region: s.region,
      offset: s.offset,
      size: s.info.size,
      compiled: false,
      func: true,
      global: true,
      localEntryOffset: 0,
    });
  }
  for (const b of bssObjects) {
    raw.push({
      name: b.name,
      region: "bss",
      offset: b.offset,
      size: b.size,
      compiled: false,
      func: false,
      global: true,
      localEntryOffset: 0,
    });
  }
  const symbols = new Map<string, ImageSymbol>();
  for (const region of Object.keys(regions) as Region[]) {
    const list = raw.filter((s) => s.region === region).sort((a, b) => a.offset - b.offset);
    list.forEach((s, i) => {
      const next = list[i + 1];
      const limit =
        next === undefined ? Math.max(regions[region].size, s.offset + s.size) : next.offset;
      const size = s.func ? Math.max(s.size, limit - s.offset) : s.size;
      const { offset, ...rest } = s;
      const sym: ImageSymbol = { ...rest, address: regions[region].base + BigInt(offset), size };
      // A global definition wins over a local one of the same name.
      if (!symbols.has(s.name) || (s.global && !symbols.get(s.name)!.global))
        symbols.set(s.name, sym);
    });
  }

  // Synthesised text, then call sites and trap words.
  const infoByName = new Map(synth.map((s) => [s.info.name, s]));
  for (const s of synth)
    synthFunction(regions[s.region].bytes.subarray(s.offset, s.offset + s.info.size));
  for (const e of callEdges()) {
    const caller = infoByName.get(e.caller);
    const callee = symbols.get(e.callee);
    if (caller === undefined || callee === undefined || !callee.func) continue;
    const site = callSiteOffset(caller.info, e.callee) - 4;
    const at = regions[caller.region].base + BigInt(caller.offset + site);
    const w = blWord(at, callee.address + BigInt(callee.localEntryOffset));
    if (w !== null) setWord(regions[caller.region].bytes, caller.offset + site, w);
  }
  for (const t of trapSites()) {
    const fn = infoByName.get(t.fn);
    if (fn === undefined || t.offset >= fn.info.size) continue;
    setWord(regions[fn.region].bytes, fn.offset + t.offset, t.word);
  }
  // BUG/WARN sites: the trap word in the text and the entry in __bug_table.
  const debugVm = k.config.bool("DEBUG_VM");
  for (const b of imageBugSites(k)) {
    const fn = infoByName.get(b.fn);
    if (fn === undefined || (b.debugVm === true && !debugVm)) continue;
    const off = b.offset ?? siteOffset(fn.info, `bug ${b.file}:${b.line}`);
    if (off >= fn.info.size) continue;
    setWord(regions[fn.region].bytes, fn.offset + off, bugTrapWord(b));
    const bugAddr = regions[fn.region].base + BigInt(fn.offset + off);
    registerBugEntry(k, { bugAddr, file: b.file, line: b.line, flags: bugFlags(b) });
  }

  const jumpTable = tables.get("__jump_table")!;
  const jumpBase = regions[jumpTable.region].base;

  relocateObjects(loaded, regions, toc, (name) => {
    const s = symbols.get(name);
    return s === undefined
      ? undefined
      : { address: s.address, localEntryOffset: s.localEntryOffset };
  });

  // Into physical memory: vectors, text, rodata, init text, data (bss stays zero).
  const mem = k.machine.mem;
  const head = new Uint8Array(HEAD_SIZE);
  for (const v of INTERRUPT_VECTORS) setWord(head, v, BRANCH_SELF);
  mem.writeBytes(__pa(stext), head);
  for (const region of ["text", "rodata", "inittext", "data"] as const) {
    mem.writeBytes(__pa(regions[region].base), regions[region].contents());
  }

  const layout: KernelImageLayout = {
    stext,
    etext,
    initBegin,
    initEnd,
    startRodata: etext,
    endData: edata,
    end,
    headEnd,
    startInterrupts: stext + BigInt(START_INTERRUPTS),
    endInterrupts: stext + BigInt(END_INTERRUPTS),
    endRodata,
    sinittext: regions.inittext.base,
    einittext,
    sdata,
    toc,
    edata,
    bssStart: edata,
    bssStop,
    startJumpTable: jumpBase + BigInt(jumpTable.start),
    stopJumpTable: jumpBase + BigInt(jumpTable.end),
    mcountLoc: mcountSites(loaded, regions),
    symbols,
  };
  // Fixed once built: forks of the kernel share it (src/util/clone.ts).
  slot.layout = markShared(layout);
  k.image = layout;
  k.kallsyms.add(kallsymsEntries(layout));
  return layout;
}

/**
 * The trap a site compiles to (asm/bug.h, ppc64): `tdnei rX,0` (D-form,
 * PO 2, TO 24) for the conditional forms, `twi 31,0,0` for BUG()/WARN().
 */
function bugTrapWord(b: BugSiteDecl): number {
  if (b.kind === "bug" || b.kind === "warn-once-msg") return 0x0fe0_0000;
  return ((2 << 26) | (24 << 21) | (((b.reg ?? 9) & 31) << 16)) >>> 0;
}

/** The bug-table flags of a site, as `BUG_ON`, `WARN_ON` and `WARN_ON_ONCE` emit them. */
function bugFlags(b: BugSiteDecl): number {
  if (b.kind === "bug" || b.kind === "bug-on") return 0;
  const warn = BUGFLAG_WARNING | BUGFLAG_TAINT(TAINT_WARN);
  // WARN_ONCE(cond, fmt): the message is printed before an unconditional trap.
  if (b.kind === "warn-once-msg") return warn | BUGFLAG_ONCE | BUGFLAG_NO_CUT_HERE;
  return b.kind === "warn-on-once" ? warn | BUGFLAG_ONCE : warn;
}

type RawSymbol = Omit<ImageSymbol, "address"> & { readonly offset: number };

function fromPlaced(s: PlacedSymbol): RawSymbol {
  return {
    name: s.name,
    region: s.region,
    offset: s.offset,
    size: s.size,
    compiled: true,
    func: s.func,
    global: s.global,
    localEntryOffset: s.localEntryOffset,
  };
}

function setWord(bytes: Uint8Array, offset: number, w: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, w >>> 0, true);
}

const TYPE_LETTER: Record<Region, string> = {
  text: "t",
  inittext: "t",
  rodata: "r",
  data: "d",
  bss: "b",
};

/** The kallsyms entries of the image: every symbol plus the linker-script markers (zero size). */
function kallsymsEntries(l: KernelImageLayout): KallsymsEntry[] {
  const out: KallsymsEntry[] = [];
  for (const s of l.symbols.values()) {
    const t = TYPE_LETTER[s.region];
    out.push({
      name: s.name,
      address: s.address,
      size: s.size,
      type: s.global ? t.toUpperCase() : t,
    });
  }
  const markers: [string, bigint, string][] = [
    ["_text", l.stext, "T"],
    ["_stext", l.stext, "T"],
    ["__start_interrupts", l.startInterrupts, "T"],
    ["__end_interrupts", l.endInterrupts, "T"],
    ["__head_end", l.headEnd, "T"],
    ["_etext", l.etext, "T"],
    ["__start_rodata", l.startRodata, "R"],
    ["__end_rodata", l.endRodata, "R"],
    ["__init_begin", l.initBegin, "T"],
    ["_sinittext", l.sinittext, "T"],
    ["_einittext", l.einittext, "T"],
    ["__init_end", l.initEnd, "T"],
    ["_sdata", l.sdata, "D"],
    ["__toc_start", l.sdata, "D"],
    ["_edata", l.edata, "D"],
    ["__start___jump_table", l.startJumpTable, "R"],
    ["__stop___jump_table", l.stopJumpTable, "R"],
    ["__bss_start", l.bssStart, "B"],
    ["__bss_stop", l.bssStop, "B"],
    ["_end", l.end, "B"],
  ];
  for (const [name, address, type] of markers) out.push({ name, address, size: 0, type });
  return out;
}

/** The layout of `k`'s image (it must have been built). */
export function imageLayout(k: Kernel): KernelImageLayout {
  const l = k.slot(LAYOUT).layout;
  if (l === undefined) throw new Error("kernel image not built");
  return l;
}

/** An image symbol by name, or undefined. */
export function imageSymbol(k: Kernel, name: string): ImageSymbol | undefined {
  return imageLayout(k).symbols.get(name);
}

/**
 * A small static linker for the kernel's compiled objects: places their
 * sections in the image's regions, resolves symbols (their own, the other
 * objects', the modelled functions' and the linker-script symbols) and applies
 * the ppc64 relocations (src/elf/ppc64-reloc.ts).
 */
import { SHN, SHT, STB, STT } from "../../elf/constants.ts";
import { type Elf64, readElf64 } from "../../elf/elf64.ts";
import { applyPpc64Reloc, R_PPC64 } from "../../elf/ppc64-reloc.ts";

/** Output regions of the image, in the order vmlinux.lds.S places them. */
export type Region = "text" | "inittext" | "rodata" | "data" | "bss";

/** The region an input section goes to, or null (not loaded: notes, comments...). */
export function regionOf(name: string, type: number): Region | null {
  if (name === ".init.text") return "inittext";
  if (name === ".text" || name.startsWith(".text.")) return "text";
  if (name === ".rodata" || name.startsWith(".rodata.")) return "rodata";
  if (type === SHT.NOBITS && (name === ".bss" || name.startsWith(".bss."))) return "bss";
  if (name === ".data" || name.startsWith(".data.") || name === ".toc" || name === ".got")
    return "data";
  return null;
}

/** A growing region of the image. */
export class RegionBuffer {
  readonly name: Region;
  base = 0n;
  size = 0;
  bytes = new Uint8Array(0x1000);

  constructor(name: Region) {
    this.name = name;
  }

  /** Reserve `size` bytes aligned to `align`; returns the offset in the region. */
  reserve(size: number, align: number): number {
    const off = Math.ceil(this.size / align) * align;
    this.size = off + size;
    if (this.name !== "bss" && this.size > this.bytes.length) {
      let n = this.bytes.length;
      while (n < this.size) n *= 2;
      const grown = new Uint8Array(n);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return off;
  }

  /** The region's contents (empty for bss). */
  contents(): Uint8Array {
    return this.name === "bss" ? new Uint8Array(0) : this.bytes.subarray(0, this.size);
  }
}

/** A symbol an object defines, once placed. */
export interface PlacedSymbol {
  readonly name: string;
  readonly region: Region;
  /** Offset in the region (the final address is region base + offset). */
  readonly offset: number;
  readonly size: number;
  readonly func: boolean;
  readonly global: boolean;
  /** ELFv2 global-to-local entry distance. */
  readonly localEntryOffset: number;
  readonly object: string;
}

interface PlacedSection {
  readonly region: Region;
  readonly offset: number;
}

export interface LoadedObject {
  readonly name: string;
  readonly elf: Elf64;
  /** Section index → placement. */
  readonly placement: Map<number, PlacedSection>;
}

/**
 * Sections the linker script gathers into one table with `__start_`/`__stop_`
 * markers (vmlinux.lds.h): each object's part, in object order, contiguous.
 * __jump_table is in RO_AFTER_INIT_DATA, inside RO_DATA.
 */
export const TABLE_SECTIONS: Readonly<Record<string, Region>> = { __jump_table: "rodata" };

/** Where a gathered table landed: offsets in its region. */
export interface PlacedTable {
  readonly region: Region;
  readonly start: number;
  readonly end: number;
}

/** Place every loadable section of each object into its region (object order, section order). */
export function placeObjects(
  objects: readonly { name: string; bytes: Uint8Array }[],
  regions: Record<Region, RegionBuffer>,
  only: ReadonlySet<Region>,
): { loaded: LoadedObject[]; symbols: PlacedSymbol[]; tables: Map<string, PlacedTable> } {
  const loaded: LoadedObject[] = objects.map((o) => ({
    name: o.name,
    elf: readElf64(o.bytes),
    placement: new Map<number, PlacedSection>(),
  }));
  const place = (o: LoadedObject, sec: Elf64["sections"][number], region: Region) => {
    const r = regions[region];
    const off = r.reserve(sec.size, Math.max(1, Number(sec.addralign)));
    if (sec.type !== SHT.NOBITS) r.bytes.set(o.elf.sectionBytes(sec), off);
    o.placement.set(sec.index, { region, offset: off });
  };
  for (const o of loaded) {
    for (const sec of o.elf.sections) {
      const region = regionOf(sec.name, sec.type);
      if (region === null || !only.has(region) || sec.size === 0) continue;
      place(o, sec, region);
    }
  }
  // Then each gathered table, contiguous after its region's ordinary sections.
  const tables = new Map<string, PlacedTable>();
  for (const [name, region] of Object.entries(TABLE_SECTIONS)) {
    if (!only.has(region)) continue;
    const r = regions[region];
    const start = r.reserve(0, 8);
    for (const o of loaded) {
      for (const sec of o.elf.sections)
        if (sec.name === name && sec.size !== 0) place(o, sec, region);
    }
    tables.set(name, { region, start, end: r.size });
  }
  const symbols: PlacedSymbol[] = [];
  for (const o of loaded) {
    for (const s of o.elf.symbols) {
      if (s.index === 0 || s.name === "" || s.shndx === SHN.UNDEF || s.shndx >= SHN.LORESERVE)
        continue;
      if (s.type !== STT.FUNC && s.type !== STT.OBJECT) continue;
      const p = o.placement.get(s.shndx);
      if (p === undefined) continue;
      symbols.push({
        name: s.name,
        region: p.region,
        offset: p.offset + Number(s.value),
        size: Number(s.size),
        func: s.type === STT.FUNC,
        global: s.bind !== STB.LOCAL,
        localEntryOffset: s.localEntryOffset,
        object: o.name,
      });
    }
  }
  return { loaded, symbols, tables };
}

/**
 * Apply every relocation of the placed sections, once all region bases are
 * final. `resolve` gives the address of a global symbol by name (undefined if
 * unknown). Throws on an unresolved symbol or an unsupported relocation: the
 * committed objects are part of the simulator, so that is a simulator bug.
 */
export function relocateObjects(
  loaded: readonly LoadedObject[],
  regions: Record<Region, RegionBuffer>,
  toc: bigint,
  resolve: (name: string) => { address: bigint; localEntryOffset: number } | undefined,
): void {
  for (const o of loaded) {
    const addrOf = (sec: number): bigint | undefined => {
      const p = o.placement.get(sec);
      return p === undefined ? undefined : regions[p.region].base + BigInt(p.offset);
    };
    for (const rs of o.elf.relocations) {
      const target = rs.target;
      if (target === undefined) continue;
      const placed = o.placement.get(target.index);
      if (placed === undefined) continue;
      const region = regions[placed.region];
      for (const r of rs.entries) {
        const sym = r.symbol;
        let s: bigint;
        if (sym === undefined) s = 0n;
        else if (sym.name === ".TOC.") s = toc;
        else if (sym.shndx !== SHN.UNDEF && sym.bind === STB.LOCAL) {
          const base = addrOf(sym.shndx);
          if (base === undefined)
            throw new Error(`${o.name}: relocation against unplaced section ${sym.shndx}`);
          s = base + sym.value;
        } else {
          const hit = resolve(sym.name);
          if (hit === undefined) throw new Error(`${o.name}: undefined symbol ${sym.name}`);
          // A local call enters after the callee's TOC setup (ELFv2 local entry).
          s = hit.address + BigInt(r.type === R_PPC64.REL24 ? hit.localEntryOffset : 0);
        }
        const at = placed.offset + Number(r.offset);
        const why = applyPpc64Reloc(region.bytes, at, r.type, {
          s,
          a: r.addend,
          p: region.base + BigInt(at),
          toc,
        });
        if (why !== null) throw new Error(`${o.name}+0x${r.offset.toString(16)}: ${why}`);
      }
    }
  }
}

/**
 * What scripts/recordmcount does at build time: the address of every
 * `bl _mcount` (an R_PPC64_REL24 against `_mcount` in loaded text), the
 * kernel's __mcount_loc table, in ascending order (as ftrace_process_locs
 * sorts it).
 */
export function mcountSites(
  loaded: readonly LoadedObject[],
  regions: Record<Region, RegionBuffer>,
): bigint[] {
  const out: bigint[] = [];
  for (const o of loaded) {
    for (const rs of o.elf.relocations) {
      const placed = rs.target === undefined ? undefined : o.placement.get(rs.target.index);
      if (placed === undefined || (placed.region !== "text" && placed.region !== "inittext"))
        continue;
      for (const r of rs.entries) {
        if (r.type !== R_PPC64.REL24 || r.symbol?.name !== "_mcount") continue;
        out.push(regions[placed.region].base + BigInt(placed.offset) + r.offset);
      }
    }
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

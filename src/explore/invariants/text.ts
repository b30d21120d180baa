/**
 * What the code-patching invariants share: where kernel text is in real
 * memory (the image's linear map, module text through its vm area's pages),
 * what really backs a patch target, translations looked at without side
 * effects, and the content of the pages holding patch targets when the
 * first patch of each began.
 */
import { PAGE_OFFSET } from "../../linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import type { Kernel } from "../../linux/core/kernel.ts";
import { loadedModules, type Module } from "../../linux/kernel/module/list.ts";
import { isVmallocOrModuleAddr, type VmStruct, vmAreas } from "../../linux/mm/vmalloc.ts";
import { inspectTranslation } from "../../machine/access.ts";
import type { Machine } from "../../machine/machine.ts";
import { Access } from "../../machine/mmu/fault.ts";
import type { ExecState, PatchRecord } from "../execution.ts";

/** The live vm area whose mapped pages hold `ea` (not its guard page), or undefined. */
export function vmAreaOf(k: Kernel, ea: bigint): VmStruct | undefined {
  const ps = BigInt(k.config.pageSize);
  return vmAreas({ k }).find((a) => ea >= a.addr && ea < a.addr + BigInt(a.size) - ps);
}

/**
 * The real address that backs kernel address `ea` as the kernel allocated
 * it: for vmalloc and module addresses the page frame of its vm area (what
 * init_mm maps there), for the linear map `__pa(ea)`; null when nothing
 * backs it (a freed area, an address outside both).
 */
export function backingReal(k: Kernel, ea: bigint): number | null {
  const ps = k.config.pageSize;
  if (isVmallocOrModuleAddr(ea)) {
    const a = vmAreaOf(k, ea);
    if (a === undefined) return null;
    const off = Number(ea - a.addr);
    const page = a.pages[Math.floor(off / ps)];
    return page === undefined ? null : page + (off % ps);
  }
  if (ea < PAGE_OFFSET) return null;
  const pa = Number(ea - PAGE_OFFSET);
  return k.machine.mem.contains(pa, 1) ? pa : null;
}

/**
 * The real address `cpu` would reach at `ea` now (its TLB, else a table
 * walk), with no side effect: no R/C, no TLB fill, nothing in the step's
 * footprint. Null on a fault.
 */
export function inspectReal(m: Machine, cpu: number, ea: bigint): number | null {
  const sink = m.footprint;
  m.footprint = null;
  try {
    const r = inspectTranslation(m, m.cpu(cpu), ea, Access.LOAD);
    return "pa" in r ? r.pa : null;
  } finally {
    m.footprint = sink;
  }
}

/** A real range [start, end). */
export interface RealRange {
  readonly start: number;
  readonly end: number;
  /** How a reader names it. */
  readonly what: string;
  /** The effective address of `start`. */
  readonly ea: bigint;
}

/**
 * Kernel text in real memory now: the image's text (`_stext`..`_etext`),
 * its init text while it is not freed, and every listed module's text
 * (page by page, through its vm area).
 */
export function textRanges(k: Kernel): RealRange[] {
  const out: RealRange[] = [];
  const img = k.image;
  if (img !== undefined) {
    out.push({
      start: Number(img.stext - PAGE_OFFSET),
      end: Number(img.etext - PAGE_OFFSET),
      what: "kernel text",
      ea: img.stext,
    });
    if (!k.initMemIsFree) {
      out.push({
        start: Number(img.initBegin - PAGE_OFFSET),
        end: Number(img.initEnd - PAGE_OFFSET),
        what: "init text",
        ea: img.initBegin,
      });
    }
  }
  const ps = k.config.pageSize;
  for (const mod of loadedModules(k)) {
    const area = vmAreaOf(k, mod.base);
    if (area === undefined) continue;
    for (let off = 0; off < mod.textSize; off += ps) {
      const page = area.pages[Math.floor(Number(mod.base - area.addr + BigInt(off)) / ps)];
      if (page === undefined) continue;
      const len = Math.min(ps, mod.textSize - off);
      out.push({
        start: page,
        end: page + len,
        what: `module ${mod.name} text`,
        ea: mod.base + BigInt(off),
      });
    }
  }
  return out;
}

/** The listed module whose text holds `ea`. */
export function moduleTextOf(k: Kernel, ea: bigint): Module | undefined {
  return loadedModules(k).find((m) => ea >= m.base && ea < m.base + BigInt(m.textSize));
}

/** A page holding a patch target, as it was when the first patch of it began. */
export interface PageCopy {
  /** Real address of the page. */
  readonly pa: number;
  /** Effective address of the page (as the target was named). */
  readonly ea: bigint;
  readonly bytes: Uint8Array;
}

const PAGES = "text/pages";

/** The page copies made so far in this execution, by real page address. */
export function pageCopies(x: ExecState): Map<number, PageCopy> {
  let m = x.scratch.get(PAGES) as Map<number, PageCopy> | undefined;
  if (m === undefined) {
    m = new Map();
    x.scratch.set(PAGES, m);
  }
  return m;
}

/**
 * Copy the page holding `p`'s target, if no patch of that page began
 * before (call at patch start, before the patch writes anything).
 */
export function notePatchPage(x: ExecState, p: PatchRecord): void {
  const pa = backingReal(x.k, p.addr);
  if (pa === null) return;
  const ps = x.k.config.pageSize;
  const base = pa - (pa % ps);
  const copies = pageCopies(x);
  if (copies.has(base)) return;
  const ea = p.addr - BigInt(pa % ps);
  copies.set(base, { pa: base, ea, bytes: x.m.mem.readBytes(base, ps) });
}

/** The words at real address `pa`, `n` of them. */
export function wordsAt(m: Machine, pa: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(m.mem.read32(pa + 4 * i));
  return out;
}

/** `0x7fe00008` / `0x06000000:0x38600000`. */
export function words(ws: readonly number[]): string {
  return ws.map((w) => `0x${(w >>> 0).toString(16).padStart(8, "0")}`).join(":");
}

/** `sym+0x40/0x1f0` for a kernel address, else its hex. */
export function where(k: Kernel, ea: bigint): string {
  const s = k.kallsyms.sprintSymbol(ea);
  return s.startsWith("0x") ? s : `${s} (0x${ea.toString(16)})`;
}

/** Do two patches' byte ranges overlap, and did they run at the same time? */
export function overlapping(a: PatchRecord, b: PatchRecord): boolean {
  if (a === b) return false;
  const aEnd = a.addr + BigInt(4 * a.words.length);
  const bEnd = b.addr + BigInt(4 * b.words.length);
  if (!(a.addr < bEnd && b.addr < aEnd)) return false;
  const aDone = a.endStep === -1 ? Number.POSITIVE_INFINITY : a.endStep;
  const bDone = b.endStep === -1 ? Number.POSITIVE_INFINITY : b.endStep;
  return a.startStep <= bDone && b.startStep <= aDone;
}

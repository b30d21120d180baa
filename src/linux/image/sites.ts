/**
 * What the synthesised text of modelled functions holds besides prologue,
 * nops and epilogue: `bl` instructions at the return-address sites their
 * callers' frames report (`callSiteOffset`), and the BUG/WARN trap words at
 * the sites the die path registers. Subsystems declare these at module load,
 * like the kernel's call graph and bug table are fixed at link time. A
 * kernel may carry sites of its own besides (a variant's), declared on it
 * before its image is built.
 */
import { defineSlot, type Kernel } from "../core/kernel.ts";

export interface CallEdge {
  readonly caller: string;
  readonly callee: string;
}

export interface TrapSite {
  /** The function holding the trap. */
  readonly fn: string;
  /** Byte offset of the trap instruction inside it. */
  readonly offset: number;
  /** The instruction word (e.g. 0x0b090000 `tdnei r9,0`, 0x0fe00000 `twui r0,0`). */
  readonly word: number;
}

const CALLS: CallEdge[] = [];
const CALL_KEYS = new Set<string>();
const TRAPS: TrapSite[] = [];

/** Declare that `caller` calls each of `callees` (its text gets a `bl` at the call site). */
export function declareCalls(caller: string, callees: readonly string[]): void {
  for (const callee of callees) {
    const key = `${caller}>${callee}`;
    if (CALL_KEYS.has(key)) continue;
    CALL_KEYS.add(key);
    CALLS.push({ caller, callee });
  }
}

/** Declare a trap instruction inside `fn` at byte `offset`. */
export function declareTrapSite(fn: string, offset: number, word: number): void {
  if (offset % 4 !== 0)
    throw new Error(`trap site ${fn}+0x${offset.toString(16)} not word aligned`);
  const i = TRAPS.findIndex((t) => t.fn === fn && t.offset === offset);
  const site = { fn, offset, word: word >>> 0 };
  if (i >= 0) TRAPS[i] = site;
  else TRAPS.push(site);
}

export function callEdges(): readonly CallEdge[] {
  return CALLS;
}

export function trapSites(): readonly TrapSite[] {
  return TRAPS;
}

/** How a BUG/WARN site traps and what its bug-table entry says (asm/bug.h forms). */
export interface BugSiteDecl {
  /** The (non-inline) function the check is compiled into, inlining included. */
  readonly fn: string;
  readonly file: string;
  readonly line: number;
  /** BUG_ON / WARN_ON / WARN_ON_ONCE test a register (`tdnei rX,0`); BUG / WARN trap always (`twi 31,0,0`). */
  readonly kind: "bug-on" | "bug" | "warn-on" | "warn-on-once" | "warn-once-msg";
  /** Trap offset inside `fn` when known from a real build; default the die path's `siteOffset`. */
  readonly offset?: number;
  /** The register `tdnei` tests (default r9). */
  readonly reg?: number;
  /** Compiled only with CONFIG_DEBUG_VM (VM_BUG_ON, assert_pte_locked's body). */
  readonly debugVm?: boolean;
}

const BUG_SITES: BugSiteDecl[] = [];

/**
 * Declare a BUG/WARN site: the image gets the trap word at its address and
 * the kernel's bug table its entry, as the compiler and linker emit them.
 */
export function declareBugSite(site: BugSiteDecl): void {
  const i = BUG_SITES.findIndex(
    (s) => s.fn === site.fn && s.file === site.file && s.line === site.line,
  );
  if (i >= 0) BUG_SITES[i] = site;
  else BUG_SITES.push(site);
}

export function bugSites(): readonly BugSiteDecl[] {
  return BUG_SITES;
}

const KERNEL_BUG_SITES = defineSlot<BugSiteDecl[]>("image-bug-sites", () => []);

/**
 * Declare BUG/WARN sites for one kernel only (the code-patching variant it
 * runs brings its own), before its image is built: the image then carries
 * their trap words and bug-table entries as it does the declared ones'.
 */
export function declareKernelBugSites(k: Kernel, sites: readonly BugSiteDecl[]): void {
  if (sites.length === 0) return;
  if (k.image !== undefined) {
    throw new Error("BUG/WARN sites declared after the kernel image was built");
  }
  const mine = k.slot(KERNEL_BUG_SITES);
  for (const site of sites) {
    const i = mine.findIndex(
      (s) => s.fn === site.fn && s.file === site.file && s.line === site.line,
    );
    if (i >= 0) mine[i] = site;
    else mine.push(site);
  }
}

/** Every site one kernel's image carries: the declared ones, then its own. */
export function imageBugSites(k: Kernel): readonly BugSiteDecl[] {
  const mine = k.slot(KERNEL_BUG_SITES);
  if (mine.length === 0) return BUG_SITES;
  const own = mine.filter(
    (m) => !BUG_SITES.some((s) => s.fn === m.fn && s.file === m.file && s.line === m.line),
  );
  return [...BUG_SITES, ...own];
}

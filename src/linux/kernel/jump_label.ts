/**
 * Jump labels, the generic half (kernel/jump_label.c, v6.2): the sorted
 * __jump_table, `jump_label_init`, `static_key_enable` / `static_key_disable`
 * and the update that rewrites every site of a key through the arch's
 * `arch_jump_label_transform` (no HAVE_JUMP_LABEL_BATCH on powerpc: one
 * patch per site), and `jump_label_text_reserved` for kprobes.
 * SIMPLIFICATION: module jump tables (static_key_mod, linked keys) are not
 * modelled — the fixtures' modules have no static branches; cpus_read_lock()
 * is not modelled (as in kprobes.ts); the key's atomics are plain accesses
 * under jump_label_mutex, not visible steps.
 */
import { archJumpLabelTransform } from "../arch/powerpc/kernel/jump_label.ts";
import { __pa } from "../arch/powerpc/kernel/vmlinux.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { imageLayout } from "../image/build.ts";
import {
  JUMP_ENTRY_SIZE,
  jumpEntryCode,
  jumpEntryIsBranch,
  jumpEntryIsInit,
  jumpEntryKey,
  jumpEntrySetInit,
  jumpEntryTarget,
  setStaticKeyEnabledCount,
  staticKeyEnabled,
  staticKeyEnabledCount,
  staticKeyEntries,
  staticKeySetEntries,
} from "../include/linux/jump_label.ts";
import { coreKernelText } from "./extable.ts";
import { type Mutex, mutexInit, mutexLock, mutexUnlock } from "./locking/mutex.ts";
import { moduleTextAddress } from "./module/list.ts";

const FILE = "kernel/jump_label.c";

interface JumpLabelState {
  readonly mutex: Mutex;
  /** `static_key_initialized`. */
  initialized: boolean;
}

const STATE = defineSlot<JumpLabelState>("jump-label", () => ({
  mutex: mutexInit("jump_label_mutex"),
  initialized: false,
}));

/** `jump_label_mutex`. */
export function jumpLabelMutex(k: Kernel): Mutex {
  return k.slot(STATE).mutex;
}

/** Every entry of the core kernel's table, in table order. */
export function jumpEntries(k: Kernel): bigint[] {
  const l = imageLayout(k);
  const out: bigint[] = [];
  for (let e = l.startJumpTable; e < l.stopJumpTable; e += BigInt(JUMP_ENTRY_SIZE)) out.push(e);
  return out;
}

/** One entry's fields as absolute addresses (what jump_label_swap preserves). */
interface EntryValue {
  readonly code: bigint;
  readonly target: bigint;
  /** The key's address with the flag bits. */
  readonly key: bigint;
}

function readEntry(k: Kernel, e: bigint): EntryValue {
  const flags = (jumpEntryIsBranch(k, e) ? 1n : 0n) | (jumpEntryIsInit(k, e) ? 2n : 0n);
  return {
    code: jumpEntryCode(k, e),
    target: jumpEntryTarget(k, e),
    key: jumpEntryKey(k, e) | flags,
  };
}

function writeEntry(k: Kernel, e: bigint, v: EntryValue): void {
  const mem = k.machine.mem;
  mem.write32(__pa(e), Number(BigInt.asUintN(32, v.code - e)));
  mem.write32(__pa(e + 4n), Number(BigInt.asUintN(32, v.target - (e + 4n))));
  mem.write64(__pa(e + 8n), BigInt.asUintN(64, v.key - (e + 8n)));
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Models `jump_label_cmp`: by key, then by site address (so a key's entries
 * are one run, ascending).
 */
function jumpLabelCmp(a: EntryValue, b: EntryValue): number {
  return cmp(a.key & ~3n, b.key & ~3n) || cmp(a.code, b.code);
}

/**
 * Models `jump_label_sort_entries(start, stop)`: sort the table in place;
 * `jump_label_swap` rewrites each moved entry's relative fields so they
 * still point where they did.
 */
function jumpLabelSortEntries(k: Kernel, entries: readonly bigint[]): void {
  const values = entries.map((e) => readEntry(k, e)).sort(jumpLabelCmp);
  entries.forEach((e, i) => {
    writeEntry(k, e, values[i]!);
  });
}

/** Models `jump_label_type(entry)`: enabled XOR the entry's branch flag. */
function jumpLabelType(k: Kernel, e: bigint): number {
  return Number(staticKeyEnabled(k, jumpEntryKey(k, e))) ^ Number(jumpEntryIsBranch(k, e));
}

/** Models `kernel_text_address(addr)` for the parts modelled: core kernel or module text. */
function kernelTextAddress(k: Kernel, addr: bigint): boolean {
  return coreKernelText(k, addr) || moduleTextAddress(k, addr) !== undefined;
}

/** Models `init_section_contains(addr, 1)`. */
function initSectionContains(k: Kernel, addr: bigint): boolean {
  const l = imageLayout(k);
  return addr >= l.initBegin && addr < l.initEnd;
}

/**
 * Models `jump_label_init()` (called from setup_feature_keys() in
 * setup_arch on powerpc, long before start_kernel's own call, which then
 * returns at once): sort the table, mark the entries in init text, and point
 * each key at its first entry. The compiler already emitted each site in
 * its initial state, so no site is patched here (powerpc defines no
 * arch_jump_label_transform_static; the generic one does nothing).
 */
export const jumpLabelInit = kfunc(
  { name: "jump_label_init", file: FILE, size: 0x1a0, init: true },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    const st = k.slot(STATE);
    if (st.initialized) return;
    yield* mutexLock(c, st.mutex);
    const entries = jumpEntries(k);
    jumpLabelSortEntries(k, entries);
    let key = 0n;
    for (const e of entries) {
      jumpEntrySetInit(k, e, initSectionContains(k, jumpEntryCode(k, e)));
      const ek = jumpEntryKey(k, e);
      if (ek === key) continue;
      key = ek;
      staticKeySetEntries(k, key, e);
    }
    st.initialized = true;
    yield* mutexUnlock(c, st.mutex);
  },
);

/**
 * Models `jump_label_can_update(entry, init)`: not init text once init is
 * over, and only kernel text.
 * SIMPLIFICATION: the WARN_ONCE for a non-init site outside kernel text is
 * not modelled (no such site exists in the image).
 */
function jumpLabelCanUpdate(k: Kernel, e: bigint, init: boolean): boolean {
  if (!init && jumpEntryIsInit(k, e)) return false;
  return kernelTextAddress(k, jumpEntryCode(k, e));
}

/**
 * Models `jump_label_update(key)` with `__jump_label_update`: from the key's
 * first entry, while entries belong to it, transform each updatable site to
 * the key's current type.
 */
function* jumpLabelUpdate(c: Ctx, key: bigint): KGen<void> {
  const k = c.k;
  const stop = imageLayout(k).stopJumpTable;
  const init = k.systemState !== "running";
  const first = staticKeyEntries(k, key);
  if (first === 0n) return;
  for (let e = first; e < stop && jumpEntryKey(k, e) === key; e += BigInt(JUMP_ENTRY_SIZE)) {
    if (jumpLabelCanUpdate(k, e, init)) yield* archJumpLabelTransform(c, e, jumpLabelType(k, e));
  }
}

/**
 * Models `static_key_enable(key)` → `static_key_enable_cpuslocked`: nothing
 * if enabled; else under jump_label_mutex mark the enable in progress (-1,
 * which counts as enabled), update the sites, then set 1.
 */
export const staticKeyEnable = kfunc(
  { name: "static_key_enable", file: FILE, size: 0x110 },
  function* (c: Ctx, key: bigint): KGen<void> {
    const k = c.k;
    if (staticKeyEnabledCount(k, key) > 0) return;
    const m = jumpLabelMutex(k);
    yield* mutexLock(c, m);
    if (staticKeyEnabledCount(k, key) === 0) {
      setStaticKeyEnabledCount(k, key, -1);
      yield* jumpLabelUpdate(c, key);
      setStaticKeyEnabledCount(k, key, 1);
    }
    yield* mutexUnlock(c, m);
  },
);

/**
 * Models `static_key_disable(key)` → `static_key_disable_cpuslocked`:
 * nothing unless enabled; else under jump_label_mutex 1 → 0 and update.
 */
export const staticKeyDisable = kfunc(
  { name: "static_key_disable", file: FILE, size: 0xf0 },
  function* (c: Ctx, key: bigint): KGen<void> {
    const k = c.k;
    if (staticKeyEnabledCount(k, key) !== 1) return;
    const m = jumpLabelMutex(k);
    yield* mutexLock(c, m);
    if (staticKeyEnabledCount(k, key) === 1) {
      setStaticKeyEnabledCount(k, key, 0);
      yield* jumpLabelUpdate(c, key);
    }
    yield* mutexUnlock(c, m);
  },
);

/**
 * Models `jump_label_text_reserved(start, end)` for core-kernel sites: is
 * any jump-label site in [start, end]? (kprobes refuse such addresses.)
 */
export function jumpLabelTextReserved(k: Kernel, start: bigint, end: bigint): boolean {
  if (!k.slot(STATE).initialized) return false;
  return jumpEntries(k).some((e) => {
    const code = jumpEntryCode(k, e);
    return code <= end && code + 4n > start;
  });
}

/** A static key of the image: its symbol and its sites (for the CLI and scenarios). */
export interface StaticKeyInfo {
  readonly name: string;
  readonly address: bigint;
  readonly sites: readonly bigint[];
}

/** The static keys the core kernel's table names, by address order of first entry. */
export function staticKeys(k: Kernel): StaticKeyInfo[] {
  const byKey = new Map<bigint, bigint[]>();
  for (const e of jumpEntries(k)) {
    const key = jumpEntryKey(k, e);
    const list = byKey.get(key) ?? [];
    byKey.set(key, list);
    list.push(jumpEntryCode(k, e));
  }
  const out: StaticKeyInfo[] = [];
  for (const [address, sites] of byKey) {
    const hit = k.kallsyms.lookup(address);
    const name =
      hit !== undefined && hit.offset === 0n ? hit.symbol.name : `0x${address.toString(16)}`;
    out.push({ name, address, sites });
  }
  return out;
}

/**
 * Static keys and jump entries as include/linux/jump_label.h (v6.2) lays
 * them out on ppc64 with CONFIG_HAVE_ARCH_JUMP_LABEL_RELATIVE: a
 * `struct jump_entry` is 16 bytes — s32 `code` and s32 `target`, each
 * relative to its own field, and a long `key` relative to its field, whose
 * low bits are flags (bit 0: the branch is the likely-true one; bit 1: the
 * site is in init text). A `struct static_key` is `atomic_t enabled` then a
 * word holding the key's first entry, with JUMP_TYPE_* in its low bits.
 * These live in the image's memory (compiled code put them there), so the
 * accessors read and write physical memory.
 */
import { __pa } from "../../arch/powerpc/kernel/vmlinux.ts";
import type { Kernel } from "../../core/kernel.ts";

export const JUMP_ENTRY_SIZE = 16;
export const JUMP_TYPE_FALSE = 0n;
export const JUMP_TYPE_TRUE = 1n;
export const JUMP_TYPE_LINKED = 2n;
export const JUMP_TYPE_MASK = 3n;

/** `enum jump_label_type`. */
export const JUMP_LABEL_NOP = 0;
export const JUMP_LABEL_JMP = 1;

const s32 = (v: number) => BigInt(v | 0);

/** Models `jump_entry_code(entry)`: the address of the site. */
export function jumpEntryCode(k: Kernel, e: bigint): bigint {
  return e + s32(k.machine.mem.read32(__pa(e)));
}

/** Models `jump_entry_target(entry)`: where the branch goes. */
export function jumpEntryTarget(k: Kernel, e: bigint): bigint {
  return e + 4n + s32(k.machine.mem.read32(__pa(e + 4n)));
}

function keyField(k: Kernel, e: bigint): bigint {
  return BigInt.asIntN(64, k.machine.mem.read64(__pa(e + 8n)));
}

/** Models `jump_entry_key(entry)`: the static key, flags masked off. */
export function jumpEntryKey(k: Kernel, e: bigint): bigint {
  return BigInt.asUintN(64, e + 8n + (keyField(k, e) & ~3n));
}

/** Models `jump_entry_is_branch(entry)`. */
export function jumpEntryIsBranch(k: Kernel, e: bigint): boolean {
  return (keyField(k, e) & 1n) !== 0n;
}

/** Models `jump_entry_is_init(entry)`. */
export function jumpEntryIsInit(k: Kernel, e: bigint): boolean {
  return (keyField(k, e) & 2n) !== 0n;
}

/** Models `jump_entry_set_init(entry, set)`. */
export function jumpEntrySetInit(k: Kernel, e: bigint, set: boolean): void {
  const v = keyField(k, e);
  k.machine.mem.write64(__pa(e + 8n), BigInt.asUintN(64, set ? v | 2n : v & ~2n));
}

/** `atomic_read(&key->enabled)`. */
export function staticKeyEnabledCount(k: Kernel, key: bigint): number {
  return k.machine.mem.read32(__pa(key)) | 0;
}

/** `atomic_set(&key->enabled, v)`. */
export function setStaticKeyEnabledCount(k: Kernel, key: bigint, v: number): void {
  k.machine.mem.write32(__pa(key), v >>> 0);
}

/** Models `static_key_count(key)`: -1 (the first enable in progress) counts as 1. */
export function staticKeyCount(k: Kernel, key: bigint): number {
  const n = staticKeyEnabledCount(k, key);
  return n >= 0 ? n : 1;
}

/** Models `static_key_enabled(key)`. */
export function staticKeyEnabled(k: Kernel, key: bigint): boolean {
  return staticKeyCount(k, key) > 0;
}

/** `key->type` (the entries pointer and JUMP_TYPE_* bits share it). */
export function staticKeyTypeWord(k: Kernel, key: bigint): bigint {
  return k.machine.mem.read64(__pa(key + 8n));
}

/** Models `static_key_type(key)`: true for a DEFINE_STATIC_KEY_TRUE key. */
export function staticKeyType(k: Kernel, key: bigint): boolean {
  return (staticKeyTypeWord(k, key) & JUMP_TYPE_TRUE) !== 0n;
}

/** Models `static_key_entries(key)`: its first jump entry, or 0 (no users). */
export function staticKeyEntries(k: Kernel, key: bigint): bigint {
  return staticKeyTypeWord(k, key) & ~JUMP_TYPE_MASK;
}

/** Models `static_key_set_entries(key, entries)`: keeps the type bits. */
export function staticKeySetEntries(k: Kernel, key: bigint, entries: bigint): void {
  const type = staticKeyTypeWord(k, key) & JUMP_TYPE_MASK;
  k.machine.mem.write64(__pa(key + 8n), entries | type);
}

/**
 * The instruction-slot cache of kernel/kprobes.c (v6.2): `__get_insn_slot`
 * and `__free_insn_slot` on `kprobe_insn_slots`, pages from the arch's
 * alloc_insn_page(). Split from kprobes.c so that the probe table
 * (include/linux/kprobes.ts) does not depend on vmalloc.
 */
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import {
  type InsnPage,
  KPROBES_STATE,
  type KprobeInsnCache,
  MAX_INSN_SIZE,
} from "../include/linux/kprobes.ts";
import { freeVmArea, vmAreas } from "../mm/vmalloc.ts";
import { mutexLock, mutexUnlock } from "./locking/mutex.ts";

const FILE = "kernel/kprobes.c";

/** The first clean slot of a page with room, marked used; null when every page is full. */
function freeSlot(pages: readonly InsnPage[], perPage: number, slotSize: number): bigint | null {
  for (const page of pages) {
    if (page.nused >= perPage) continue;
    const i = page.used.indexOf(0);
    page.used[i] = 1;
    page.nused++;
    return page.addr + BigInt(i * slotSize);
  }
  return null;
}

/**
 * Models `__get_insn_slot(&kprobe_insn_slots)` (`get_insn_slot()`): a free
 * MAX_INSN_SIZE-word slot, from a new read-only executable page when all are
 * full. Null when no page can be allocated.
 */
export const getInsnSlot = kfunc(
  { name: "__get_insn_slot", file: FILE, size: 0x1e0 },
  function* (c: Ctx, cache: KprobeInsnCache): KGen<bigint | null> {
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.slotMutex);
    const slotSize = MAX_INSN_SIZE * 4;
    const perPage = c.k.config.pageSize / slotSize;
    let slot = freeSlot(st.insnPages, perPage, slotSize);
    if (slot === null) {
      // All out of space: a new page.
      const addr = yield* cache.alloc(c);
      if (addr !== null) {
        const page: InsnPage = { addr, used: new Uint8Array(perPage), nused: 1 };
        page.used[0] = 1;
        st.insnPages.push(page);
        slot = addr;
      }
    }
    // out: unlocked on the normal path only, as in the C.
    yield* mutexUnlock(c, st.slotMutex);
    return slot;
  },
);

/**
 * Models `__free_insn_slot(&kprobe_insn_slots, slot, 0)`: free the slot, and
 * the page when it was the last slot in use.
 * SIMPLIFICATION: the kernel keeps one empty page cached and frees pages
 * after an RCU grace period; here an emptied page is freed at once.
 */
export const freeInsnSlot = kfunc(
  { name: "__free_insn_slot", file: FILE, size: 0x150 },
  function* (c: Ctx, slot: bigint): KGen<void> {
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.slotMutex);
    const ps = BigInt(c.k.config.pageSize);
    const page = st.insnPages.find((p) => slot >= p.addr && slot < p.addr + ps);
    if (page === undefined) throw new Error(`free_insn_slot: 0x${slot.toString(16)} is not a slot`);
    page.used[Number(slot - page.addr) / (MAX_INSN_SIZE * 4)] = 0;
    page.nused--;
    if (page.nused === 0) {
      st.insnPages.splice(st.insnPages.indexOf(page), 1);
      const area = vmAreas(c).find((a) => a.addr === page.addr);
      if (area !== undefined) yield* freeVmArea(c, area);
    }
    yield* mutexUnlock(c, st.slotMutex);
  },
);

/**
 * Kernel probes, the generic half (kernel/kprobes.c, v6.2): register and
 * unregister, with the checks, the locks and the arming. The architecture
 * half is arch/powerpc/kernel/kprobes.ts; init_kprobes is in kprobes-init.ts.
 * (boot-and-oops.md §2 follows this path to the seed's patch_instruction.)
 */
import {
  archArmKprobe,
  archDisarmKprobe,
  archPrepareKprobe,
  archRemoveKprobe,
  archWithinKprobeBlacklist,
  kprobeLookupName,
} from "../arch/powerpc/kernel/kprobes.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import { KPROBES_STATE, type Kprobe } from "../include/linux/kprobes.ts";
import { EINVAL, ENOENT } from "../include/uapi/errno.ts";
import { bugTable, findBug } from "../lib/bug.ts";
import { coreKernelText, textMutex } from "./extable.ts";
import { mutexLock, mutexUnlock } from "./locking/mutex.ts";
import { moduleTextAddress } from "./module/list.ts";

const FILE = "kernel/kprobes.c";

/**
 * Models `check_kprobe_address_safe()`: core kernel text (modules are not
 * modelled here), not blacklisted, not a BUG-table address.
 */
function checkKprobeAddressSafe(c: Ctx, p: Kprobe): number {
  // kernel_text_address(): core kernel text or a loaded module's text.
  const text = coreKernelText(c.k, p.addr) || moduleTextAddress(c.k, p.addr) !== undefined;
  if (!text || archWithinKprobeBlacklist(c.k, p.addr) || findBug([bugTable(c.k)], p.addr)) {
    return -EINVAL;
  }
  return 0;
}

/**
 * Models `register_kprobe(p)`: resolve the address, check it, prepare the
 * probe (copy the instruction into a slot) under text_mutex, insert it and
 * arm it (write the trap).
 */
export const registerKprobe = kfunc(
  { name: "register_kprobe", file: FILE, size: 0x7c0 },
  function* (c: Ctx, p: Kprobe): KGen<number> {
    const st = c.k.slot(KPROBES_STATE);
    // _kprobe_addr(): the symbol's address (its local entry when no offset) + offset.
    if (p.symbolName !== undefined) {
      const addr = yield* kprobeLookupName(c, p.symbolName, p.offset ?? 0);
      if (addr === null) return -ENOENT;
      p.addr = addr + BigInt(p.offset ?? 0);
    }
    if (p.registered) return -EINVAL;
    p.nmissed = 0;
    let ret = checkKprobeAddressSafe(c, p);
    if (ret) return ret;
    yield* mutexLock(c, st.kprobeMutex);
    if (st.table.has(p.addr)) {
      // SIMPLIFICATION: aggregated probes on one address are not modelled.
      ret = -EINVAL;
    } else {
      // cpus_read_lock() is not modelled: hotplug and probes do not race in these runs.
      const tm = textMutex(c.k);
      yield* mutexLock(c, tm);
      ret = yield* archPrepareKprobe(c, p);
      yield* mutexUnlock(c, tm);
      if (!ret) {
        st.table.set(p.addr, p);
        p.registered = true;
        if (!st.kprobesAllDisarmed) {
          yield* mutexLock(c, tm);
          yield* archArmKprobe(c, p);
          yield* mutexUnlock(c, tm);
        }
      }
    }
    // out: the unlock is on the normal path only, as in the C: a task that
    // dies in between (an oops under text_mutex) leaves both mutexes held.
    yield* mutexUnlock(c, st.kprobeMutex);
    return ret;
  },
);

/** Models `unregister_kprobe(p)`: disarm (restore the original word), remove, free the slot. */
export const unregisterKprobe = kfunc(
  { name: "unregister_kprobe", file: FILE, size: 0x60 },
  function* (c: Ctx, p: Kprobe): KGen<void> {
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.kprobeMutex);
    // __unregister_kprobe_top(): an unknown probe is -EINVAL, and its bottom half is skipped.
    const found = p.registered && st.table.get(p.addr) === p;
    if (found) {
      if (!st.kprobesAllDisarmed) {
        const tm = textMutex(c.k);
        yield* mutexLock(c, tm);
        yield* archDisarmKprobe(c, p);
        yield* mutexUnlock(c, tm);
      }
      st.table.delete(p.addr);
      p.registered = false;
    }
    yield* mutexUnlock(c, st.kprobeMutex);
    if (found) yield* archRemoveKprobe(c, p);
  },
);

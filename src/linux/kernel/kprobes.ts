/**
 * Kernel probes, the generic half (kernel/kprobes.c, v6.2): register and
 * unregister, with the checks, the locks and the arming; and kretprobes
 * (the instance freelist, pre_handler_kretprobe, __kretprobe_trampoline_handler;
 * docs/kprobes.md). The architecture half is arch/powerpc/kernel/kprobes.ts
 * (kretprobe hooks: kprobes-kretprobe.ts, kprobes-trampoline.ts); init_kprobes
 * is in kprobes-init.ts.
 * (boot-and-oops.md §2 follows this path to the seed's patch_instruction.)
 */

import { BUG } from "../arch/powerpc/include/asm/bug.ts";
import type { InterruptRegs } from "../arch/powerpc/kernel/interrupt.ts";
import {
  archArmKprobe,
  archDisarmKprobe,
  archPrepareKprobe,
  archRemoveKprobe,
  archWithinKprobeBlacklist,
  kprobeLookupName,
} from "../arch/powerpc/kernel/kprobes.ts";
import {
  archAdjustKprobeAddr,
  archPrepareKretprobe,
} from "../arch/powerpc/kernel/kprobes-kretprobe.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { kfunc } from "../core/kfunc.ts";
import { declareBugSite } from "../image/sites.ts";
import {
  getKretprobe,
  KPROBES_STATE,
  type Kprobe,
  type Kretprobe,
  type KretprobeHolder,
  type KretprobeInstance,
  kprobeRunning,
  kretprobeInstancesFirst,
  kretprobeTrampolineAddr,
  setCurrentKprobeOnly,
  setKretprobeInstancesFirst,
} from "../include/linux/kprobes.ts";
import { EINVAL, ENOENT } from "../include/uapi/errno.ts";
import { bugTable, findBug } from "../lib/bug.ts";
import { coreKernelText, textMutex } from "./extable.ts";
import { jumpLabelTextReserved } from "./jump_label.ts";
import { mutexLock, mutexUnlock } from "./locking/mutex.ts";
import { moduleTextAddress } from "./module/list.ts";

const FILE = "kernel/kprobes.c";

/**
 * Models `check_kprobe_address_safe()`: kernel or module text, not
 * blacklisted, not a jump-label site, not a BUG-table address.
 */
function checkKprobeAddressSafe(c: Ctx, p: Kprobe): number {
  // kernel_text_address(): core kernel text or a loaded module's text.
  const text = coreKernelText(c.k, p.addr) || moduleTextAddress(c.k, p.addr) !== undefined;
  if (
    !text ||
    archWithinKprobeBlacklist(c.k, p.addr) ||
    jumpLabelTextReserved(c.k, p.addr, p.addr) ||
    findBug([bugTable(c.k)], p.addr)
  ) {
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

/**
 * Models `__unregister_kprobe_top(p)` (kprobe_mutex held): disarm (restore
 * the original word) and remove the probe from the table; -EINVAL for a
 * probe that is not registered, whose bottom half is then skipped.
 */
function* unregisterKprobeTop(c: Ctx, p: Kprobe): KGen<number> {
  const st = c.k.slot(KPROBES_STATE);
  if (!p.registered || st.table.get(p.addr) !== p) return -EINVAL;
  if (!st.kprobesAllDisarmed) {
    const tm = textMutex(c.k);
    yield* mutexLock(c, tm);
    yield* archDisarmKprobe(c, p);
    yield* mutexUnlock(c, tm);
  }
  st.table.delete(p.addr);
  p.registered = false;
  return 0;
}

/** Models `unregister_kprobe(p)`: disarm (restore the original word), remove, free the slot. */
export const unregisterKprobe = kfunc(
  { name: "unregister_kprobe", file: FILE, size: 0x60 },
  function* (c: Ctx, p: Kprobe): KGen<void> {
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.kprobeMutex);
    const found = (yield* unregisterKprobeTop(c, p)) === 0;
    yield* mutexUnlock(c, st.kprobeMutex);
    // __unregister_kprobe_bottom(): an independent probe's slot.
    if (found) yield* archRemoveKprobe(c, p);
  },
);

// --- kretprobes (CONFIG_KRETPROBES; powerpc does not select KRETPROBE_ON_RETHOOK at v6.2) ---

/** `E2BIG` (include/uapi/asm-generic/errno-base.h), which only register_kretprobe returns here. */
const E2BIG = 7;

/** `KRETPROBE_MAX_DATA_SIZE` (include/linux/kprobes.h). */
export const KRETPROBE_MAX_DATA_SIZE = 4096;

// __kretprobe_trampoline_handler()'s BUG_ON(1) when no instance holds a
// return address: a constant condition, compiled as BUG() (`twi 31,0,0`).
// UNVERIFIED: the line is derived from the v6.2-era patch contexts around the function
// (pre_handler_kretprobe at kernel/kprobes.c:2072), not read off a v6.2 tree.
// SIMPLIFICATION: declared here, not in src/linux/image/bug-sites.ts.
const RET_ADDR_NOT_FOUND = { file: FILE, line: 2016 };
declareBugSite({ fn: "__kretprobe_trampoline_handler", ...RET_ADDR_NOT_FOUND, kind: "bug" });

/**
 * Models `kprobe_on_func_entry(addr, sym, offset)` through `_kprobe_addr()`:
 * resolve the probe point (kprobe_lookup_name, then the offset), find the
 * symbol holding it (kallsyms_lookup_size_offset) and ask the arch whether it
 * is that function's entry. 0; -ENOENT when a lookup fails; -EINVAL when it
 * is not the entry, or when both or neither of the address and the symbol
 * are given (a kretprobe registered before has its address set).
 */
function* kprobeOnFuncEntry(c: Ctx, p: Kprobe): KGen<number> {
  const sym = p.symbolName;
  if ((sym !== undefined) === (p.addr !== 0n)) return -EINVAL;
  let addr = p.addr;
  if (sym !== undefined) {
    const a = yield* kprobeLookupName(c, sym, p.offset ?? 0);
    if (a === null) return -ENOENT;
    addr = a;
  }
  const hit = c.k.kallsyms.lookup(addr + BigInt(p.offset ?? 0));
  if (hit === undefined) return -ENOENT;
  return archAdjustKprobeAddr(hit.symbol.address, hit.offset).onFuncEntry ? 0 : -EINVAL;
}

/**
 * Models `free_rp_inst(rp)`: free the instances on the freelist; the holder
 * goes with the last instance (instances still out on a task's list free
 * themselves when their function returns, recycle_rp_inst).
 */
function freeRpInst(c: Ctx, rp: Kretprobe): void {
  c.k.machine.footprint?.object(rp.freelist, true);
  const count = rp.freelist.free.length;
  rp.freelist.free.length = 0;
  if (rp.rph !== null) {
    rp.rph.ref -= count;
    if (rp.rph.ref === 0) rp.rph = null;
  }
}

/**
 * Models `recycle_rp_inst(ri)`: back on its kretprobe's freelist, or freed
 * when the kretprobe is gone. SIMPLIFICATION: the free (call_rcu →
 * free_rp_inst_rcu: kfree, and the holder with the last reference) is
 * immediate, with no grace period.
 */
function recycleRpInst(c: Ctx, ri: KretprobeInstance): void {
  const rp = getKretprobe(c, ri);
  if (rp !== null) {
    c.k.machine.footprint?.object(rp.freelist, true);
    rp.freelist.free.push(ri);
  } else {
    c.k.machine.footprint?.object(ri.rph, true);
    ri.rph.ref--;
  }
}

/**
 * Models `__kretprobe_trampoline_handler(regs, frame_pointer)`, from the
 * arch's trampoline probe: find the return address of the innermost tracked
 * call on the current task (`__kretprobe_find_ret_addr`: the newest instance
 * whose ret_addr is not the trampoline), set it as the instruction pointer,
 * run the return handlers of the instances up to it (with current_kprobe set
 * to their kretprobe), unlink them from the task's list and recycle them.
 * Returns the correct return address. A task with no instance is a kernel
 * bug: the kernel's message, then BUG.
 */
export const __kretprobeTrampolineHandler = kfunc(
  { name: "__kretprobe_trampoline_handler", file: FILE, size: 0x1d0 },
  function* (c: Ctx, regs: InterruptRegs, framePointer: bigint | null): KGen<bigint> {
    const trampoline = kretprobeTrampolineAddr(c.k);
    let node: KretprobeInstance | null = null;
    for (let ri = kretprobeInstancesFirst(c); ri !== null; ri = ri.llistNext) {
      if (ri.retAddr !== trampoline) {
        node = ri;
        break;
      }
    }
    if (node === null) {
      c.k.printk.prErr(
        "kprobes: kretprobe: Return address not found, not execute handler. Maybe there is a bug in the kernel.\n",
        c.current.pid,
      );
      return yield* BUG(c, RET_ADDR_NOT_FOUND);
    }
    const correctRetAddr = node.retAddr;
    // instruction_pointer_set(): a handler's stack trace starts at the caller.
    regs.nip = correctRetAddr;
    for (let ri = kretprobeInstancesFirst(c); ri !== null; ri = ri.llistNext) {
      // WARN_ON_ONCE(ri->fp != frame_pointer) cannot fire: fp is NULL on powerpc.
      if (ri.fp !== framePointer) break;
      const rp = getKretprobe(c, ri);
      if (rp !== null && rp.handler !== undefined) {
        const prev = kprobeRunning(c);
        setCurrentKprobeOnly(c, rp.kp);
        ri.retAddr = correctRetAddr;
        rp.hits++;
        yield* rp.handler(c, ri, regs);
        setCurrentKprobeOnly(c, prev);
      }
      if (ri === node) break;
    }
    // arch_kretprobe_fixup_return(): nothing on powerpc.
    let first = kretprobeInstancesFirst(c);
    setKretprobeInstancesFirst(c, node.llistNext);
    node.llistNext = null;
    while (first !== null) {
      const next: KretprobeInstance | null = first.llistNext;
      recycleRpInst(c, first);
      first = next;
    }
    return correctRetAddr;
  },
);

/**
 * Models `pre_handler_kretprobe(p, regs)`, the entry probe's pre-handler:
 * take a free instance (none: count a miss), let the entry handler decline
 * it (back on the freelist), else hijack the return (arch_prepare_kretprobe)
 * and push the instance on the current task's list. Always 0: the probed
 * instruction is then stepped as for any kprobe.
 */
const preHandlerKretprobe = kfunc(
  { name: "pre_handler_kretprobe", file: FILE, size: 0xd0 },
  function* (c: Ctx, p: Kprobe, regs: InterruptRegs): KGen<number> {
    const rp = p.rp!;
    c.k.machine.footprint?.object(rp.freelist, true);
    const ri = rp.freelist.free.pop();
    if (ri === undefined) {
      rp.nmissed++;
      return 0;
    }
    if (rp.entryHandler !== undefined && (yield* rp.entryHandler(c, ri, regs)) !== 0) {
      rp.freelist.free.push(ri);
      return 0;
    }
    yield* archPrepareKretprobe(c, ri, regs);
    // __llist_add(&ri->llist, &current->kretprobe_instances)
    ri.llistNext = kretprobeInstancesFirst(c);
    setKretprobeInstancesFirst(c, ri);
    return 0;
  },
);

/**
 * Models `register_kretprobe(rp)`: the probe point must be a function's
 * entry; allocate `maxactive` instances (default max(10, 2 *
 * num_possible_cpus())) on the freelist with their holder, then register
 * the entry probe with pre_handler_kretprobe (on failure the instances are
 * freed). SIMPLIFICATION: the instances are model objects, not kzalloc'd
 * memory, so there is no -ENOMEM path; the kretprobe blacklist (empty on
 * powerpc) and warn_kprobe_rereg (for probes given by address; the model's
 * are given by symbol) are not modelled.
 */
export const registerKretprobe = kfunc(
  { name: "register_kretprobe", file: FILE, size: 0x2b0 },
  function* (c: Ctx, rp: Kretprobe): KGen<number> {
    const onEntry = yield* kprobeOnFuncEntry(c, rp.kp);
    if (onEntry) return onEntry;
    if (rp.dataSize > KRETPROBE_MAX_DATA_SIZE) return -E2BIG;
    rp.kp.preHandler = preHandlerKretprobe;
    rp.kp.postHandler = undefined;
    // num_possible_cpus(): every CPU of the machine is possible.
    if (rp.maxactive <= 0) rp.maxactive = Math.max(10, 2 * c.k.machine.cpus.length);
    c.k.machine.footprint?.object(rp.freelist, true);
    rp.freelist.free.length = 0;
    const rph: KretprobeHolder = { name: `kretprobe_holder ${rp.kp.symbolName}`, rp, ref: 0 };
    rp.rph = rph;
    const words = Math.ceil(rp.dataSize / 8);
    for (let i = 0; i < rp.maxactive; i++) {
      rp.freelist.free.push({
        llistNext: null,
        rph,
        retAddr: 0n,
        fp: null,
        data: new Array<bigint>(words).fill(0n),
      });
    }
    rph.ref = rp.maxactive;
    rp.nmissed = 0;
    const ret = yield* registerKprobe(c, rp.kp);
    if (ret !== 0) freeRpInst(c, rp);
    return ret;
  },
);

/**
 * Models `unregister_kretprobes(rps, num)`: under kprobe_mutex, take each
 * entry probe out (its address cleared if it was not registered) and cut
 * its instances loose from it (`rph->rp = NULL`: those still out run no
 * handler and are freed when their function returns); then remove the
 * probes' slots and free the instances on the freelists.
 * SIMPLIFICATION: no synchronize_rcu() between the two halves (as in
 * unregister_kprobe here); an entry-probe hit is one step up to its slot
 * read, so no CPU is inside pre_handler_kretprobe when the freelist goes.
 */
export const unregisterKretprobes = kfunc(
  { name: "unregister_kretprobes", file: FILE, size: 0x150 },
  function* (c: Ctx, rps: readonly Kretprobe[]): KGen<void> {
    if (rps.length === 0) return;
    const st = c.k.slot(KPROBES_STATE);
    yield* mutexLock(c, st.kprobeMutex);
    for (const rp of rps) {
      if ((yield* unregisterKprobeTop(c, rp.kp)) < 0) rp.kp.addr = 0n;
      // The kernel dereferences rph unconditionally: a kretprobe never registered oopses there.
      if (rp.rph !== null) {
        c.k.machine.footprint?.object(rp.rph, true);
        rp.rph.rp = null;
      }
    }
    yield* mutexUnlock(c, st.kprobeMutex);
    for (const rp of rps) {
      if (rp.kp.addr === 0n) continue;
      // __unregister_kprobe_bottom(): an independent probe's slot.
      yield* archRemoveKprobe(c, rp.kp);
      freeRpInst(c, rp);
    }
  },
);

/** Models `unregister_kretprobe(rp)`: unregister_kretprobes(&rp, 1). */
export const unregisterKretprobe = kfunc(
  { name: "unregister_kretprobe", file: FILE, size: 0x20 },
  function* (c: Ctx, rp: Kretprobe): KGen<void> {
    yield* unregisterKretprobes(c, [rp]);
  },
);

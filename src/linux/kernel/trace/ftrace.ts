/**
 * Dynamic ftrace, the generic half (kernel/trace/ftrace.c, v6.2): the
 * `dyn_ftrace` records made at boot from __mcount_loc (`ftrace_init` →
 * `ftrace_process_locs` → `ftrace_update_code` → `ftrace_nop_initialize`,
 * every site made a nop), the ftrace_ops a tracer registers with its filter
 * (`register_ftrace_function` → `ftrace_startup` → `ftrace_run_update_code`
 * → `ftrace_modify_all_code` → `ftrace_replace_code`, each record's site
 * made a call of ftrace_caller and ftrace_call pointed at the tracer),
 * `ftrace_bug()` with its report, and the early `ftrace_filter=` option.
 *
 * The call path runs compiled (fixtures/kernel/ftrace_mprofile.S and
 * trace_functions.c): it reads ftrace_ops_list, each ops' func, flags,
 * private and filter hash, and function_trace_op from kernel memory. So the
 * model keeps those there and writes them with visible stores; the records,
 * counts and flags that only this code reads are kept here.
 *
 * SIMPLIFICATION: one ftrace_ops is modelled (global_ops, the top-level
 * trace array's, which the function tracer registers), with no notrace
 * hash, no pid filtering, no trampolines (arch/powerpc has none), no
 * DIRECT/IPMODIFY/REGS record states and no module records; the
 * FTRACE_WARN_ON()s outside ftrace_bug() (ftrace_modify_all_code's checks
 * of ftrace_update_ftrace_func) only kill ftrace, without the WARNING
 * report; the filter accepts exact function names (no globs, no `:mod:`);
 * ftrace_sync_ipi's smp_call_function() between publishing
 * function_trace_op and repointing ftrace_call is not modelled; a record's
 * pages are counted but the records are kept here, not in those pages.
 */
import { ppcInstVal } from "../../../isa/powerpc/inst.ts";
import type { Fault } from "../../../machine/mmu/fault.ts";
import { st } from "../../../machine/task-ops.ts";
import { warnOnOnce } from "../../arch/powerpc/include/asm/bug.ts";
import { localIrqRestore, localIrqSave } from "../../arch/powerpc/include/asm/hw_irq.ts";
import { allocatePacas } from "../../arch/powerpc/include/asm/paca.ts";
import { bootCommandLine } from "../../arch/powerpc/kernel/setup-common.ts";
import {
  copyInstFromKernelNofault,
  ftraceDynArchInit,
  ftraceMakeCall,
  ftraceMakeNop,
  ftraceSymbol,
  ftraceUpdateFtraceFunc,
} from "../../arch/powerpc/kernel/trace/ftrace.ts";
import { __pa } from "../../arch/powerpc/kernel/vmlinux.ts";
import type { Ctx, KGen } from "../../core/ctx.ts";
import { defineSlot, type Kernel } from "../../core/kernel.ts";
import { kfunc } from "../../core/kfunc.ts";
import { imageLayout } from "../../image/build.ts";
import { declareCalls } from "../../image/sites.ts";
import { GFP_KERNEL } from "../../include/linux/gfp.ts";
import { EBUSY, EFAULT, EINVAL, ENODEV, ENOMEM, ENOSPC, EPERM } from "../../include/uapi/errno.ts";
import { allocPages } from "../../mm/page_alloc.ts";
import { type Mutex, mutexInit, mutexLock, mutexUnlock } from "../locking/mutex.ts";
import {
  FTRACE_HASH_MAX,
  FTRACE_OPS_FL_ADDING,
  FTRACE_OPS_FL_ENABLED,
  FTRACE_OPS_FL_INITIALIZED,
  FTRACE_OPS_FL_PID,
  FTRACE_OPS_FL_REMOVING,
  HASH_COUNT,
  HASH_IPS,
  OPS_FILTER_HASH,
  OPS_FLAGS,
  OPS_FUNC,
  OPS_NEXT,
  OPS_NOTRACE_HASH,
  OPS_PRIVATE,
} from "./trace-layout.ts";

const FILE = "kernel/trace/ftrace.c";
const CONFIG = "FUNCTION_TRACER" as const;

/** The WARN_ON_ONCE in ftrace_bug() (FTRACE_WARN_ON_ONCE(1)); see bug-sites.ts. */
export const FTRACE_BUG_WARN = { file: FILE, line: 2130 } as const;

/** `FTRACE_FL_*` record flags and the reference count below them (include/linux/ftrace.h). */
export const FTRACE_FL_ENABLED = 0x8000_0000;
export const FTRACE_FL_REGS = 1 << 30;
export const FTRACE_FL_REGS_EN = 1 << 29;
export const FTRACE_FL_TRAMP = 1 << 28;
export const FTRACE_FL_TRAMP_EN = 1 << 27;
export const FTRACE_FL_DISABLED = 1 << 25;
export const FTRACE_REF_MAX = (1 << 23) - 1;

/** `enum ftrace_bug_type`. */
export const FTRACE_BUG_UNKNOWN = 0;
export const FTRACE_BUG_INIT = 1;
export const FTRACE_BUG_NOP = 2;
export const FTRACE_BUG_CALL = 3;
export const FTRACE_BUG_UPDATE = 4;

/** ftrace_modify_all_code() commands (`FTRACE_UPDATE_CALLS` ...). */
const FTRACE_UPDATE_CALLS = 1 << 0;
const FTRACE_DISABLE_CALLS = 1 << 1;
const FTRACE_UPDATE_TRACE_FUNC = 1 << 2;

/** ftrace_update_record() answers. */
const FTRACE_UPDATE_IGNORE = 0;
const FTRACE_UPDATE_MAKE_CALL = 1;
const FTRACE_UPDATE_MODIFY_CALL = 2;
const FTRACE_UPDATE_MAKE_NOP = 3;

/** `MCOUNT_INSN_SIZE`. */
const MCOUNT_INSN_SIZE = 4n;
/** `sizeof(struct dyn_ftrace)` on ppc64: ip, flags, arch.mod. */
const DYN_FTRACE_SIZE = 24;

/** A `struct dyn_ftrace`: one call site. */
export interface DynFtrace {
  readonly ip: bigint;
  /** FTRACE_FL_* and the reference count, as an unsigned 32-bit value. */
  flags: number;
}

/** The model of the ftrace_ops the function tracer registers (`global_ops`). */
export interface FtraceOps {
  /** The struct in kernel memory, and its filter hash. */
  readonly addr: bigint;
  readonly hashAddr: bigint;
  func: bigint;
  savedFunc: bigint;
  flags: number;
  /** `func_hash->filter_hash`, as the addresses it holds (empty: every function). */
  readonly filter: bigint[];
}

interface FtraceState {
  /** The ftrace pages, each a group of records (`ftrace_pages_start` ...). */
  pages: DynFtrace[][];
  numberOfPages: number;
  numberOfGroups: number;
  updateTotCnt: number;
  /** `ftrace_disabled`, set by ftrace_kill(). */
  disabled: boolean;
  /** `ftrace_enabled` (sysctl kernel.ftrace_enabled). */
  enabled: boolean;
  bugType: number;
  /** `ftrace_expected`: the arch may point it at the bytes it expected; powerpc never does. */
  expected: bigint | null;
  /** `ftrace_trace_function`, `saved_ftrace_func`, `set_function_trace_op`: addresses. */
  traceFunction: bigint;
  savedFtraceFunc: bigint;
  setFunctionTraceOp: bigint;
  /** Registered ops, head of ftrace_ops_list first. */
  readonly opsList: FtraceOps[];
  startUp: number;
  readonly lock: Mutex;
  /** `ftrace_filter_buf`: the `ftrace_filter=` boot option. */
  filterBuf: string;
  globalOps: FtraceOps | null;
}

const STATE = defineSlot<FtraceState>("ftrace", () => ({
  pages: [],
  numberOfPages: 0,
  numberOfGroups: 0,
  updateTotCnt: 0,
  disabled: false,
  enabled: false,
  bugType: FTRACE_BUG_UNKNOWN,
  expected: null,
  traceFunction: 0n,
  savedFtraceFunc: 0n,
  setFunctionTraceOp: 0n,
  opsList: [],
  startUp: 0,
  lock: mutexInit("ftrace_lock"),
  filterBuf: "",
  globalOps: null,
}));

/** Is this kernel built with dynamic ftrace? */
export function ftraceConfigured(k: Kernel): boolean {
  return k.config.bool("FUNCTION_TRACER") && k.config.bool("DYNAMIC_FTRACE");
}

/** Every record, in address order (`do_for_each_ftrace_rec`). */
export function ftraceRecords(k: Kernel): readonly DynFtrace[] {
  return k.slot(STATE).pages.flat();
}

/** `ftrace_disabled`. */
export function ftraceDisabled(k: Kernel): boolean {
  return k.slot(STATE).disabled;
}

/** `ftrace_rec_count(rec)`. */
export function ftraceRecCount(rec: DynFtrace): number {
  return rec.flags & FTRACE_REF_MAX;
}

/** `ftrace_lock`. */
export function ftraceLock(k: Kernel): Mutex {
  return k.slot(STATE).lock;
}

/** The function holding a site, by kallsyms (what ftrace_match_records compares). */
function siteFunction(k: Kernel, ip: bigint): string | undefined {
  return k.kallsyms.lookup(ip)?.symbol.name;
}

/**
 * The functions with an ftrace site in the image (from __mcount_loc), in
 * address order: what `available_filter_functions` lists before init memory
 * is freed.
 */
export function ftraceSiteFunctions(k: Kernel): string[] {
  const out: string[] = [];
  for (const ip of imageLayout(k).mcountLoc) {
    const name = siteFunction(k, ip);
    if (name !== undefined && !out.includes(name)) out.push(name);
  }
  return out;
}

/** The site addresses of function `name` (empty when it has none). */
export function ftraceSitesOf(k: Kernel, name: string): bigint[] {
  return imageLayout(k).mcountLoc.filter((ip) => siteFunction(k, ip) === name);
}

/** A store to kernel data that compiled code reads (a visible step). */
function* storeData(c: Ctx, addr: bigint, size: 4 | 8, value: bigint): KGen<void> {
  const f: Fault | null = yield* st(c.k.machine, c.cpu, addr, size, value);
  if (f !== null) throw new Error(`ftrace: store to 0x${addr.toString(16)} faulted`);
}

/** Models `ftrace_kill()`: ftrace is dead for the rest of the boot. */
export function ftraceKill(k: Kernel): void {
  const s = k.slot(STATE);
  s.disabled = true;
  s.enabled = false;
  s.traceFunction = ftraceSymbol(k, "ftrace_stub");
}

const hex2 = (v: number) => v.toString(16).padStart(2, "0");

/**
 * Models `print_ip_ins(fmt, p)`: the MCOUNT_INSN_SIZE bytes at `p` in memory
 * order ("%*phC"), or "[FAULT]" when they cannot be read.
 */
function* printIpIns(c: Ctx, fmt: string, p: bigint): KGen<void> {
  const log = c.k.printk;
  const inst = yield* copyInstFromKernelNofault(c, p);
  if (inst === null) {
    log.printk(`\x01c${fmt}[FAULT] ${p.toString(16).padStart(16, "0")}\n`, c.current.pid);
    return;
  }
  const w = ppcInstVal(inst) >>> 0;
  log.printk(`\x01c${fmt}`, c.current.pid);
  const bytes = [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24];
  log.prCont(bytes.map(hex2).join(":"), c.current.pid);
}

/** Models `print_ip_sym(KERN_INFO, ip)`: "[<%px>] %pS". */
function printIpSym(c: Ctx, ip: bigint): void {
  c.k.printk.prInfo(
    `[<${ip.toString(16).padStart(16, "0")}>] ${c.k.kallsyms.sprintSymbol(ip)}\n`,
    c.current.pid,
  );
}

/** Models `print_bug_type()`. */
function printBugType(c: Ctx): void {
  const log = c.k.printk;
  const pid = c.current.pid;
  switch (c.k.slot(STATE).bugType) {
    case FTRACE_BUG_INIT:
      log.prInfo("Initializing ftrace call sites\n", pid);
      break;
    case FTRACE_BUG_NOP:
      log.prInfo("Setting ftrace call site to NOP\n", pid);
      break;
    case FTRACE_BUG_CALL:
      log.prInfo("Setting ftrace call site to call ftrace function\n", pid);
      break;
    case FTRACE_BUG_UPDATE:
      log.prInfo("Updating ftrace call site to call a different ftrace function\n", pid);
      break;
  }
}

/**
 * Models `ftrace_get_addr_curr(rec)` / `ftrace_get_addr_new(rec)` with no
 * direct calls, trampolines or regs: FTRACE_ADDR, i.e. ftrace_caller.
 */
function ftraceAddr(k: Kernel): bigint {
  return ftraceSymbol(k, "ftrace_caller");
}

/**
 * Models `ftrace_bug(failed, rec)`: report why a site could not be changed,
 * then FTRACE_WARN_ON_ONCE(1) — the WARNING once, and ftrace_kill() always.
 */
export const ftraceBug = kfunc(
  { name: "ftrace_bug", file: FILE, size: 0x2e0, config: CONFIG },
  function* (c: Ctx, failed: number, rec: DynFtrace | null): KGen<void> {
    const k = c.k;
    const log = k.printk;
    const pid = c.current.pid;
    const ip = rec?.ip ?? 0n;
    log.prInfo("------------[ ftrace bug ]------------\n", pid);
    switch (failed) {
      case -EFAULT:
        log.prInfo("ftrace faulted on modifying ", pid);
        printIpSym(c, ip);
        break;
      case -EINVAL: {
        log.prInfo("ftrace failed to modify ", pid);
        printIpSym(c, ip);
        yield* printIpIns(c, " actual:   ", ip);
        log.prCont("\n", pid);
        const expected = k.slot(STATE).expected;
        if (expected !== null) {
          yield* printIpIns(c, " expected: ", expected);
          log.prCont("\n", pid);
        }
        break;
      }
      case -EPERM:
        log.prInfo("ftrace faulted on writing ", pid);
        printIpSym(c, ip);
        break;
      default:
        log.prInfo("ftrace faulted on unknown error ", pid);
        printIpSym(c, ip);
    }
    printBugType(c);
    if (rec !== null) {
      log.prInfo(`ftrace record flags: ${(rec.flags >>> 0).toString(16)}\n`, pid);
      log.prCont(
        ` (${ftraceRecCount(rec)})${(rec.flags & FTRACE_FL_REGS) !== 0 ? " R" : "  "}`,
        pid,
      );
      // No record has FTRACE_FL_TRAMP_EN: powerpc has no ftrace trampolines.
      log.prCont(`\n expected tramp: ${ftraceAddr(k).toString(16)}\n`, pid);
    }
    // FTRACE_WARN_ON_ONCE(1): WARN_ON_ONCE is true even once it stops printing.
    if (yield* warnOnOnce(c, true, FTRACE_BUG_WARN)) ftraceKill(k);
  },
);

/** Models `ftrace_nop_initialize(mod, rec)` (ftrace_init_nop = ftrace_make_nop(MCOUNT_ADDR)). */
function* ftraceNopInitialize(c: Ctx, rec: DynFtrace): KGen<boolean> {
  const k = c.k;
  if (k.slot(STATE).disabled) return false;
  const ret = yield* ftraceMakeNop(c, rec.ip, ftraceSymbol(k, "_mcount"));
  if (ret !== 0) {
    k.slot(STATE).bugType = FTRACE_BUG_INIT;
    yield* ftraceBug(c, ret, rec);
    return false;
  }
  return true;
}

/**
 * Models `ftrace_update_code(mod, new_pgs)`: every new record starts with
 * no flags and its site made a nop; a failure ends its page (and, through
 * ftrace_bug's ftrace_kill, the rest).
 */
function* ftraceUpdateCode(c: Ctx, pages: readonly DynFtrace[][]): KGen<number> {
  const s = c.k.slot(STATE);
  let updateCnt = 0;
  for (const pg of pages) {
    for (const p of pg) {
      if (s.disabled) return -1;
      p.flags = 0;
      if (!(yield* ftraceNopInitialize(c, p))) break;
      updateCnt++;
    }
  }
  s.updateTotCnt += updateCnt;
  return 0;
}

/** `ENTRIES_PER_PAGE`. */
function entriesPerPage(k: Kernel): number {
  return Math.floor(k.config.pageSize / DYN_FTRACE_SIZE);
}

/**
 * Models `ftrace_allocate_pages(count)` / `ftrace_allocate_records()`: as
 * few groups as possible, each 2^order pages of records.
 */
function* ftraceAllocatePages(c: Ctx, count: number): KGen<number[] | null> {
  const k = c.k;
  const s = k.slot(STATE);
  const perPage = entriesPerPage(k);
  const groups: number[] = [];
  let left = count;
  while (left > 0) {
    const pages = Math.ceil(left / perPage);
    let order = 31 - Math.clz32(pages);
    let pa: number | null = null;
    for (;;) {
      pa = yield* allocPages(c, GFP_KERNEL, order, "ftrace_allocate_records");
      if (pa !== null || order === 0) break;
      order--;
    }
    if (pa === null) {
      c.k.printk.prInfo("ftrace: FAILED to allocate memory for functions\n", c.current.pid);
      return null;
    }
    s.numberOfPages += 1 << order;
    s.numberOfGroups++;
    const cnt = Math.min(left, Math.floor((k.config.pageSize << order) / DYN_FTRACE_SIZE));
    groups.push(cnt);
    left -= cnt;
  }
  return groups;
}

/**
 * Models `ftrace_process_locs(NULL, start, end)` for the core kernel: sort
 * the sites, allocate the pages, fill one record per site and, with
 * interrupts off, convert them all (ftrace_update_code), under ftrace_lock.
 */
export const ftraceProcessLocs = kfunc(
  { name: "ftrace_process_locs", file: FILE, size: 0x4c0, config: CONFIG },
  function* (c: Ctx, locs: readonly bigint[]): KGen<number> {
    const k = c.k;
    const s = k.slot(STATE);
    if (locs.length === 0) return 0;
    const sorted = [...locs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const groups = yield* ftraceAllocatePages(c, sorted.length);
    if (groups === null) return -ENOMEM;
    yield* mutexLock(c, s.lock);
    const pages: DynFtrace[][] = [];
    let i = 0;
    for (const n of groups) {
      const pg: DynFtrace[] = [];
      for (let j = 0; j < n && i < sorted.length; j++) {
        const addr = sorted[i++]!;
        if (addr !== 0n) pg.push({ ip: addr, flags: 0 });
      }
      pages.push(pg);
    }
    s.pages = pages;
    const flags = localIrqSave(c);
    yield* ftraceUpdateCode(c, pages);
    yield* localIrqRestore(c, flags);
    yield* mutexUnlock(c, s.lock);
    return 0;
  },
);

/** The top-level trace array's ftrace_ops (`global_ops`), created on first use. */
export function globalOps(k: Kernel): FtraceOps {
  const s = k.slot(STATE);
  if (s.globalOps === null) {
    s.globalOps = {
      addr: ftraceSymbol(k, "global_ops"),
      hashAddr: ftraceSymbol(k, "global_ops_filter_hash"),
      func: ftraceSymbol(k, "ftrace_stub"),
      savedFunc: 0n,
      flags: FTRACE_OPS_FL_INITIALIZED | FTRACE_OPS_FL_PID,
      filter: [],
    };
  }
  return s.globalOps;
}

/**
 * The memory image of an ops at boot, before any other CPU runs (plain
 * writes): func, flags, private, the filter hash pointer.
 */
function writeOpsEarly(k: Kernel, ops: FtraceOps, priv: bigint): void {
  const mem = k.machine.mem;
  const p = __pa(ops.addr);
  mem.write64(p + OPS_FUNC, ops.func);
  mem.write64(p + OPS_FLAGS, BigInt(ops.flags >>> 0));
  mem.write64(p + OPS_PRIVATE, priv);
  mem.write64(p + OPS_FILTER_HASH, ops.hashAddr);
  mem.write64(p + OPS_NOTRACE_HASH, 0n);
}

/** Models `ftrace_init_array_ops(tr, func)`: the ops calls `func` with `tr` as private. */
export function* ftraceInitArrayOps(c: Ctx, ops: FtraceOps, tr: bigint, func: bigint): KGen<void> {
  ops.func = func;
  yield* storeData(c, ops.addr + BigInt(OPS_FUNC), 8, func);
  yield* storeData(c, ops.addr + BigInt(OPS_PRIVATE), 8, tr);
}

/**
 * Models `ftrace_init()` (start_kernel, right after poking_init in v6.2):
 * make a record of every __mcount_loc site and nop them all, then apply the
 * early filter (`ftrace_filter=`).
 */
export const ftraceInit = kfunc(
  { name: "ftrace_init", file: FILE, size: 0x1c8, init: true, config: CONFIG },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    if (!ftraceConfigured(k)) return;
    const s = k.slot(STATE);
    // The __setup() handlers parse_args() ran (ftrace_filter=, ftrace=).
    parseFtraceBootParams(k);
    // SIMPLIFICATION: the pacas compiled ftrace code reads (asm/paca.ts).
    allocatePacas(k);
    const mem = k.machine.mem;
    const listEnd = ftraceSymbol(k, "ftrace_list_end");
    mem.write64(__pa(ftraceSymbol(k, "function_trace_op")), listEnd);
    s.traceFunction = ftraceSymbol(k, "ftrace_stub");
    s.savedFtraceFunc = s.traceFunction;
    s.setFunctionTraceOp = listEnd;
    writeOpsEarly(k, globalOps(k), 0n);

    const flags = localIrqSave(c);
    const ret = ftraceDynArchInit(k);
    yield* localIrqRestore(c, flags);
    if (ret !== 0) {
      s.disabled = true;
      return;
    }
    const locs = imageLayout(k).mcountLoc;
    const count = locs.length;
    if (count === 0) {
      k.printk.prInfo("ftrace: No functions to be traced?\n", c.current.pid);
      s.disabled = true;
      return;
    }
    k.printk.prInfo(
      `ftrace: allocating ${count} entries in ${Math.floor(count / entriesPerPage(k)) + 1} pages\n`,
      c.current.pid,
    );
    if ((yield* ftraceProcessLocs(c, locs)) !== 0) {
      k.printk.prWarn("ftrace: failed to allocate entries for functions\n", c.current.pid);
      s.disabled = true;
      return;
    }
    k.printk.prInfo(
      `ftrace: allocated ${s.numberOfPages} pages with ${s.numberOfGroups} groups\n`,
      c.current.pid,
    );
    s.enabled = true;
    yield* setFtraceEarlyFilters(c);
  },
);

declareCalls("start_kernel", ["ftrace_init"]);
declareCalls("ftrace_init", ["ftrace_process_locs"]);
declareCalls("ftrace_process_locs", ["ftrace_make_nop", "ftrace_bug"]);

/** The `ftrace_filter=` (set_ftrace_filter) __setup handler's buffer. */
function parseFtraceBootParams(k: Kernel): void {
  const s = k.slot(STATE);
  for (const word of bootCommandLine(k).split(/\s+/)) {
    if (word.startsWith("ftrace_filter=")) s.filterBuf = word.slice("ftrace_filter=".length);
  }
}

/** Models `set_ftrace_early_filters()` → `ftrace_set_early_filter(&global_ops, buf, 1)`. */
function* setFtraceEarlyFilters(c: Ctx): KGen<void> {
  const s = c.k.slot(STATE);
  if (s.filterBuf === "") return;
  for (const func of s.filterBuf.split(",")) {
    if (func === "") continue;
    // The early filter ignores what ftrace_set_regex returns.
    yield* ftraceSetFilter(c, globalOps(c.k), func, false);
  }
}

/** Models `ftrace_lookup_ip(hash, ip)` for the filter: an empty hash has every function. */
function hashContains(ops: FtraceOps, ip: bigint): boolean {
  return ops.filter.length === 0 || ops.filter.includes(ip);
}

/**
 * Models `__ftrace_hash_rec_update(ops, filter_hash, inc)`: count the ops in
 * (or out of) every record it traces; true when any record changed.
 */
function ftraceHashRecUpdate(k: Kernel, ops: FtraceOps, inc: boolean): boolean {
  if (!(ops.flags & FTRACE_OPS_FL_ENABLED)) return false;
  let count = 0;
  for (const rec of ftraceRecords(k)) {
    if (!hashContains(ops, rec.ip)) continue;
    if (inc) {
      rec.flags = (rec.flags + 1) >>> 0;
      // A single ops with no trampoline: never FTRACE_FL_TRAMP.
      rec.flags = (rec.flags & ~FTRACE_FL_TRAMP) >>> 0;
    } else {
      if (ftraceRecCount(rec) === 0) continue;
      rec.flags = (rec.flags - 1) >>> 0;
    }
    count++;
  }
  return count > 0;
}

/** Models `ftrace_check_record(rec, enable, update)` for the states modelled. */
function ftraceCheckRecord(k: Kernel, rec: DynFtrace, enable: boolean, update: boolean): number {
  const s = k.slot(STATE);
  s.bugType = FTRACE_BUG_UNKNOWN;
  if (rec.flags & FTRACE_FL_DISABLED) return FTRACE_UPDATE_IGNORE;
  let flag = enable && ftraceRecCount(rec) !== 0 ? FTRACE_FL_ENABLED : 0;
  if ((rec.flags & FTRACE_FL_ENABLED) >>> 0 === flag >>> 0) return FTRACE_UPDATE_IGNORE;
  if (flag !== 0) {
    flag = (flag ^ (rec.flags & FTRACE_FL_ENABLED)) >>> 0;
    if (update) rec.flags = (rec.flags | FTRACE_FL_ENABLED) >>> 0;
    if (flag & FTRACE_FL_ENABLED) {
      s.bugType = FTRACE_BUG_CALL;
      return FTRACE_UPDATE_MAKE_CALL;
    }
    s.bugType = FTRACE_BUG_UPDATE;
    return FTRACE_UPDATE_MODIFY_CALL;
  }
  if (update) {
    if (ftraceRecCount(rec) === 0) rec.flags = (rec.flags & FTRACE_FL_DISABLED) >>> 0;
    else
      rec.flags = (rec.flags & ~(FTRACE_FL_ENABLED | FTRACE_FL_TRAMP_EN | FTRACE_FL_REGS_EN)) >>> 0;
  }
  s.bugType = FTRACE_BUG_NOP;
  return FTRACE_UPDATE_MAKE_NOP;
}

/** Models `__ftrace_replace_code(rec, enable)`. */
function* __ftraceReplaceCode(c: Ctx, rec: DynFtrace, enable: boolean): KGen<number> {
  const k = c.k;
  const s = k.slot(STATE);
  const addrNew = ftraceAddr(k);
  const addrOld = ftraceAddr(k);
  const ret = ftraceCheckRecord(k, rec, enable, true);
  s.bugType = FTRACE_BUG_UNKNOWN;
  switch (ret) {
    case FTRACE_UPDATE_IGNORE:
      return 0;
    case FTRACE_UPDATE_MAKE_CALL:
      s.bugType = FTRACE_BUG_CALL;
      return yield* ftraceMakeCall(c, rec.ip, addrNew);
    case FTRACE_UPDATE_MAKE_NOP:
      s.bugType = FTRACE_BUG_NOP;
      return yield* ftraceMakeNop(c, rec.ip, addrOld);
    case FTRACE_UPDATE_MODIFY_CALL:
      // ftrace_modify_call(): the old and new callers are both ftrace_caller.
      s.bugType = FTRACE_BUG_UPDATE;
      return 0;
  }
  return -1;
}

/** Models `skip_record(rec)`. */
function skipRecord(rec: DynFtrace): boolean {
  return (rec.flags & FTRACE_FL_DISABLED) !== 0 && (rec.flags & FTRACE_FL_ENABLED) === 0;
}

/** Models `ftrace_replace_code(mod_flags)`: stop at the first failure, reported by ftrace_bug. */
export const ftraceReplaceCode = kfunc(
  { name: "ftrace_replace_code", file: FILE, size: 0x160, config: CONFIG },
  function* (c: Ctx, enable: boolean): KGen<void> {
    if (c.k.slot(STATE).disabled) return;
    for (const rec of ftraceRecords(c.k)) {
      if (skipRecord(rec)) continue;
      const failed = yield* __ftraceReplaceCode(c, rec, enable);
      if (failed !== 0) {
        yield* ftraceBug(c, failed, rec);
        return;
      }
    }
  },
);

/**
 * Models `ftrace_modify_all_code(command)`: ftrace_call to the list function
 * while the sites change, the sites, then function_trace_op and ftrace_call
 * to the tracer's function.
 */
export const ftraceModifyAllCode = kfunc(
  { name: "ftrace_modify_all_code", file: FILE, size: 0x180, config: CONFIG },
  function* (c: Ctx, command: number): KGen<void> {
    const k = c.k;
    const s = k.slot(STATE);
    const update = (command & FTRACE_UPDATE_TRACE_FUNC) !== 0;
    const listFunc = ftraceSymbol(k, "ftrace_ops_list_func");
    if (update) {
      const err = yield* ftraceUpdateFtraceFunc(c, listFunc);
      // FTRACE_WARN_ON(err): SIMPLIFICATION, no WARNING report (file comment).
      if (err !== 0) {
        ftraceKill(k);
        return;
      }
    }
    if (command & FTRACE_UPDATE_CALLS) yield* ftraceReplaceCode(c, true);
    else if (command & FTRACE_DISABLE_CALLS) yield* ftraceReplaceCode(c, false);
    if (update && s.traceFunction !== listFunc) {
      yield* storeData(c, ftraceSymbol(k, "function_trace_op"), 8, s.setFunctionTraceOp);
      // smp_wmb(); smp_call_function(ftrace_sync_ipi, NULL, 1): SIMPLIFICATION.
      const err = yield* ftraceUpdateFtraceFunc(c, s.traceFunction);
      if (err !== 0) ftraceKill(k);
    }
  },
);

declareCalls("ftrace_modify_all_code", ["ftrace_update_ftrace_func", "ftrace_replace_code"]);
declareCalls("ftrace_replace_code", ["ftrace_make_call", "ftrace_make_nop", "ftrace_bug"]);

/** Models `ftrace_run_update_code(command)` → arch_ftrace_update_code (powerpc: no stop_machine). */
function* ftraceRunUpdateCode(c: Ctx, command: number): KGen<void> {
  yield* ftraceModifyAllCode(c, command);
}

/**
 * Models `update_ftrace_function()`: no ops → ftrace_stub; one → its func
 * (called directly with it as op); more → the list function.
 */
function updateFtraceFunction(k: Kernel): void {
  const s = k.slot(STATE);
  const listEnd = ftraceSymbol(k, "ftrace_list_end");
  let func: bigint;
  if (s.opsList.length === 0) {
    s.setFunctionTraceOp = listEnd;
    func = ftraceSymbol(k, "ftrace_stub");
  } else if (s.opsList.length === 1) {
    s.setFunctionTraceOp = s.opsList[0]!.addr;
    func = s.opsList[0]!.func;
  } else {
    s.setFunctionTraceOp = listEnd;
    func = ftraceSymbol(k, "ftrace_ops_list_func");
  }
  s.traceFunction = func;
}

/** Models `add_ftrace_ops(&ftrace_ops_list, ops)`: publish it at the head of the list. */
function* addFtraceOps(c: Ctx, ops: FtraceOps): KGen<void> {
  const s = c.k.slot(STATE);
  const head = s.opsList[0]?.addr ?? ftraceSymbol(c.k, "ftrace_list_end");
  yield* storeData(c, ops.addr + BigInt(OPS_NEXT), 8, head);
  yield* storeData(c, ops.addr + BigInt(OPS_FLAGS), 8, BigInt(ops.flags >>> 0));
  yield* storeData(c, ftraceSymbol(c.k, "ftrace_ops_list"), 8, ops.addr);
  s.opsList.unshift(ops);
}

/** Models `remove_ftrace_ops(&ftrace_ops_list, ops)`. */
function* removeFtraceOps(c: Ctx, ops: FtraceOps): KGen<void> {
  const s = c.k.slot(STATE);
  const i = s.opsList.indexOf(ops);
  if (i < 0) return;
  const next = s.opsList[i + 1]?.addr ?? ftraceSymbol(c.k, "ftrace_list_end");
  const prev =
    i === 0 ? ftraceSymbol(c.k, "ftrace_ops_list") : s.opsList[i - 1]!.addr + BigInt(OPS_NEXT);
  yield* storeData(c, prev, 8, next);
  s.opsList.splice(i, 1);
}

/**
 * Models `ftrace_startup(ops, command)` with `__register_ftrace_function`:
 * link the ops in, count it in its records, and update the code.
 */
export const ftraceStartup = kfunc(
  { name: "ftrace_startup", file: FILE, size: 0x1e0, config: CONFIG },
  function* (c: Ctx, ops: FtraceOps, command: number): KGen<number> {
    const k = c.k;
    const s = k.slot(STATE);
    if (s.disabled) return -ENODEV;
    if (ops.flags & FTRACE_OPS_FL_ENABLED) return -EBUSY;
    ops.savedFunc = ops.func;
    yield* addFtraceOps(c, ops);
    if (s.enabled) updateFtraceFunction(k);
    s.startUp++;
    ops.flags |= FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_ADDING;
    let cmd = command;
    if (ftraceHashRecUpdate(k, ops, true)) cmd |= FTRACE_UPDATE_CALLS;
    // ftrace_startup_enable(command)
    if (s.savedFtraceFunc !== s.traceFunction) {
      s.savedFtraceFunc = s.traceFunction;
      cmd |= FTRACE_UPDATE_TRACE_FUNC;
    }
    if (cmd !== 0 && s.enabled) yield* ftraceRunUpdateCode(c, cmd);
    if (s.disabled) {
      yield* removeFtraceOps(c, ops);
      return -ENODEV;
    }
    ops.flags &= ~FTRACE_OPS_FL_ADDING;
    return 0;
  },
);

/**
 * Models `ftrace_shutdown(ops, command)` with `__unregister_ftrace_function`:
 * unlink the ops, uncount it, and update the code (its sites back to nops).
 */
export const ftraceShutdown = kfunc(
  { name: "ftrace_shutdown", file: FILE, size: 0x2a0, config: CONFIG },
  function* (c: Ctx, ops: FtraceOps, command: number): KGen<number> {
    const k = c.k;
    const s = k.slot(STATE);
    if (s.disabled) return -ENODEV;
    if (!(ops.flags & FTRACE_OPS_FL_ENABLED)) return -EINVAL;
    yield* removeFtraceOps(c, ops);
    if (s.enabled) updateFtraceFunction(k);
    ops.func = ops.savedFunc;
    s.startUp--;
    let cmd = command;
    if (ftraceHashRecUpdate(k, ops, false)) cmd |= FTRACE_UPDATE_CALLS;
    ops.flags &= ~FTRACE_OPS_FL_ENABLED;
    if (s.savedFtraceFunc !== s.traceFunction) {
      s.savedFtraceFunc = s.traceFunction;
      cmd |= FTRACE_UPDATE_TRACE_FUNC;
    }
    if (cmd === 0 || !s.enabled) return 0;
    ops.flags |= FTRACE_OPS_FL_REMOVING;
    yield* ftraceRunUpdateCode(c, cmd);
    ops.flags &= ~FTRACE_OPS_FL_REMOVING;
    return 0;
  },
);

declareCalls("ftrace_startup", ["ftrace_modify_all_code"]);
declareCalls("ftrace_shutdown", ["ftrace_modify_all_code"]);

/** Models `register_ftrace_function(ops)`: ftrace_startup under ftrace_lock. */
export const registerFtraceFunction = kfunc(
  { name: "register_ftrace_function", file: FILE, size: 0x90, config: CONFIG },
  function* (c: Ctx, ops: FtraceOps): KGen<number> {
    const s = c.k.slot(STATE);
    yield* mutexLock(c, s.lock);
    const ret = yield* ftraceStartup(c, ops, 0);
    yield* mutexUnlock(c, s.lock);
    return ret;
  },
);

/** Models `unregister_ftrace_function(ops)`: ftrace_shutdown under ftrace_lock. */
export const unregisterFtraceFunction = kfunc(
  { name: "unregister_ftrace_function", file: FILE, size: 0x90, config: CONFIG },
  function* (c: Ctx, ops: FtraceOps): KGen<number> {
    const s = c.k.slot(STATE);
    yield* mutexLock(c, s.lock);
    const ret = yield* ftraceShutdown(c, ops, 0);
    yield* mutexUnlock(c, s.lock);
    return ret;
  },
);

declareCalls("register_ftrace_function", ["ftrace_startup"]);
declareCalls("unregister_ftrace_function", ["ftrace_shutdown"]);

/**
 * Write one filter change into the ops' hash in memory, so a reader sees
 * the old or the new set at every step: an addition fills the next slot
 * then counts it; a removal moves the last address into the hole then
 * uncounts the last slot.
 */
function* writeHashAdd(c: Ctx, ops: FtraceOps, ip: bigint): KGen<void> {
  const n = ops.filter.length;
  yield* storeData(c, ops.hashAddr + BigInt(HASH_IPS + 8 * n), 8, ip);
  yield* storeData(c, ops.hashAddr + BigInt(HASH_COUNT), 8, BigInt(n + 1));
  ops.filter.push(ip);
}

function* writeHashRemove(c: Ctx, ops: FtraceOps, ip: bigint): KGen<void> {
  const i = ops.filter.indexOf(ip);
  if (i < 0) return;
  const last = ops.filter.length - 1;
  if (i !== last) {
    yield* storeData(c, ops.hashAddr + BigInt(HASH_IPS + 8 * i), 8, ops.filter[last]!);
    ops.filter[i] = ops.filter[last]!;
  }
  yield* storeData(c, ops.hashAddr + BigInt(HASH_COUNT), 8, BigInt(last));
  ops.filter.pop();
}

/**
 * Models `ftrace_set_filter(ops, buf, len, reset)` / `ftrace_set_hash()` and
 * the removal form (`!func` written to set_ftrace_filter): match the
 * records of function `func` (ftrace_match_records), move the hash into
 * the ops under ftrace_lock (ftrace_hash_move: uncount, swap, recount) and,
 * when the ops is live, update the code (ftrace_ops_update_code).
 * -EINVAL when `func` has no record; -ENODEV once ftrace is dead.
 */
export const ftraceSetFilter = kfunc(
  { name: "ftrace_set_hash", file: FILE, size: 0x2c0, config: CONFIG },
  function* (c: Ctx, ops: FtraceOps, func: string, remove: boolean): KGen<number> {
    const k = c.k;
    const s = k.slot(STATE);
    if (s.disabled) return -ENODEV;
    const ips = ftraceRecords(k)
      .filter((r) => siteFunction(k, r.ip) === func)
      .map((r) => r.ip);
    if (ips.length === 0) return -EINVAL;
    yield* mutexLock(c, s.lock);
    const live = (ops.flags & FTRACE_OPS_FL_ENABLED) !== 0;
    if (live) ftraceHashRecUpdate(k, ops, false);
    let ret = 0;
    for (const ip of ips) {
      if (remove) yield* writeHashRemove(c, ops, ip);
      else if (!ops.filter.includes(ip)) {
        if (ops.filter.length >= FTRACE_HASH_MAX) {
          ret = -ENOSPC;
          break;
        }
        yield* writeHashAdd(c, ops, ip);
      }
    }
    if (live) {
      ftraceHashRecUpdate(k, ops, true);
      if (s.enabled) yield* ftraceRunUpdateCode(c, FTRACE_UPDATE_CALLS);
    }
    yield* mutexUnlock(c, s.lock);
    return ret;
  },
);

declareCalls("ftrace_set_hash", ["ftrace_modify_all_code"]);

/** The functions in an ops' filter (for tracefs and the CLI). */
export function ftraceFilterFunctions(k: Kernel, ops: FtraceOps): string[] {
  const out: string[] = [];
  for (const ip of ops.filter) {
    const n = siteFunction(k, ip);
    if (n !== undefined && !out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * Models `ftrace_free_init_mem()` → `ftrace_free_mem(NULL, __init_begin,
 * __init_end)` (kernel_init, before free_initmem): forget the records in
 * init text and clear them from the filter hashes.
 */
export const ftraceFreeInitMem = kfunc(
  { name: "ftrace_free_init_mem", file: FILE, size: 0x60, init: true, config: CONFIG },
  function* (c: Ctx): KGen<void> {
    const k = c.k;
    if (!ftraceConfigured(k)) return;
    const s = k.slot(STATE);
    const l = imageLayout(k);
    const inInit = (r: DynFtrace) => r.ip + MCOUNT_INSN_SIZE > l.initBegin && r.ip < l.initEnd;
    yield* mutexLock(c, s.lock);
    const cleared = ftraceRecords(k).filter(inInit);
    s.pages = s.pages.map((pg) => pg.filter((r) => !inInit(r))).filter((pg) => pg.length > 0);
    s.updateTotCnt -= cleared.length;
    yield* mutexUnlock(c, s.lock);
    // clear_func_from_hashes()
    const ops = s.globalOps;
    if (ops !== null)
      for (const r of cleared) if (ops.filter.includes(r.ip)) yield* writeHashRemove(c, ops, r.ip);
  },
);

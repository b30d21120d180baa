/**
 * arch/powerpc/lib/code-patching.c at 980411a4d1bb ("powerpc/code-patching:
 * Fix oops with DEBUG_VM enabled", v6.2-rc1), the default variant. Every
 * function here is one of `CodePatchingOps`; calls between them go through
 * the installed variant's table, so a variant that replaces one function is
 * seen by all the others (reference: code-patching.md §2-§10).
 *
 * Everything runs as steps on the machine: the alias is a real PTE in a real
 * page table, the store goes through the MMU and TLB, the flushes act on the
 * TLB and icache models.
 */

import { BRANCH_SET_LINK, createBranch } from "../../../../isa/powerpc/branch.ts";
import {
  type PpcInst,
  ppcInstAsUlong,
  ppcInstPrefixed,
  ppcInstVal,
} from "../../../../isa/powerpc/inst.ts";
import { FaultKind } from "../../../../machine/mmu/fault.ts";
import { OpKind } from "../../../../machine/ops.ts";
import { icbiOp, isync, ptesync, st, visible } from "../../../../machine/task-ops.ts";
import { Last } from "../../../../util/last.ts";
import type { Ctx, KGen } from "../../../core/ctx.ts";
import type { Kernel } from "../../../core/kernel.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { getRandomLong } from "../../../drivers/char/random.ts";
import { type CodePatchingWarnLines, declareCodePatchingSites } from "../../../image/bug-sites.ts";
import { imageSymbol } from "../../../image/build.ts";
import { CPUHP } from "../../../include/linux/cpuhotplug.ts";
import type { MmStruct } from "../../../include/linux/mm_types.ts";
import { ENOMEM, EPERM, ERANGE } from "../../../include/uapi/errno.ts";
import { cpuhpSetupState } from "../../../kernel/cpu.ts";
import { mmAlloc, mmput } from "../../../kernel/fork.ts";
import { initMm } from "../../../mm/init-mm.ts";
import {
  freePgdRange,
  getLockedPte,
  pgdOffset,
  pmdOffset,
  pteOffsetKernel,
  pteUnmapUnlock,
  pudOffset,
  readEntry,
  virtToKpte,
} from "../../../mm/memory.ts";
import { tlbGatherMmu } from "../../../mm/mmu_gather.ts";
import {
  freeVmArea,
  getVmArea,
  isVmallocOrModuleAddr,
  VM_ALLOC,
  vmallocToPfn,
} from "../../../mm/vmalloc.ts";
import {
  geometry,
  PAGE_KERNEL,
  PAGE_OFFSET,
  pdNone,
  pfnPte,
  pteNone,
} from "../include/asm/book3s/64/pgtable.ts";
import { pteClear } from "../include/asm/book3s/64/pte-update.ts";
import { __setPteAt } from "../include/asm/book3s/64/set-pte.ts";
import { flushTlbKernelRange, localFlushTlbPagePsize } from "../include/asm/book3s/64/tlbflush.ts";
import { warnOn, warnOnceMsg } from "../include/asm/bug.ts";
import { localIrqRestore, localIrqSave } from "../include/asm/hw_irq.ts";
import { radixEnabled } from "../include/asm/mmu.ts";
import { mmIsThreadLocal } from "../include/asm/tlb.ts";
import { innermostFrameDepth } from "../kernel/stacktrace.ts";
import { machineCheckOnAccess } from "../kernel/traps-mce.ts";
import { switchMmIrqsOff } from "../mm/mmu_context.ts";
import { mapKernelPage } from "../mm/pgtable_64.ts";
import {
  type CodePatchingOps,
  enablePokingInitDone,
  patchContext,
  patchingOps,
  pokingInitDone,
} from "./code-patching-ops.ts";

const FILE = "arch/powerpc/lib/code-patching.c";

/** `DEFAULT_MAP_WINDOW` for a 64-bit task (asm/task_size_64.h): 128 TiB with 64K pages, 64 TiB with 4K. */
function defaultMapWindow(k: Kernel): bigint {
  return k.config.pageShift === 16 ? 0x0000_8000_0000_0000n : 0x0000_4000_0000_0000n;
}

/** PAGE_SHIFT and PAGE_SIZE - 1 as bigints, by page shift (the patch path uses them every time). */
const BIG_SHIFT: Record<12 | 16, bigint> = { 12: 12n, 16: 16n };
const OFFSET_MASK: Record<12 | 16, bigint> = { 12: 0xfffn, 16: 0xffffn };

function pageShift(k: Kernel): bigint {
  return BIG_SHIFT[k.pageShift];
}

/** `offset_in_page(p)`. */
export function offsetInPage(k: Kernel, p: bigint): bigint {
  return p & OFFSET_MASK[k.pageShift];
}

const PATCH_ADDR = new Last(0n);
/** `text_poke_addr + offset_in_page(addr)`: where the alias of `addr` is (util/last.ts says why it is remembered). */
function patchAddrOf(k: Kernel, textPokeAddr: bigint, addr: bigint): bigint {
  const shift = k.pageShift;
  if (PATCH_ADDR.has(addr, shift, textPokeAddr)) return PATCH_ADDR.value;
  return PATCH_ADDR.set(addr, shift, textPokeAddr, textPokeAddr + offsetInPage(k, addr));
}

/** Models `mm_patch_enabled()`: `IS_ENABLED(CONFIG_SMP) && radix_enabled()`. */
export function mmPatchEnabled(k: Kernel): boolean {
  return k.config.bool("SMP") && radixEnabled(k);
}

/**
 * Models `get_patch_pfn(addr)`: vmalloc and module addresses through
 * init_mm's tables, everything else as a linear-map (`__pa_symbol`) address.
 */
export function* getPatchPfn(c: Ctx, addr: bigint): KGen<bigint> {
  if (c.k.config.bool("MODULES") && isVmallocOrModuleAddr(addr)) {
    const pfn = yield* vmallocToPfn(c, addr);
    return pfn ?? 0n;
  }
  // __pa_symbol(addr) >> PAGE_SHIFT, kept in BigInt (one conversion fewer per patch).
  const shift = c.k.pageShift;
  if (PATCH_PFN.has(addr, shift)) return PATCH_PFN.value;
  return PATCH_PFN.set(addr, shift, null, (addr - PAGE_OFFSET) >> pageShift(c.k));
}
/** The linear-map PFN last computed, by address and page size. */
const PATCH_PFN = new Last(0n);

/**
 * Models `map_patch_area(addr, text_poke_addr)`: a PAGE_KERNEL mapping of
 * `addr`'s page at `text_poke_addr` in init_mm (allocating its tables).
 */
export function* mapPatchArea(c: Ctx, addr: bigint, textPokeAddr: bigint): KGen<number> {
  const pfn = yield* patchingOps(c.k).getPatchPfn(c, addr);
  return yield* mapKernelPage(c, textPokeAddr, Number(pfn << pageShift(c.k)), PAGE_KERNEL);
}

/**
 * Where this file (980411a4d1bb) has its WARNs; the variants of other
 * versions pass their own lines to the make* functions below.
 */
const WARN_LINES_980411A4D1BB = {
  startUsingTempMm: 88,
  textAreaCpuUp: 110,
  unmapPatchArea: [255, 263, 267, 271],
  textAreaCpuUpMm: 156,
  pokingInit: 222,
} as const satisfies CodePatchingWarnLines;
declareCodePatchingSites(WARN_LINES_980411A4D1BB);

/**
 * Models `unmap_patch_area(addr)`: walk init_mm to the PTE, WARN_ON and give
 * up at the first missing level (or an empty PTE), else clear it and flush
 * the kernel TLB range. `lines` are its WARN_ONs' lines in the version
 * modelled.
 */
export function makeUnmapPatchArea(
  lines: CodePatchingWarnLines["unmapPatchArea"],
): (c: Ctx, addr: bigint) => KGen<void> {
  const [pgdLine, pudLine, pmdLine, pteLine] = lines;
  return function* unmapPatchArea(c: Ctx, addr: bigint): KGen<void> {
    const mm = initMm(c.k);
    const pgd = yield* readEntry(c, pgdOffset(c, mm, addr));
    if (yield* warnOn(c, pdNone(pgd), { file: FILE, line: pgdLine })) return;
    // p4d_offset: the P4D level is folded into the PGD, so its check never fires.
    const pud = yield* readEntry(c, pudOffset(c, pgd, addr));
    if (yield* warnOn(c, pdNone(pud), { file: FILE, line: pudLine })) return;
    const pmd = yield* readEntry(c, pmdOffset(c, pud, addr));
    if (yield* warnOn(c, pdNone(pmd), { file: FILE, line: pmdLine })) return;
    const ptep = pteOffsetKernel(c, pmd, addr);
    if (yield* warnOn(c, pteNone(yield* readEntry(c, ptep)), { file: FILE, line: pteLine })) return;
    // In hash, pte_clear flushes the tlb, in radix, we have to
    yield* pteClear(c, mm, addr, ptep);
    yield* flushTlbKernelRange(c, addr, addr + BigInt(c.k.config.pageSize));
  };
}

export const unmapPatchArea = makeUnmapPatchArea(WARN_LINES_980411A4D1BB.unmapPatchArea);

/**
 * Models `text_area_cpu_up(cpu)` (vmalloc path): reserve a one-page vm area,
 * pre-allocate its init_mm tables by mapping the zero page once, unmap it,
 * keep the area and its address and — since 2f228ee1ade5 (`cachePte`) — its
 * kernel PTE slot. `warnLine` is its WARN_ONCE's line in the version modelled.
 */
export function makeTextAreaCpuUp(
  warnLine: number,
  cachePte: boolean,
): (c: Ctx, cpu: number) => KGen<number> {
  return kfunc(
    { name: "text_area_cpu_up", file: FILE, size: 0x140 },
    function* (c: Ctx, cpu: number): KGen<number> {
      const ops = patchingOps(c.k);
      const area = yield* getVmArea(c, c.k.config.pageSize, VM_ALLOC);
      if (area === null) {
        yield* warnOnceMsg(
          c,
          true,
          { file: FILE, line: warnLine },
          `Failed to create text area for cpu ${cpu}\n`,
        );
        return -1;
      }
      const zero = imageSymbol(c.k, "empty_zero_page");
      if (zero === undefined) throw new Error("image has no empty_zero_page");
      // Map/unmap the area to ensure all page tables are pre-allocated.
      const err = yield* ops.mapPatchArea(c, zero.address, area.addr);
      if (err) return err;
      yield* ops.unmapPatchArea(c, area.addr);
      const ctx = patchContext(c.k, cpu);
      ctx.area = area;
      ctx.addr = area.addr;
      if (cachePte) ctx.pte = yield* virtToKpte(c, area.addr);
      return 0;
    },
  );
}

export const textAreaCpuUp = makeTextAreaCpuUp(WARN_LINES_980411A4D1BB.textAreaCpuUp, true);

/** Models `text_area_cpu_down(cpu)`: free the area; its init_mm tables stay. */
export const textAreaCpuDown = kfunc(
  { name: "text_area_cpu_down", file: FILE, size: 0x80 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const ctx = patchContext(c.k, cpu);
    if (ctx.area !== null) yield* freeVmArea(c, ctx.area);
    ctx.area = null;
    ctx.addr = 0n;
    ctx.pte = null;
    return 0;
  },
);

/**
 * Models `put_patching_mm(mm, patching_addr)`: unhook and gather the alias's
 * page tables, then drop the mm. As in the kernel at 980411a4d1bb, the gather
 * is never finished (no `tlb_finish_mmu()`), so the PTE, PMD and PUD tables
 * queued in it and its batch page are never freed: four frames per call
 * (docs/findings.md; examples/variants/tlb-finish-mmu.js adds the call).
 */
export function* putPatchingMm(c: Ctx, mm: MmStruct, patchingAddr: bigint): KGen<void> {
  const tlb = tlbGatherMmu(mm);
  // Static and called from two places: no frame of its own in the model's call traces.
  tlb.owner = "put_patching_mm";
  yield* freePgdRange(c, tlb, patchingAddr, patchingAddr + BigInt(c.k.config.pageSize), 0n, 0n);
  yield* mmput(c, mm);
}

/**
 * Models `text_area_cpu_up_mm(cpu)` as of 980411a4d1bb: a private mm, a
 * random user address for the alias, its page tables pre-allocated (the PTE
 * lock taken and dropped at once), mm and address kept in the context — but
 * not the PTE pointer.
 */
export const textAreaCpuUpMm = kfunc(
  { name: "text_area_cpu_up_mm", file: FILE, size: 0x1c0 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const ops = patchingOps(c.k);
    const mm = yield* mmAlloc(c);
    if (
      yield* warnOn(c, mm === null, { file: FILE, line: WARN_LINES_980411A4D1BB.textAreaCpuUpMm })
    )
      return -ENOMEM;
    const addr = randomAliasAddress(c.k);
    const locked = yield* getLockedPte(c, mm!, addr);
    if (locked === null) {
      yield* ops.putPatchingMm(c, mm!, addr);
      return -ENOMEM;
    }
    yield* pteUnmapUnlock(c, locked);
    const ctx = patchContext(c.k, cpu);
    ctx.mm = mm;
    ctx.addr = addr;
    return 0;
  },
);

/**
 * The alias address of text_area_cpu_up_mm:
 * `(1 + (get_random_long() % (DEFAULT_MAP_WINDOW / PAGE_SIZE - 2))) << PAGE_SHIFT`.
 */
export function randomAliasAddress(k: Kernel): bigint {
  const pages = defaultMapWindow(k) >> pageShift(k);
  return (1n + (getRandomLong(k) % (pages - 2n))) << pageShift(k);
}

/** Models `text_area_cpu_down_mm(cpu)` as of 980411a4d1bb. */
export const textAreaCpuDownMm = kfunc(
  { name: "text_area_cpu_down_mm", file: FILE, size: 0xa0 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const ctx = patchContext(c.k, cpu);
    if (ctx.mm !== null) yield* patchingOps(c.k).putPatchingMm(c, ctx.mm, ctx.addr);
    ctx.mm = null;
    ctx.addr = 0n;
    return 0;
  },
);

/*
 * The hotplug callbacks poking_init registers: the installed variant's
 * text_area_cpu_up/down (_mm), looked up when they run. Module functions
 * capturing nothing, so a fork of the kernel may share them.
 */
function textPokeMmOnline(c: Ctx, cpu: number): KGen<number> {
  return patchingOps(c.k).textAreaCpuUpMm(c, cpu);
}
function textPokeMmOffline(c: Ctx, cpu: number): KGen<number> {
  return patchingOps(c.k).textAreaCpuDownMm(c, cpu);
}
function textPokeOnline(c: Ctx, cpu: number): KGen<number> {
  return patchingOps(c.k).textAreaCpuUp(c, cpu);
}
function textPokeOffline(c: Ctx, cpu: number): KGen<number> {
  return patchingOps(c.k).textAreaCpuDown(c, cpu);
}

/**
 * Models `poking_init()`: register the dynamic hotplug state whose callbacks
 * set up each CPU's patching context, and enable `poking_init_done` only if
 * that worked (WARN_ON otherwise, at `warnLine`: 222 at 980411a4d1bb).
 */
export function makePokingInit(warnLine: number): (c: Ctx) => KGen<void> {
  return kfunc(
    { name: "poking_init", file: FILE, size: 0x90, init: true },
    function* (c: Ctx): KGen<void> {
      if (!c.k.config.bool("STRICT_KERNEL_RWX")) return;
      const ops = patchingOps(c.k);
      const ret = ops.mmPatchEnabled(c.k)
        ? yield* cpuhpSetupState(
            c,
            CPUHP.AP_ONLINE_DYN,
            "powerpc/text_poke_mm:online",
            textPokeMmOnline,
            textPokeMmOffline,
          )
        : yield* cpuhpSetupState(
            c,
            CPUHP.AP_ONLINE_DYN,
            "powerpc/text_poke:online",
            textPokeOnline,
            textPokeOffline,
          );
      if (!(yield* warnOn(c, ret < 0, { file: FILE, line: warnLine }))) enablePokingInitDone(c.k);
    },
  );
}

export const pokingInit = makePokingInit(WARN_LINES_980411A4D1BB.pokingInit);

/**
 * Models `__patch_instruction(exec_addr, instr, patch_addr)`: one store of
 * the instruction (4 bytes, or 8 for a prefixed one) at `patch_addr` through
 * the MMU — a fault is -EPERM (the exception-table fixup of
 * __put_kernel_nofault) — then `dcbst patch_addr; sync; icbi exec_addr;
 * sync; isync`.
 */
export function* __patchInstruction(
  c: Ctx,
  execAddr: bigint,
  instr: PpcInst,
  patchAddr: bigint,
): KGen<number> {
  const m = c.k.machine;
  yield* spillVal(c, instr);
  const fault = ppcInstPrefixed(instr)
    ? yield* st(m, c.cpu, patchAddr, 8, ppcInstAsUlong(instr))
    : yield* st(m, c.cpu, patchAddr, 4, ppcInstVal(instr));
  // SIMPLIFICATION: the storage interrupt and the fixup are not run as code;
  // the failed store simply returns the fixup's -EPERM. A store to a real
  // address with no memory is a machine check, which the fixup does not catch.
  if (fault !== null) {
    if (fault.kind === FaultKind.MCE) yield* machineCheckOnAccess(c, fault, "store");
    return -EPERM;
  }
  yield* visible(c.cpu, OpKind.DCBST, "dcbst", patchAddr);
  yield* visible(c.cpu, OpKind.SYNC, "sync");
  const f = yield* icbiOp(m, c.cpu, execAddr);
  if (f !== null) throw new Error(`icbi of 0x${execAddr.toString(16)} faulted`);
  yield* visible(c.cpu, OpKind.SYNC, "sync");
  yield* isync(m, c.cpu);
  return 0;
}

/**
 * `__put_kernel_nofault(patch_addr, &val, ...)` takes the address of `val`,
 * so the value lives in memory: __patch_instruction is a leaf and keeps it in
 * the ELFv2 red zone below its caller's stack pointer (at sp - 96). The word
 * stays there, stale, after the function returns — which is why an oops in a
 * later callee's minimal frame can show it in the first call-trace row (the
 * seed's `0x60000000 (unreliable)`). The first step of `__patch_instruction`;
 * a variant's own copy of that function calls it first too (`tp.spillVal`).
 */
export function* spillVal(c: Ctx, instr: PpcInst): KGen<void> {
  const below = innermostFrameDepth(c.current.stack);
  if (below < 0) return;
  const top = c.current.stackTop;
  const at = SPILL_AT.has(top, below)
    ? SPILL_AT.value
    : SPILL_AT.set(top, below, null, top - BigInt(below) - RED_ZONE_VAL);
  const prefixed = ppcInstPrefixed(instr);
  const value = prefixed ? ppcInstAsUlong(instr) : ppcInstVal(instr);
  const f = yield* st(c.k.machine, c.cpu, at, prefixed ? 8 : 4, value);
  if (f !== null) throw new Error(`store to the kernel stack at 0x${at.toString(16)} faulted`);
}
const RED_ZONE_VAL = 96n;
/** Where the value is spilled, by stack top and depth (util/last.ts says why it is remembered). */
const SPILL_AT = new Last(0n);

/**
 * Models `__do_patch_instruction_mm(addr, instr)` as of 980411a4d1bb (inlined
 * into patch_instruction): map the target page at the per-CPU alias in the
 * patching mm under the PTE lock, switch to that mm, patch, switch back,
 * clear the PTE, flush this CPU's TLB entry for it, unlock.
 */
export function* __doPatchInstructionMm(c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
  const ops = patchingOps(c.k);
  const pfn = yield* ops.getPatchPfn(c, addr);
  const ctx = patchContext(c.k, c.cpu.id);
  const patchingMm = ctx.mm;
  if (patchingMm === null) throw new Error(`CPU ${c.cpu.id} has no patching mm (NULL dereference)`);
  const textPokeAddr = ctx.addr;
  const patchAddr = patchAddrOf(c.k, textPokeAddr, addr);

  const locked = yield* getLockedPte(c, patchingMm, textPokeAddr);
  if (locked === null) return -ENOMEM;
  const g = geometry(c.k.pageShift);
  yield* __setPteAt(c, patchingMm, textPokeAddr, locked.pte, pfnPte(g, pfn, PAGE_KERNEL));
  // order PTE update before use, also serves as the hwsync
  yield* ptesync(c.k.machine, c.cpu);
  // order context switch after arbitrary prior code
  yield* isync(c.k.machine, c.cpu);

  const origMm = yield* startUsingTempMm(c, patchingMm);
  const err = yield* ops.__patchInstruction(c, addr, instr, patchAddr);
  // hwsync performed by __patch_instruction (sync) if successful
  if (err) yield* visible(c.cpu, OpKind.SYNC, "mb");
  // context synchronisation performed by __patch_instruction (isync or exception)
  yield* stopUsingTempMm(c, patchingMm, origMm);

  yield* pteClear(c, patchingMm, textPokeAddr, locked.pte);
  // ptesync performed by flush_tlb_page (ptesync) and the local tlbiel
  yield* localFlushTlbPagePsize(c, patchingMm, textPokeAddr, g.pageShift);
  yield* pteUnmapUnlock(c, locked);
  return err;
}

/**
 * Models `start_using_temp_mm(temp_mm)` (inlined): switch this CPU to the
 * temporary mm, check it is thread local, suspend hardware breakpoints.
 * `warnLine` is its WARN_ON's line in the version modelled.
 * SIMPLIFICATION: no hardware breakpoints are modelled, so suspending them
 * is a no-op; the lockdep assertion is not modelled.
 */
export function* startUsingTempMm(
  c: Ctx,
  tempMm: MmStruct,
  warnLine: number = WARN_LINES_980411A4D1BB.startUsingTempMm,
): KGen<MmStruct> {
  const orig = (c.current.activeMm as MmStruct | null) ?? initMm(c.k);
  yield* switchMmIrqsOff(c, orig, tempMm);
  yield* warnOn(c, !mmIsThreadLocal(c, tempMm), { file: FILE, line: warnLine });
  return orig;
}

/**
 * Models `stop_using_temp_mm(temp_mm, orig_mm)` (inlined): back to the
 * original mm. SIMPLIFICATION: restore_breakpoints has nothing to restore.
 */
export function* stopUsingTempMm(c: Ctx, tempMm: MmStruct, origMm: MmStruct): KGen<void> {
  yield* switchMmIrqsOff(c, tempMm, origMm);
}

/**
 * Models `__do_patch_instruction(addr, instr)` (vmalloc path, inlined into
 * patch_instruction): map the target at this CPU's vm area in init_mm
 * through the cached PTE, patch, clear, flush the whole kernel TLB range.
 */
export function* __doPatchInstruction(c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
  const ops = patchingOps(c.k);
  const pfn = yield* ops.getPatchPfn(c, addr);
  const ctx = patchContext(c.k, c.cpu.id);
  const pageMask = ~(BigInt(c.k.config.pageSize) - 1n);
  const textPokeAddr = ctx.addr & pageMask;
  const patchAddr = patchAddrOf(c.k, textPokeAddr, addr);
  const pte = ctx.pte;
  if (pte === null) throw new Error(`CPU ${c.cpu.id} has no patching PTE (NULL dereference)`);
  const g = geometry(c.k.config.pageShift);
  const mm = initMm(c.k);
  yield* __setPteAt(c, mm, textPokeAddr, pte, pfnPte(g, pfn, PAGE_KERNEL));
  // See ptesync comment in radix__set_pte_at()
  if (radixEnabled(c.k)) yield* ptesync(c.k.machine, c.cpu);
  const err = yield* ops.__patchInstruction(c, addr, instr, patchAddr);
  yield* pteClear(c, mm, textPokeAddr, pte);
  yield* flushTlbKernelRange(c, textPokeAddr, textPokeAddr + BigInt(c.k.config.pageSize));
  return err;
}

/** Models `raw_patch_instruction(addr, instr)`: write straight to `addr`. */
export const rawPatchInstruction = kfunc(
  { name: "raw_patch_instruction", file: FILE, size: 0x90 },
  function* (c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
    return yield* patchingOps(c.k).__patchInstruction(c, addr, instr, addr);
  },
);

/**
 * Models `patch_instruction(addr, instr)` (NOKPROBE): the raw path until
 * poking_init is done (or without STRICT_KERNEL_RWX), else the alias path
 * chosen by mm_patch_enabled() with interrupts masked.
 */
export const patchInstruction = kfunc(
  { name: "patch_instruction", file: FILE, size: 0x6d0 },
  function* (c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
    const ops = patchingOps(c.k);
    if (!c.k.config.bool("STRICT_KERNEL_RWX") || !pokingInitDone(c.k)) {
      return yield* ops.rawPatchInstruction(c, addr, instr);
    }
    const flags = localIrqSave(c);
    const err = ops.mmPatchEnabled(c.k)
      ? yield* ops.__doPatchInstructionMm(c, addr, instr)
      : yield* ops.__doPatchInstruction(c, addr, instr);
    yield* localIrqRestore(c, flags);
    return err;
  },
);

/**
 * Models `patch_branch(addr, target, flags)`: -ERANGE when the branch cannot
 * reach, else patch it in. Callers reach it through the table
 * (`patchingOps(k).patchBranch`), so a variant may replace it.
 */
export const patchBranch = kfunc(
  { name: "patch_branch", file: FILE, size: 0x90 },
  function* (c: Ctx, addr: bigint, target: bigint, flags: number): KGen<number> {
    const { err, instr } = createBranch(addr, target, flags);
    if (err) return -ERANGE;
    return yield* patchingOps(c.k).patchInstruction(c, addr, instr);
  },
);

/** BRANCH_SET_LINK, re-exported for patch_branch callers. */
export { BRANCH_SET_LINK };

/** The functions of this file as of 980411a4d1bb: the base every variant overrides. */
export const CODE_PATCHING_980411A4D1BB: CodePatchingOps = {
  pokingInit,
  mmPatchEnabled,
  textAreaCpuUp,
  textAreaCpuDown,
  textAreaCpuUpMm,
  textAreaCpuDownMm,
  getPatchPfn,
  mapPatchArea,
  unmapPatchArea,
  putPatchingMm,
  __patchInstruction,
  __doPatchInstruction,
  __doPatchInstructionMm,
  rawPatchInstruction,
  patchInstruction,
  patchBranch,
};

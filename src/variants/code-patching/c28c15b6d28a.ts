/**
 * arch/powerpc/lib/code-patching.c at c28c15b6d28a ("powerpc/code-patching:
 * Use temporary mm for Radix MMU"): the temporary-mm path as introduced, with
 * the bug 980411a4d1bb fixed (code-patching.md §8). On top of its parent
 * (274d842fa1ef) it adds the temp-mm functions, in their pre-fix form:
 * - text_area_cpu_up_mm() takes the PTE lock only to drop it at once and
 *   caches the PTE pointer (`cpu_patching_pte`);
 * - __do_patch_instruction_mm() writes and clears that PTE without ever
 *   holding its lock — which CONFIG_DEBUG_VM's assert_pte_locked() catches in
 *   pte_clear();
 * - text_area_cpu_down_mm() also clears the cached pointer.
 */
import type { PpcInst } from "../../isa/powerpc/inst.ts";
import {
  geometry,
  PAGE_KERNEL,
  pfnPte,
} from "../../linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { pteClear } from "../../linux/arch/powerpc/include/asm/book3s/64/pte-update.ts";
import { __setPteAt } from "../../linux/arch/powerpc/include/asm/book3s/64/set-pte.ts";
import { localFlushTlbPagePsize } from "../../linux/arch/powerpc/include/asm/book3s/64/tlbflush.ts";
import { warnOn } from "../../linux/arch/powerpc/include/asm/bug.ts";
import {
  CODE_PATCHING_980411A4D1BB,
  makePokingInit,
  makeTextAreaCpuUp,
  makeUnmapPatchArea,
  offsetInPage,
  randomAliasAddress,
  startUsingTempMm,
  stopUsingTempMm,
} from "../../linux/arch/powerpc/lib/code-patching.ts";
import { patchContext, patchingOps } from "../../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../../linux/core/ctx.ts";
import { kfunc } from "../../linux/core/kfunc.ts";
import {
  type CodePatchingWarnLines,
  declareCodePatchingSites,
} from "../../linux/image/bug-sites.ts";
import { ENOMEM } from "../../linux/include/uapi/errno.ts";
import { mmAlloc } from "../../linux/kernel/fork.ts";
import { getLockedPte, pteUnmapUnlock } from "../../linux/mm/memory.ts";
import { OpKind } from "../../machine/ops.ts";
import { isync, ptesync, visible } from "../../machine/task-ops.ts";
import { defineVariant } from "../api.ts";
import { VARIANT_274D842FA1EF } from "./274d842fa1ef.ts";

const FILE = "arch/powerpc/lib/code-patching.c";

/**
 * WARN lines are those of the file at c28c15b6d28a itself. Its parent's
 * functions moved down as the temp-mm code was added above them, and later
 * commits (2f228ee1ade5's per-CPU patching context, the removal of
 * `#ifdef CONFIG_STRICT_KERNEL_RWX`) moved them again before the fix, so
 * they match neither the parent's nor 980411a4d1bb's numbers.
 */
const LINES = {
  startUsingTempMm: 84,
  textAreaCpuUp: 106,
  unmapPatchArea: [244, 252, 256, 260],
  textAreaCpuUpMm: 147,
  pokingInit: 211,
} as const satisfies CodePatchingWarnLines;
declareCodePatchingSites(LINES);

/** `text_area_cpu_up_mm(cpu)`, pre-fix: caches the (unlocked) PTE pointer. */
const textAreaCpuUpMm = kfunc(
  { name: "text_area_cpu_up_mm", file: FILE, size: 0x1c0 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const ops = patchingOps(c.k);
    const mm = yield* mmAlloc(c);
    if (yield* warnOn(c, mm === null, { file: FILE, line: LINES.textAreaCpuUpMm })) return -ENOMEM;
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
    ctx.pte = locked.pte;
    return 0;
  },
);

/** `text_area_cpu_down_mm(cpu)`, pre-fix: also forgets the cached PTE. */
const textAreaCpuDownMm = kfunc(
  { name: "text_area_cpu_down_mm", file: FILE, size: 0xa0 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const ctx = patchContext(c.k, cpu);
    if (ctx.mm !== null) yield* patchingOps(c.k).putPatchingMm(c, ctx.mm, ctx.addr);
    ctx.mm = null;
    ctx.addr = 0n;
    ctx.pte = null;
    return 0;
  },
);

/**
 * `__do_patch_instruction_mm(addr, instr)`, pre-fix: the cached PTE is
 * written and cleared with no lock held.
 */
function* __doPatchInstructionMm(c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
  const ops = patchingOps(c.k);
  const pfn = yield* ops.getPatchPfn(c, addr);
  const ctx = patchContext(c.k, c.cpu.id);
  const patchingMm = ctx.mm;
  const pte = ctx.pte;
  if (patchingMm === null || pte === null) {
    throw new Error(`CPU ${c.cpu.id} has no patching mm (NULL dereference)`);
  }
  const textPokeAddr = ctx.addr;
  const patchAddr = textPokeAddr + offsetInPage(c.k, addr);
  const g = geometry(c.k.config.pageShift);

  yield* __setPteAt(c, patchingMm, textPokeAddr, pte, pfnPte(g, pfn, PAGE_KERNEL));
  // order PTE update before use, also serves as the hwsync
  yield* ptesync(c.k.machine, c.cpu);
  // order context switch after arbitrary prior code
  yield* isync(c.k.machine, c.cpu);

  const origMm = yield* startUsingTempMm(c, patchingMm, LINES.startUsingTempMm);
  const err = yield* ops.__patchInstruction(c, addr, instr, patchAddr);
  if (err) yield* visible(c.cpu, OpKind.SYNC, "mb");
  yield* stopUsingTempMm(c, patchingMm, origMm);

  yield* pteClear(c, patchingMm, textPokeAddr, pte);
  yield* localFlushTlbPagePsize(c, patchingMm, textPokeAddr, g.pageShift);
  return err;
}

/** The temporary-mm path as c28c15b6d28a introduced it (the bug). */
export const VARIANT_C28C15B6D28A = defineVariant({
  commit: "c28c15b6d28a",
  subject: "powerpc/code-patching: Use temporary mm for Radix MMU",
  aliases: ["pre-fix", "buggy"],
  base: VARIANT_274D842FA1EF.ops,
  overrides: {
    mmPatchEnabled: CODE_PATCHING_980411A4D1BB.mmPatchEnabled,
    textAreaCpuUpMm,
    textAreaCpuDownMm,
    __doPatchInstructionMm,
    textAreaCpuUp: makeTextAreaCpuUp(LINES.textAreaCpuUp, false),
    pokingInit: makePokingInit(LINES.pokingInit),
    unmapPatchArea: makeUnmapPatchArea(LINES.unmapPatchArea),
  },
});

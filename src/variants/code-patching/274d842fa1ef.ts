/**
 * arch/powerpc/lib/code-patching.c as it stood at 274d842fa1ef ("powerpc/tlb:
 * Add local flush for page given mm_struct and psize"), the parent of
 * c28c15b6d28a: patching through a per-CPU vmalloc alias only. Differences
 * from 980411a4d1bb, per code-patching.md §1 and the minus-lines of the
 * c28c15b6d28a and 2f228ee1ade5 diffs:
 * - no temporary-mm path: the vmalloc alias is used on Radix too;
 * - the per-CPU `text_poke_area` pointer only: the PTE slot is looked up with
 *   virt_to_kpte() at every patch instead of being cached at CPU-up;
 * - patch_instruction() silently does nothing (returns 0) for an address in
 *   the init section once init memory is freed.
 * SIMPLIFICATION: the file's `#ifdef CONFIG_STRICT_KERNEL_RWX` structure is
 * folded into the same run-time test 980411a4d1bb has (same behaviour).
 */
import type { PpcInst } from "../../isa/powerpc/inst.ts";
import {
  geometry,
  PAGE_KERNEL,
  pfnPte,
} from "../../linux/arch/powerpc/include/asm/book3s/64/pgtable.ts";
import { pteClear } from "../../linux/arch/powerpc/include/asm/book3s/64/pte-update.ts";
import { __setPteAt } from "../../linux/arch/powerpc/include/asm/book3s/64/set-pte.ts";
import { flushTlbKernelRange } from "../../linux/arch/powerpc/include/asm/book3s/64/tlbflush.ts";
import { localIrqRestore, localIrqSave } from "../../linux/arch/powerpc/include/asm/hw_irq.ts";
import { radixEnabled } from "../../linux/arch/powerpc/include/asm/mmu.ts";
import {
  makePokingInit,
  makeTextAreaCpuUp,
  makeUnmapPatchArea,
  offsetInPage,
} from "../../linux/arch/powerpc/lib/code-patching.ts";
import {
  patchContext,
  patchingOps,
  pokingInitDone,
} from "../../linux/arch/powerpc/lib/code-patching-ops.ts";
import type { Ctx, KGen } from "../../linux/core/ctx.ts";
import { kfunc } from "../../linux/core/kfunc.ts";
import {
  type CodePatchingWarnLines,
  declareCodePatchingSites,
} from "../../linux/image/bug-sites.ts";
import { initMm } from "../../linux/mm/init-mm.ts";
import { virtToKpte } from "../../linux/mm/memory.ts";
import { ptesync } from "../../machine/task-ops.ts";
import { defineVariant } from "../api.ts";

const FILE = "arch/powerpc/lib/code-patching.c";

/** Before c28c15b6d28a there is no temporary-mm path. */
function mmPatchEnabled(): boolean {
  return false;
}

/**
 * This file's WARN lines (unchanged since 071c95c1acbd, "Use WARN_ON and fix
 * check in poking_init"); there is no temporary-mm path yet.
 */
const LINES: CodePatchingWarnLines = {
  startUsingTempMm: null,
  textAreaCpuUp: 58,
  unmapPatchArea: [125, 133, 137, 141],
  textAreaCpuUpMm: null,
  pokingInit: 92,
};
declareCodePatchingSites(LINES);

/**
 * `__do_patch_instruction(addr, instr)` of this era: the alias PTE slot is
 * found with virt_to_kpte() on every patch.
 */
function* __doPatchInstruction(c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
  const ops = patchingOps(c.k);
  const pfn = yield* ops.getPatchPfn(c, addr);
  const area = patchContext(c.k, c.cpu.id).area;
  if (area === null) throw new Error(`CPU ${c.cpu.id} has no text_poke_area (NULL dereference)`);
  const textPokeAddr = area.addr & ~(BigInt(c.k.config.pageSize) - 1n);
  const patchAddr = textPokeAddr + offsetInPage(c.k, addr);
  const pte = yield* virtToKpte(c, textPokeAddr);
  if (pte === null) throw new Error(`no kernel PTE for the text_poke_area of CPU ${c.cpu.id}`);
  const mm = initMm(c.k);
  yield* __setPteAt(
    c,
    mm,
    textPokeAddr,
    pte,
    pfnPte(geometry(c.k.config.pageShift), pfn, PAGE_KERNEL),
  );
  // See ptesync comment in radix__set_pte_at()
  if (radixEnabled(c.k)) yield* ptesync(c.k.machine, c.cpu);
  const err = yield* ops.__patchInstruction(c, addr, instr, patchAddr);
  yield* pteClear(c, mm, textPokeAddr, pte);
  yield* flushTlbKernelRange(c, textPokeAddr, textPokeAddr + BigInt(c.k.config.pageSize));
  return err;
}

/**
 * `patch_instruction(addr, instr)` of this era: do nothing for freed init
 * text, else `do_patch_instruction()` (inlined), which is 980411a4d1bb's body.
 */
const patchInstruction = kfunc(
  { name: "patch_instruction", file: FILE, size: 0x6d0 },
  function* (c: Ctx, addr: bigint, instr: PpcInst): KGen<number> {
    const img = c.k.image;
    // Make sure we aren't patching a freed init section
    if (c.k.initMemIsFree && img !== undefined && addr >= img.initBegin && addr + 4n <= img.initEnd)
      return 0;
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

/** The vmalloc-only state before the temporary-mm series. */
export const VARIANT_274D842FA1EF = defineVariant({
  commit: "274d842fa1ef",
  subject: "powerpc/tlb: Add local flush for page given mm_struct and psize",
  aliases: ["vmalloc-only"],
  overrides: {
    mmPatchEnabled,
    // Only the area is kept: no cached PTE slot before 2f228ee1ade5.
    textAreaCpuUp: makeTextAreaCpuUp(LINES.textAreaCpuUp, false),
    __doPatchInstruction,
    patchInstruction,
    pokingInit: makePokingInit(LINES.pokingInit),
    unmapPatchArea: makeUnmapPatchArea(LINES.unmapPatchArea),
  },
});

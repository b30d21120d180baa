/**
 * `module_alloc()` (arch/powerpc/kernel/module.c, ppc64, v6.2): module text
 * and kprobe instruction slots live in the vmalloc area, mapped
 * read/write/execute (`PAGE_KERNEL_EXEC`), flagged VM_FLUSH_RESET_PERMS.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { VM_ALLOC, VM_FLUSH_RESET_PERMS, vmallocProt } from "../../../mm/vmalloc.ts";
import { PAGE_KERNEL_X } from "../include/asm/book3s/64/pgtable.ts";

/** Models `module_alloc(size)`: the address, or null. */
export const moduleAlloc = kfunc(
  { name: "module_alloc", file: "arch/powerpc/kernel/module.c", size: 0x70 },
  function* (c: Ctx, size: number): KGen<bigint | null> {
    return yield* vmallocProt(c, size, PAGE_KERNEL_X, VM_ALLOC | VM_FLUSH_RESET_PERMS);
  },
);

/**
 * The allocation flags that matter to the model. Models include/linux/gfp_types.h
 * and `gfpflags_allow_blocking()` (include/linux/gfp.h) at v6.2: GFP_KERNEL may
 * sleep (direct reclaim); GFP_ATOMIC and GFP_NOWAIT may not.
 */

export const ___GFP_HIGH = 0x20;
export const ___GFP_IO = 0x40;
export const ___GFP_FS = 0x80;
export const ___GFP_ZERO = 0x100;
export const ___GFP_DIRECT_RECLAIM = 0x400;
export const ___GFP_KSWAPD_RECLAIM = 0x800;
export const ___GFP_NOWARN = 0x2000;
export const ___GFP_ACCOUNT = 0x40_0000;

export const __GFP_HIGH = ___GFP_HIGH;
export const __GFP_ZERO = ___GFP_ZERO;
export const __GFP_NOWARN = ___GFP_NOWARN;
export const __GFP_ACCOUNT = ___GFP_ACCOUNT;
export const __GFP_DIRECT_RECLAIM = ___GFP_DIRECT_RECLAIM;
export const __GFP_RECLAIM = ___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM;

export const GFP_ATOMIC = __GFP_HIGH | ___GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | ___GFP_IO | ___GFP_FS;
export const GFP_NOWAIT = ___GFP_KSWAPD_RECLAIM;
/** `GFP_PGTABLE_KERNEL` / `GFP_PGTABLE_USER` (include/asm-generic/pgalloc.h). */
export const GFP_PGTABLE_KERNEL = GFP_KERNEL | __GFP_ZERO;
export const GFP_PGTABLE_USER = GFP_PGTABLE_KERNEL | __GFP_ACCOUNT;

/** Models `gfpflags_allow_blocking()`: may this allocation sleep? */
export function gfpflagsAllowBlocking(gfp: number): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

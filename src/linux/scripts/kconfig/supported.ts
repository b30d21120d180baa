/**
 * The part of the configuration space textpoke can simulate: a 64-bit
 * little-endian Book3S kernel on a PowerNV machine. The Kconfig model accepts
 * more (a big-endian kernel, no PowerNV platform); those resolve correctly but
 * cannot be booted, so loading them is a UserError naming the symbol.
 */
import type { SymbolName } from "./symbols.ts";

export const SUPPORTED: readonly { readonly symbol: SymbolName; readonly why: string }[] = [
  { symbol: "PPC64", why: "textpoke simulates a 64-bit (ppc64) kernel" },
  { symbol: "PPC_BOOK3S_64", why: "textpoke simulates a Book3S (server) processor" },
  { symbol: "CPU_LITTLE_ENDIAN", why: "textpoke simulates a little-endian (ppc64le) kernel" },
  { symbol: "PPC_POWERNV", why: "textpoke simulates a PowerNV (bare-metal) machine" },
];

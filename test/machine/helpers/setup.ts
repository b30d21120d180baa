import { Machine } from "../../../src/machine/machine.ts";
import { RadixTables } from "./radix-tables.ts";

/** `MSR_KERNEL` of a little-endian book3s/64 kernel (isa.md §14): SF HV ME IR DR RI LE. */
export const MSR_KERNEL = 0x9000_0000_0000_1033n;
/** LPCR with AIL=3 and ILE (asm/reg.h LPCR_AIL_3 0x01800000, LPCR_ILE 0x02000000). */
export const LPCR_AIL3_ILE = 0x0380_0000n;

export function radixMachine(pageShift: 12 | 16, cpus = 2) {
  const m = new Machine({
    cpus,
    memoryBytes: 256 << 20,
    pageSize: pageShift === 16 ? 65536 : 4096,
  });
  const t = new RadixTables(m.mem, pageShift);
  const kpgd = t.initPartition();
  for (const c of m.cpus) {
    c.ptcr = t.ptcr;
    c.msr = MSR_KERNEL;
    c.lpcr = LPCR_AIL3_ILE;
  }
  return { m, t, kpgd };
}

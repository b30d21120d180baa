import { alignDown, lowBits } from "../../util/bits.ts";
import type { RadixWalkResult } from "./radix.ts";
import { PTE_RPN, PTE_V } from "./radix-format.ts";

/** A translation installed in the hash MMU. */
export interface HashMapping {
  /** Leaf entry in the Radix PTE format (V, R, C, ATT, EAA, RPN). */
  pte: bigint;
  /** log2 of the page size. */
  readonly shift: number;
}

/**
 * Hash-table MMU, good enough for the kernel to run with Radix disabled:
 * translation, protection and faults behave as on the hashed page table, fed
 * by the kernel model's hash paths through `insert`/`remove`.
 *
 * SIMPLIFICATION: no HPT groups, SLB, VSIDs or PP/N/key bits. A software map
 * from (context, effective page) to a PTE in the Radix format replaces them:
 * the context is PIDR for quadrant-0 (user) addresses and 0 for all others,
 * and the permission and fault rules are those of `radixPermissionCause`.
 */
export class HashMmu {
  private readonly contexts = new Map<number, Map<number, HashMapping>>();

  /** Install a translation for the page of `ea52` (EA without quadrant bits). */
  insert(context: number, ea52: number, shift: number, pte: bigint): void {
    let m = this.contexts.get(context);
    if (m === undefined) {
      m = new Map();
      this.contexts.set(context, m);
    }
    m.set(key(ea52, shift), { pte, shift });
  }

  /** Remove a translation; returns the old PTE or null. */
  remove(context: number, ea52: number, shift: number): bigint | null {
    const m = this.contexts.get(context);
    const k = key(ea52, shift);
    const old = m?.get(k);
    if (old === undefined) return null;
    m!.delete(k);
    return old.pte;
  }

  /** Look up a translation; same result shape as a Radix walk. */
  translate(context: number, ea52: number): RadixWalkResult {
    const m = this.contexts.get(context);
    if (m !== undefined) {
      for (const shift of [12, 16, 24]) {
        const mapping = m.get(key(ea52, shift));
        if (mapping !== undefined && (mapping.pte & PTE_V) !== 0n) {
          const rpn = Number(mapping.pte & PTE_RPN);
          return {
            ok: true,
            pa: alignDown(rpn, shift) + lowBits(ea52, shift),
            shift,
            pteHi: Number(mapping.pte >> 32n),
            flags: Number(mapping.pte & 0xffff_ffffn),
            pteAddr: -1,
            level: 3,
          };
        }
      }
    }
    return { ok: false, cause: 0x4000_0000, segment: false };
  }

  /** Record R (and C for a store) on a mapping, as the hash MMU does in the HPTE. */
  setRc(context: number, ea52: number, shift: number, bits: bigint): void {
    const mapping = this.contexts.get(context)?.get(key(ea52, shift));
    if (mapping !== undefined) mapping.pte |= bits;
  }
}

function key(ea52: number, shift: number): number {
  return alignDown(ea52, shift) + shift;
}

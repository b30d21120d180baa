import { alignDown, lowBits } from "../../util/bits.ts";
import { FORK } from "../../util/clone.ts";
import type { RadixWalkResult } from "./radix.ts";
import { PTE_RPN, PTE_V } from "./radix-format.ts";

/** A translation installed in the hash MMU (replaced, never changed, once installed). */
export interface HashMapping {
  /** Leaf entry in the Radix PTE format (V, R, C, ATT, EAA, RPN). */
  readonly pte: bigint;
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
  /**
   * Contexts whose map this MMU may change in place; the others' maps are
   * shared with a fork (src/util/clone.ts) and copied before a change. The
   * kernel's linear mapping alone is thousands of translations, which a fork
   * then shares rather than copies.
   */
  private readonly owned = new Set<number>();

  /** A fork's MMU: the same translations, each context's map shared until either side changes it. */
  [FORK](): HashMmu {
    const h = new HashMmu();
    for (const [context, m] of this.contexts) h.contexts.set(context, m);
    this.owned.clear();
    return h;
  }

  /** The map of `context`, this MMU's own (created or copied). */
  private own(context: number): Map<number, HashMapping> {
    let m = this.contexts.get(context);
    if (m === undefined || !this.owned.has(context)) {
      m = new Map(m);
      this.contexts.set(context, m);
      this.owned.add(context);
    }
    return m;
  }

  /** Install a translation for the page of `ea52` (EA without quadrant bits). */
  insert(context: number, ea52: number, shift: number, pte: bigint): void {
    this.own(context).set(key(ea52, shift), { pte, shift });
  }

  /** Remove a translation; returns the old PTE or null. */
  remove(context: number, ea52: number, shift: number): bigint | null {
    const k = key(ea52, shift);
    const old = this.contexts.get(context)?.get(k);
    if (old === undefined) return null;
    this.own(context).delete(k);
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
    const k = key(ea52, shift);
    const mapping = this.contexts.get(context)?.get(k);
    if (mapping === undefined || (mapping.pte & bits) === bits) return;
    this.own(context).set(k, { pte: mapping.pte | bits, shift });
  }
}

function key(ea52: number, shift: number): number {
  return alignDown(ea52, shift) + shift;
}

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
/**
 * One context's translations as a shared, never-changed base (the kernel's
 * linear map alone is thousands) under this MMU's own changes (`null`: removed).
 */
interface Layered {
  base: ReadonlyMap<number, HashMapping> | null;
  readonly delta: Map<number, HashMapping | null>;
}

/** Changes past which a fork folds a context's changes into a new base. */
const FOLD_AT = 256;

export class HashMmu {
  private readonly contexts = new Map<number, Layered>();

  /**
   * A fork's MMU: the same translations, each context's base shared, its
   * changes copied (few: a patch maps and unmaps one page) — folded into a new
   * shared base first when they have grown many.
   */
  [FORK](): HashMmu {
    const h = new HashMmu();
    for (const [context, l] of this.contexts) {
      if (l.delta.size > FOLD_AT) {
        const base = new Map(l.base ?? []);
        for (const [k, v] of l.delta) {
          if (v === null) base.delete(k);
          else base.set(k, v);
        }
        l.base = base;
        l.delta.clear();
      }
      h.contexts.set(context, { base: l.base, delta: new Map(l.delta) });
    }
    return h;
  }

  /**
   * Every translation, whatever layer holds it: (context, page key, PTE),
   * sorted — the same list for two MMUs that translate alike.
   */
  translations(): [number, number, bigint][] {
    const out: [number, number, bigint][] = [];
    for (const [context, l] of this.contexts) {
      const keys = new Set([...(l.base?.keys() ?? []), ...l.delta.keys()]);
      for (const k of keys) {
        const m = this.get(context, k);
        if (m !== undefined) out.push([context, k, m.pte]);
      }
    }
    return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  private get(context: number, k: number): HashMapping | undefined {
    const l = this.contexts.get(context);
    if (l === undefined) return undefined;
    const d = l.delta.get(k);
    if (d !== undefined) return d ?? undefined;
    return l.base?.get(k);
  }

  private set(context: number, k: number, v: HashMapping | null): void {
    let l = this.contexts.get(context);
    if (l === undefined) {
      l = { base: null, delta: new Map() };
      this.contexts.set(context, l);
    }
    l.delta.set(k, v);
  }

  /** Install a translation for the page of `ea52` (EA without quadrant bits). */
  insert(context: number, ea52: number, shift: number, pte: bigint): void {
    this.set(context, key(ea52, shift), { pte, shift });
  }

  /** Remove a translation; returns the old PTE or null. */
  remove(context: number, ea52: number, shift: number): bigint | null {
    const k = key(ea52, shift);
    const old = this.get(context, k);
    if (old === undefined) return null;
    this.set(context, k, null);
    return old.pte;
  }

  /** Look up a translation; same result shape as a Radix walk. */
  translate(context: number, ea52: number): RadixWalkResult {
    if (this.contexts.has(context)) {
      for (const shift of [12, 16, 24]) {
        const mapping = this.get(context, key(ea52, shift));
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
    const mapping = this.get(context, k);
    if (mapping === undefined || (mapping.pte & bits) === bits) return;
    this.set(context, k, { pte: mapping.pte | bits, shift });
  }
}

function key(ea52: number, shift: number): number {
  return alignDown(ea52, shift) + shift;
}

/**
 * `struct mm_struct` and the parts of `struct page` that page-table pages use.
 * Models include/linux/mm_types.h and the book3s64 `mm_context_t`
 * (arch/powerpc/include/asm/book3s/64/mmu.h) at v6.2, as far as the model
 * needs them. Addresses of tables are physical addresses (JS numbers); the
 * kernel holds linear-map pointers, which are the same thing plus PAGE_OFFSET.
 */
import type { Spinlock } from "../../kernel/locking/spinlock.ts";
import type { MmRef } from "./sched.ts";

/** `mm_context_t` (book3s64, Radix parts). */
export interface MmContext {
  /** The PID (`context.id`), or MMU_NO_CONTEXT (-1). */
  id: number;
  /** Next free PTE fragment in the current fragment page (`pte_frag`), physical, or null. */
  pteFrag: number | null;
  /** Next free PMD fragment (`pmd_frag`), or null. */
  pmdFrag: number | null;
  /** `active_cpus`: CPUs that switched to this mm (never decremented on Radix by switch_mm). */
  activeCpus: number;
  /** `copros`: coprocessors (nest MMU users) attached. */
  copros: number;
}

/** `struct mm_struct`. */
export interface MmStruct extends MmRef {
  /** `mm->pgd`, physical address of the PGD. */
  readonly pgd: number;
  /** `mm_users`: users of the address space. */
  mmUsers: number;
  /** `mm_count`: references to the struct. */
  mmCount: number;
  readonly pageTableLock: Spinlock;
  /** `mm->pgtables_bytes`: bytes of page tables accounted to the mm. */
  pgtablesBytes: number;
  /** `mm_cpumask(mm)`. */
  readonly cpumask: Set<number>;
  readonly context: MmContext;
  /** Freed by __mmdrop: any further use is a simulator bug. */
  freed: boolean;
}

/**
 * The `struct page` fields of a page holding page tables: the split PTE lock
 * (`ptl`, set up by `pgtable_pte_page_ctor`) and `pt_frag_refcount`.
 */
export interface PtPage {
  /** Physical address of the page. */
  readonly pa: number;
  /** Split page-table lock, or null when the constructor did not run (kernel tables). */
  ptl: Spinlock | null;
  /** Live fragments (plus the ones still reserved in an mm's fragment cache). */
  fragRefcount: number;
}

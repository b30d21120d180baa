/**
 * Builds Radix page tables in simulated physical memory by writing raw
 * big-endian entries with the bit layout of mm-primitives.md §2-3 (and the
 * Power ISA partition/process-table formats), independently of src/machine's
 * own constants, so the tests check the walker against the documented format.
 */
import type { PhysMemory } from "../../../src/machine/memory.ts";

export const V = 0x8000_0000_0000_0000n;
export const LEAF = 0x4000_0000_0000_0000n;
export const HR = 0x8000_0000_0000_0000n;
/** RTS for a 52-bit tree, as the kernel writes it (mm-primitives.md §3.3). */
export const RTS52 = 0x4000_0000_0000_00a0n;
export const PAGE_KERNEL = 0x8000_0000_0000_018en;
export const PAGE_KERNEL_X = 0x8000_0000_0000_018fn;
export const PAGE_KERNEL_RO = 0x8000_0000_0000_010cn;
export const PAGE_KERNEL_ROX = 0x8000_0000_0000_010dn;
/** A user read/write page: present, read, write, no R/C yet. */
export const PAGE_USER_RW_NO_RC = 0x8000_0000_0000_0006n;

export const PATB = 0x1000;
/** Process table: 64 KiB (PRTS = 4 → 2^16 bytes, 4096 PIDs). */
export const PRTB = 0x10000;

export class RadixTables {
  readonly mem: PhysMemory;
  readonly pageShift: 12 | 16;
  private next: number;

  constructor(mem: PhysMemory, pageShift: 12 | 16, tableArena = 0x100000) {
    this.mem = mem;
    this.pageShift = pageShift;
    this.next = tableArena;
  }

  /** PTCR value: partition table at PATB, 4 KiB (PATS = 0). */
  get ptcr(): bigint {
    return BigInt(PATB);
  }

  private alloc(bytes: number): number {
    // Natural alignment of a table of `bytes`.
    this.next = Math.ceil(this.next / bytes) * bytes;
    const at = this.next;
    this.next += bytes;
    return at;
  }

  /** Partition-table entry 0 (host) with the kernel's PGD; returns that PGD. */
  initPartition(): number {
    const pgd = this.newPgd();
    this.mem.writeBe64(PATB, HR | RTS52 | BigInt(pgd) | 13n);
    this.mem.writeBe64(PATB + 8, BigInt(PRTB) | 4n);
    this.setProcess(0, pgd);
    return pgd;
  }

  newPgd(): number {
    return this.alloc(8192 * 8);
  }

  /** Process-table entry for `pid` → the tree at `pgd`. */
  setProcess(pid: number, pgd: number): void {
    this.mem.writeBe64(PRTB + pid * 16, RTS52 | BigInt(pgd) | 13n);
  }

  /** Index bits per level below the PGD: PUD 9, PMD 9, PTE 5 (64K) or 9 (4K). */
  private get pteBits(): number {
    return this.pageShift === 16 ? 5 : 9;
  }

  /** Directory entry slot for `ea` at `level` (0 PGD .. 3 PTE), creating tables on the way. */
  slot(pgd: number, ea: bigint, level: 0 | 1 | 2 | 3): number {
    const ea52 = ea & 0x000f_ffff_ffff_ffffn;
    const shifts = [39n, 30n, 21n, BigInt(this.pageShift)];
    const sizes = [13, 9, 9, this.pteBits];
    let table = pgd;
    for (let l = 0; l <= level; l++) {
      const index = Number((ea52 >> shifts[l]!) & ((1n << BigInt(sizes[l]!)) - 1n));
      const at = table + index * 8;
      if (l === level) return at;
      const e = this.mem.readBe64(at);
      if ((e & V) === 0n) {
        const nextBits = sizes[l + 1]!;
        const t = this.alloc(2 ** nextBits * 8);
        this.mem.writeBe64(at, V | BigInt(t) | BigInt(nextBits));
        table = t;
      } else {
        table = Number(e & 0x0fff_ffff_ffff_ff00n);
      }
    }
    throw new Error("unreachable");
  }

  /** Map one base page (level 3), a 2 MiB leaf (level 2) or a 1 GiB leaf (level 1). */
  map(pgd: number, ea: bigint, pa: number, prot: bigint, level: 1 | 2 | 3 = 3): number {
    const at = this.slot(pgd, ea, level);
    this.mem.writeBe64(at, BigInt(pa) | LEAF | prot);
    return at;
  }
}

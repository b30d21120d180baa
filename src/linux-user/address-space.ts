/**
 * A user process's address space on the simulated machine: real Radix page
 * tables (4 KiB pages) for PID 1 built in simulated physical memory, so every
 * guest access goes through the MMU model (TLB, table walk, R/C), plus the
 * bookkeeping the loader and the system calls need (a software view of the
 * mappings to copy data in and out without touching the TLB).
 *
 * SIMPLIFICATION: frames come from a bump allocator and are never freed
 * (munmap leaves the mapping); there is no kernel quadrant.
 */
import type { Cpu } from "../machine/cpu.ts";
import type { PhysMemory } from "../machine/memory.ts";
import { PATE0_HR, PDE_V, PTE_C, PTE_L, PTE_R, RADIX_RTS_52 } from "../machine/mmu/radix-format.ts";

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/** Protection bits as mmap takes them (PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4). */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

/** The PID the process runs under (PID 0 is the kernel's). */
export const USER_PID = 1;

/** Partition table and process table: one 4 KiB page each (PATS = PRTS = 0). */
const PATB = 0x1000;
const PRTB = 0x2000;
/** Where table pages and frames are allocated from. */
const ARENA = 0x10_0000;

/** Index bits per level for 4 KiB pages: PGD 13, PUD 9, PMD 9, PTE 9 (mm-primitives.md §2). */
const LEVEL_SHIFT = [39, 30, 21, 12] as const;
const LEVEL_BITS = [13, 9, 9, 9] as const;

export class UserAddressSpace {
  readonly mem: PhysMemory;
  private next = ARENA;
  private readonly pgd: number;
  /** Virtual page number → [real page address, prot]. */
  private readonly pages = new Map<number, { pa: number; prot: number }>();

  constructor(mem: PhysMemory) {
    this.mem = mem;
    this.pgd = this.allocTable(2 ** LEVEL_BITS[0] * 8);
    // Partition-table entry 0 (host, Radix) → the process table; PID 1's root.
    mem.writeBe64(PATB, PATE0_HR | RADIX_RTS_52 | BigInt(this.pgd) | 13n);
    mem.writeBe64(PATB + 8, BigInt(PRTB));
    mem.writeBe64(PRTB + USER_PID * 16, RADIX_RTS_52 | BigInt(this.pgd) | 13n);
  }

  /** PTCR for a CPU running this address space. */
  get ptcr(): bigint {
    return BigInt(PATB);
  }

  /** Point `cpu`'s MMU at this address space (PTCR, LPIDR 0, PIDR = 1). */
  attach(cpu: Cpu): void {
    cpu.ptcr = this.ptcr;
    cpu.lpidr = 0;
    cpu.pidr = USER_PID;
  }

  private allocTable(bytes: number): number {
    this.next = Math.ceil(this.next / bytes) * bytes;
    const at = this.next;
    this.next += bytes;
    return at;
  }

  /** A fresh zeroed frame (memory is zero until written). */
  allocFrame(): number {
    return this.allocTable(PAGE_SIZE);
  }

  /** The PTE slot for virtual address `va`, creating directories on the way. */
  private pteSlot(va: number): number {
    let table = this.pgd;
    for (let level = 0; level < 3; level++) {
      const index = Math.floor(va / 2 ** LEVEL_SHIFT[level]!) % 2 ** LEVEL_BITS[level]!;
      const at = table + index * 8;
      let e = this.mem.readBe64(at);
      if ((e & PDE_V) === 0n) {
        const nextBits = LEVEL_BITS[level + 1]!;
        const t = this.allocTable(2 ** nextBits * 8);
        e = PDE_V | BigInt(t) | BigInt(nextBits);
        this.mem.writeBe64(at, e);
      }
      table = Number(e & 0x0fff_ffff_ffff_ff00n);
    }
    const index = Math.floor(va / PAGE_SIZE) % 2 ** LEVEL_BITS[3];
    return table + index * 8;
  }

  /**
   * Map [va, va+len) (page-rounded) with `prot`; pages already mapped keep
   * their frame and gain the new rights. Returns nothing; frames are fresh.
   */
  map(va: number, len: number, prot: number): void {
    const first = Math.floor(va / PAGE_SIZE);
    const last = Math.floor((va + len - 1) / PAGE_SIZE);
    const perTable = 2 ** LEVEL_BITS[3];
    let table = -1;
    for (let vpn = first; vpn <= last; vpn++) {
      const old = this.pages.get(vpn);
      const pa = old?.pa ?? this.allocFrame();
      const p = (old?.prot ?? 0) | prot;
      this.pages.set(vpn, { pa, prot: p });
      // One walk per PTE table (512 pages), not per page.
      const index = vpn % perTable;
      if (table < 0 || index === 0) table = this.pteSlot(vpn * PAGE_SIZE) - index * 8;
      this.mem.writeBe64(table + index * 8, pteFor(pa, p));
    }
  }

  /** Is every byte of [va, va+len) mapped with `prot`? */
  accessible(va: number, len: number, prot: number): boolean {
    if (len === 0) return true;
    const first = Math.floor(va / PAGE_SIZE);
    const last = Math.floor((va + len - 1) / PAGE_SIZE);
    for (let vpn = first; vpn <= last; vpn++) {
      const p = this.pages.get(vpn);
      if (p === undefined || (p.prot & prot) !== prot) return false;
    }
    return true;
  }

  /** Copy guest bytes out (the caller checked `accessible`). */
  read(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const at = va + done;
      const off = at % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      const p = this.pages.get(Math.floor(at / PAGE_SIZE));
      if (p === undefined) throw new Error(`read of unmapped 0x${at.toString(16)}`);
      out.set(this.mem.readBytes(p.pa + off, n), done);
      done += n;
    }
    return out;
  }

  /** Copy bytes into the guest (loader, initial stack), whatever the protection. */
  write(va: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const at = va + done;
      const off = at % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      const p = this.pages.get(Math.floor(at / PAGE_SIZE));
      if (p === undefined) throw new Error(`write to unmapped 0x${at.toString(16)}`);
      this.mem.writeBytes(p.pa + off, bytes.subarray(done, done + n));
      done += n;
    }
  }
}

/**
 * A user leaf PTE (mm-primitives.md §3.1): valid, leaf, the frame, R and C
 * already set (as Linux's fault path leaves them), EAA read/write/execute
 * from the protection, never privileged.
 */
function pteFor(pa: number, prot: number): bigint {
  const eaa =
    (prot & PROT_READ ? 0x4 : 0) | (prot & PROT_WRITE ? 0x6 : 0) | (prot & PROT_EXEC ? 0x1 : 0);
  return PDE_V | PTE_L | BigInt(pa) | PTE_R | PTE_C | BigInt(eaa);
}

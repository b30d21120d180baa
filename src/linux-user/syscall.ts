/**
 * The system-call layer a user program sees in place of a kernel, with the
 * ppc64 ABI (arch/powerpc/kernel/syscall.c, Documentation/powerpc/syscall64-abi.rst):
 * number in r0, arguments in r3..r8, result in r3. After `sc` an error sets
 * CR0[SO] with r3 = the positive errno (SO is cleared on success); after
 * `scv 0` r3 holds the negative errno and CR0 is untouched.
 *
 * Implemented: write (fd 1/2 → the sink), exit, exit_group, brk, anonymous
 * mmap, munmap (which leaves the mapping). Everything else returns -ENOSYS
 * with a one-time note on stderr per system-call number.
 */
import type { ExecContext } from "../machine/exec/context.ts";
import { STOP } from "../machine/exec/context.ts";
import {
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  type UserAddressSpace,
} from "./address-space.ts";
import { NR, SYSCALL_NAMES } from "./syscall-numbers.ts";

/** Where the program's output goes: fd 1 and 2 (browser-safe: no streams). */
export interface OutputSink {
  write(fd: 1 | 2, bytes: Uint8Array): void;
}

/** errno values (include/uapi/asm-generic/errno-base.h, errno.h). */
export const ERRNO = { EBADF: 9, ENOMEM: 12, EFAULT: 14, EINVAL: 22, ENOSYS: 38 } as const;

const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
/** Anonymous mappings are placed top-down below this address (under the stack). */
const MMAP_TOP = 0x7fff_0000_0000;

const CR0_SO = 0x1000_0000;

export class UserSyscalls {
  private readonly as: UserAddressSpace;
  private readonly sink: OutputSink;
  private brkStart: number;
  private brkEnd: number;
  private mmapNext = MMAP_TOP;
  private readonly noted = new Set<number>();
  /** Set when the program exits. */
  exitStatus: number | null = null;

  constructor(as: UserAddressSpace, sink: OutputSink, brk: number) {
    this.as = as;
    this.sink = sink;
    this.brkStart = brk;
    this.brkEnd = brk;
  }

  /** The `sc`/`scv` hook: perform the call in r0 and return to the next instruction (or stop). */
  handle(x: ExecContext, vectored: boolean): number {
    const g = x.g;
    const nr = Number(g[0]! & 0xffff_ffffn);
    const r = this.dispatch(nr, g[3]!, g[4]!, g[5]!, g[6]!, g[7]!, g[8]!);
    if (this.exitStatus !== null) {
      x.stopReason = "exit";
      x.exitStatus = this.exitStatus;
      x.cpu.nia = x.cia() + 4n;
      return STOP;
    }
    if (vectored) {
      g[3] = BigInt.asUintN(64, r);
    } else if (r < 0n && r > -4096n) {
      g[3] = -r;
      x.cpu.cr = (x.cpu.cr | CR0_SO) >>> 0;
    } else {
      g[3] = BigInt.asUintN(64, r);
      x.cpu.cr = (x.cpu.cr & ~CR0_SO) >>> 0;
    }
    return 1;
  }

  private dispatch(
    nr: number,
    a0: bigint,
    a1: bigint,
    a2: bigint,
    a3: bigint,
    _a4: bigint,
    _a5: bigint,
  ): bigint {
    switch (nr) {
      case NR.exit:
      case NR.exit_group:
        this.exitStatus = Number(a0 & 0xffn);
        return 0n;
      case NR.write:
        return this.write(a0, a1, a2);
      case NR.brk:
        return this.brk(a0);
      case NR.mmap:
        return this.mmap(a0, a1, a2, a3);
      case NR.munmap:
        return 0n;
      default:
        if (!this.noted.has(nr)) {
          this.noted.add(nr);
          const name = SYSCALL_NAMES.get(nr) ?? "unknown";
          this.sink.write(
            2,
            new TextEncoder().encode(
              `textpoke: exec: unimplemented syscall ${nr} (${name}), returning -ENOSYS\n`,
            ),
          );
        }
        return -BigInt(ERRNO.ENOSYS);
    }
  }

  private write(fd: bigint, buf: bigint, len: bigint): bigint {
    if (fd !== 1n && fd !== 2n) return -BigInt(ERRNO.EBADF);
    if (len === 0n) return 0n;
    if (len > 0x7fff_ffffn || buf > BigInt(Number.MAX_SAFE_INTEGER)) return -BigInt(ERRNO.EFAULT);
    const va = Number(buf);
    const n = Number(len);
    if (!this.as.accessible(va, n, PROT_READ)) return -BigInt(ERRNO.EFAULT);
    this.sink.write(fd === 1n ? 1 : 2, this.as.read(va, n));
    return len;
  }

  /** brk(addr): grow (never shrink) the heap; returns the current break. */
  private brk(addr: bigint): bigint {
    const want = Number(addr);
    if (addr > BigInt(MMAP_TOP) || want <= this.brkEnd) {
      if (want >= this.brkStart && want <= this.brkEnd) this.brkEnd = Math.max(this.brkStart, want);
      return BigInt(this.brkEnd);
    }
    const mappedTo = Math.ceil(this.brkEnd / PAGE_SIZE) * PAGE_SIZE;
    if (want > mappedTo) this.as.map(mappedTo, want - mappedTo, PROT_READ | PROT_WRITE);
    this.brkEnd = want;
    return addr;
  }

  /** mmap: anonymous mappings only (top-down, or at `addr` with MAP_FIXED). */
  private mmap(addr: bigint, len: bigint, prot: bigint, flags: bigint): bigint {
    const f = Number(flags & 0xffff_ffffn);
    if ((f & MAP_ANONYMOUS) === 0) return -BigInt(ERRNO.EBADF);
    if (len === 0n || len > 0x1_0000_0000n) return -BigInt(ERRNO.EINVAL);
    const size = Math.ceil(Number(len) / PAGE_SIZE) * PAGE_SIZE;
    let at: number;
    if ((f & MAP_FIXED) !== 0) {
      at = Number(addr);
      if (at % PAGE_SIZE !== 0) return -BigInt(ERRNO.EINVAL);
    } else {
      this.mmapNext -= size;
      at = this.mmapNext;
    }
    const p = Number(prot & 7n);
    // PROT_NONE still reserves the range; map it readable-nowhere by giving no rights.
    this.as.map(at, size, p & (PROT_READ | PROT_WRITE | PROT_EXEC));
    return BigInt(at);
  }
}

// Line formats of arch/powerpc/kernel/process.c (v6.2) as boot-and-oops.md
// §5.4–§5.6 (reference) gives them: "NIP:  " with two spaces, REG = %016lx,
// the MSR names in msr_bits[] order (<SF,HV,EE,ME,IR,DR,RI,LE> for
// 0x9000000000029033), DAR/DSISR only for 0x200/0x300/0x600, no CFAR for
// system calls, GPR rows of 4 each followed by a space, show_stack's
// "(unreliable)" and "--- interrupt:" lines, and the one-line Code: dump.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  __showRegs,
  MSR_IR,
  type PtRegs,
  printMsrBits,
  showInstructions,
  showStack,
} from "../../../../../src/linux/arch/powerpc/kernel/process.ts";
import { Kallsyms } from "../../../../../src/linux/kernel/kallsyms.ts";

const K = 0xc000_0000_0000_0000n;
const kallsyms = new Kallsyms([
  { name: "do_page_fault", address: K + 0x1000n, size: 0x200, type: "T" },
  { name: "copy_to_user_nofault", address: K + 0x2000n, size: 0x100, type: "T" },
  { name: "interrupt_return", address: K + 0x3000n, size: 0x80, type: "T" },
  { name: "do_softirq", address: K + 0x4000n, size: 0x40, type: "T" },
]);
const ctx = { taint: 0, release: "6.2.0-rc1", kallsyms };
const regs = (over: Partial<PtRegs> = {}): PtRegs => ({
  gpr: Array.from({ length: 32 }, () => 0n),
  nip: K + 0x2010n,
  msr: 0x9000_0000_0000_9033n,
  origGpr3: K + 0x200cn,
  ctr: 0n,
  link: K + 0x1040n,
  xer: 0n,
  ccr: 0x2200_0000n,
  softe: 3n,
  trap: 0x300,
  dar: 0x8n,
  dsisr: 0x4000_0000n,
  address: K + 0x3983_b00n,
  ...over,
});

describe("print_msr_bits", () => {
  it("names the bits of the reference's kernel MSR in the kernel's order", () => {
    assert.equal(printMsrBits(0x9000_0000_0002_9033n), "<SF,HV,EE,ME,IR,DR,RI,LE>");
  });
  it("prints the whole list in order and the TM suffix", () => {
    assert.equal(
      printMsrBits(0xffff_ffff_ffff_ffffn),
      "<SF,HV,VEC,VSX,EE,PR,FP,ME,SE,BE,IR,DR,PMM,RI,LE,TM[TSE]>",
    );
    assert.equal(printMsrBits((1n << 32n) | (1n << 33n) | 0x1n), "<LE,TM[SE]>");
    assert.equal(printMsrBits(0n), "<>");
  });
});

describe("__show_regs", () => {
  it("prints DAR/DSISR for a data storage interrupt, and IRQMASK in hex", () => {
    const lines = __showRegs(regs(), ctx).map((l) => l.text);
    assert.equal(lines[0], "NIP:  c000000000002010 LR: c000000000001040 CTR: 0000000000000000");
    assert.equal(lines[1], "REGS: c000000003983b00 TRAP: 0300   Not tainted  (6.2.0-rc1)");
    assert.equal(
      lines[2],
      "MSR:  9000000000009033 <SF,HV,EE,ME,IR,DR,RI,LE>  CR: 22000000  XER: 00000000",
    );
    assert.equal(
      lines[3],
      "CFAR: c00000000000200c DAR: 0000000000000008 DSISR: 40000000 IRQMASK: 3 ",
    );
    assert.equal(lines[4], `GPR00: ${"0000000000000000 ".repeat(4)}`);
    assert.equal(lines.filter((l) => l.startsWith("GPR")).length, 8);
    assert.equal(lines.at(-2), "NIP [c000000000002010] copy_to_user_nofault+0x10/0x100");
    assert.equal(lines.at(-1), "LR [c000000000001040] do_page_fault+0x40/0x200");
  });
  it("omits CFAR for a system call and DAR/DSISR for other traps", () => {
    assert.equal(__showRegs(regs({ trap: 0xc00 }), ctx)[3]!.text, "IRQMASK: 3 ");
    assert.equal(__showRegs(regs({ trap: 0x3000 }), ctx)[3]!.text, "IRQMASK: 3 ");
    assert.equal(
      __showRegs(regs({ trap: 0x701 }), ctx)[3]!.text,
      "CFAR: c00000000000200c IRQMASK: 3 ",
    );
    assert.equal(
      __showRegs(regs({ trap: 0x700 }), { ...ctx, cpuHasCfar: false })[3]!.text,
      "IRQMASK: 3 ",
    );
  });
});

describe("show_stack", () => {
  const sp = (n: number) => K + 0x3980_000n + BigInt(n) * 0x70n;
  it("marks the first frame unreliable and prints an exception frame's registers", () => {
    const irq = regs({ trap: 0x500, nip: K + 0x3010n, link: K + 0x4008n });
    const lines = showStack(
      [
        { sp: sp(0), ip: K + 0x1044n },
        { sp: sp(1), ip: K + 0x2050n, regs: irq },
        // right after the exception frame: ip == regs->link → not printed
        { sp: sp(2), ip: K + 0x4008n },
        { sp: sp(3), ip: K + 0x4010n },
      ],
      ctx,
    ).map((l) => l.text);
    assert.equal(lines[0], "Call Trace:");
    assert.equal(
      lines[1],
      "[c000000003980000] [c000000000001044] do_page_fault+0x44/0x200 (unreliable)",
    );
    assert.equal(lines[2], "[c000000003980070] [c000000000002050] copy_to_user_nofault+0x50/0x100");
    assert.equal(lines[3], "--- interrupt: 500 at interrupt_return+0x10/0x80");
    assert.equal(lines[4], "NIP:  c000000000003010 LR: c000000000004008 CTR: 0000000000000000");
    assert.equal(lines.at(-2), "--- interrupt: 500");
    assert.equal(lines.at(-1), "[c000000003980150] [c000000000004010] do_softirq+0x10/0x40");
  });
  it("prints the function-graph tracer's real return address", () => {
    const lines = showStack([{ sp: sp(0), ip: K + 0x1044n, retAddr: K + 0x4004n }], ctx);
    assert.equal(
      lines[1]!.text,
      "[c000000003980000] [c000000000001044] do_page_fault+0x44/0x200 (do_softirq+0x4/0x40) (unreliable)",
    );
  });
  it("prints at most depth + 1 frames, like the kernel's do/while", () => {
    const frames = Array.from({ length: 100 }, (_, i) => ({
      sp: sp(i),
      ip: K + 0x1000n + BigInt(i),
    }));
    assert.equal(showStack(frames, ctx).length, 1 + 65);
    assert.equal(showStack(frames, ctx, 3).length, 1 + 4);
  });
});

describe("show_instructions", () => {
  it("prints 16 words from NIP-48 with the NIP word in brackets and XXXXXXXX for unreadable ones", () => {
    const nip = K + 0x2010n;
    const line = showInstructions({ nip, msr: MSR_IR }, (a) =>
      a < K + 0x2000n ? undefined : Number(a - K),
    );
    assert.equal(
      line.text,
      "Code: XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX " +
        "00002000 00002004 00002008 0000200c <00002010> 00002014 00002018 0000201c ",
    );
  });
  it("converts real-mode addresses with phys_to_virt", () => {
    const seen: bigint[] = [];
    const line = showInstructions({ nip: 0x700n, msr: 0n }, (a) => {
      seen.push(a);
      return 0x4e800020;
    });
    assert.equal(seen[12], K + 0x700n);
    assert.match(line.text, /^Code: (4e800020 ){12}<4e800020> (4e800020 ){3}$/);
  });
});

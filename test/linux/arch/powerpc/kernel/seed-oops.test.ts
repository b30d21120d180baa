// Renders the whole BUG oops of the seed bug (kprobes → patch_instruction →
// assert_pte_locked BUG_ON, PID 1 at boot) for a synthetic register state and
// symbol table laid out like the seed's call trace, through printk, and
// compares it with the oops text in the fix's commit message, read at test
// time from fixtures/seed/ (or $TEXTPOKE_SEED_DIR). The mail abbreviates the
// NIP/LR lines and the call-trace rows, so lines are compared after a
// normaliser drops timestamps and [address] columns and replaces hex numbers
// and the release string with placeholders.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PtRegs, StackFrame } from "../../../../../src/linux/arch/powerpc/kernel/process.ts";
import { __die, oopsEndLines } from "../../../../../src/linux/arch/powerpc/kernel/traps.ts";
import { Kallsyms } from "../../../../../src/linux/kernel/kallsyms.ts";
import { addTaint, panic, TAINT_DIE } from "../../../../../src/linux/kernel/panic.ts";
import { Printk } from "../../../../../src/linux/kernel/printk.ts";
import { __reportBug, type BugEntry } from "../../../../../src/linux/lib/bug.ts";
import { assertShowsSeedOops, mailOopsLines, seedOopsLayout } from "../../../../helpers/seed.ts";

const RELEASE = "6.2.0-rc1";

// Synthetic kernel: addresses are invented; the layout (which function
// returns where, at which offset, and the sizes) follows the seed's trace.
const K = 0xc000_0000_0000_0000n;
const syms: [string, bigint, number][] = [
  ["ret_from_kernel_thread", K + 0xd764n, 0x64],
  ["do_one_initcall", K + 0x12a40n, 0x2e0],
  ["kernel_init", K + 0x13d20n, 0x1d0],
  ["arch_prepare_kprobe", K + 0x6a6f0n, 0x2d0],
  ["arch_init_kprobes", K + 0x6a9c0n, 0x3c],
  ["patch_instruction", K + 0x9d9a0n, 0x6d0],
  ["assert_pte_locked", K + 0xa1230n, 0x1a0],
  ["register_kprobe", K + 0x2a8d60n, 0x7c0],
  ["kernel_init_freeable", K + 0x2005a28n, 0x3e0],
  ["init_kprobes", K + 0x203f7e8n, 0x184],
];
const kallsyms = new Kallsyms(
  syms.map(([name, address, size]) => ({ name, address, size, type: "T" })),
);
const at = (name: string, off: number) => kallsyms.lookupName(name)! + BigInt(off);

const nip = at("assert_pte_locked", 0x180);
const stackTop = 0xc000_0000_0398_4000n;
const frameSps = [
  0x3b30n,
  0x3b60n,
  0x3bd0n,
  0x3c40n,
  0x3cd0n,
  0x3d00n,
  0x3d70n,
  0x3e00n,
  0x3e50n,
  0x3e80n,
];
const returns: [string, number][] = [
  ["patch_instruction", 0x618],
  ["arch_prepare_kprobe", 0xfc],
  ["register_kprobe", 0x520],
  ["arch_init_kprobes", 0x28],
  ["init_kprobes", 0x108],
  ["do_one_initcall", 0x60],
  ["kernel_init_freeable", 0x1f0],
  ["kernel_init", 0x34],
  ["ret_from_kernel_thread", 0x5c],
];
const frames: StackFrame[] = frameSps.map((off, i) => ({
  sp: stackTop - 0x4000n + off,
  // the first frame's LR-save slot is stale: 0x60000000, as in the seed
  ip: i === 0 ? 0x6000_0000n : at(...returns[i - 1]!),
}));
const gpr = Array.from({ length: 32 }, (_, i) => BigInt(i) * 0x1111n);
gpr[1] = frames[0]!.sp;
gpr[9] = 1n; // tdnei r9,0 traps: the lock was not held
const regs: PtRegs = {
  gpr,
  nip,
  msr: 0x9000_0000_0002_9033n,
  origGpr3: at("assert_pte_locked", 0x16c),
  ctr: at("patch_instruction", 0x5f0),
  link: at("assert_pte_locked", 0x170),
  xer: 0x2004_0000n,
  ccr: 0x4400_4222n,
  softe: 1n,
  trap: 0x700,
  dar: 0n,
  dsisr: 0n,
  address: frames[0]!.sp + 0x70n,
};
const text = (a: bigint) =>
  a >= nip - 48n && a < nip + 16n
    ? a === nip
      ? 0x0b09_0000
      : 0x6000_0000 + Number(a & 0xffn)
    : undefined;

function renderSeedOops(): { log: Printk; dmesg: string[] } {
  let now = 1_234_567_000n;
  const log = new Printk({ clock: () => now });
  const bugTable: BugEntry[] = [
    { bugAddr: nip, file: "arch/powerpc/mm/pgtable.c", line: 333, flags: 0 },
  ];
  const task = {
    cpu: 0,
    pid: 1,
    comm: "swapper/0",
    version: "#1 SMP Tue Dec 27 12:00:00 UTC 2022",
    hardwareName: "IBM PowerNV (emulated by qemu) POWER9 0x4e1200 opal:v7.0 PowerNV",
  };
  let taint = 0;
  const report = __reportBug([bugTable], nip, () => {
    throw new Error("a BUG must not build a WARNING");
  });
  assert.equal(report.type, "bug");
  log.printLines(report.lines);
  log.printLines(
    __die("Exception in kernel mode", regs, 5, {
      config: {
        littleEndian: true,
        pageSize: 65536,
        mmu: "radix",
        preempt: false,
        smp: true,
        nrCpus: 2048,
        debugPagealloc: false,
        numa: true,
        machineName: "PowerNV",
      },
      modules: [],
      dieCounter: 1,
      taint,
      release: RELEASE,
      kallsyms,
      task,
      frames,
      readInstruction: text,
    }),
  );
  taint = addTaint(taint, TAINT_DIE);
  log.printLines(oopsEndLines());
  now += 1_000_000_000n; // oops_end's mdelay(1000) for init
  log.printLines(panic("Attempted to kill init! exitcode=0x00000005", { taint, panicTimeout: 0 }));
  return { log, dmesg: log.lines() };
}

describe("the seed oops", () => {
  const { dmesg } = renderSeedOops();

  it("shows every line of the commit message's oops, in order", () => {
    assertShowsSeedOops(dmesg);
  });

  it("prints the mail's symbol+offset/size parts exactly", () => {
    const symbolic = (l: string) => l.match(/\b[a-z_]+\+0x[0-9a-f]+\/0x[0-9a-f]+/)?.[0];
    const want = mailOopsLines()
      .map(symbolic)
      .filter((s) => s !== undefined);
    const got = dmesg
      .filter((l) => /\] (NIP|LR|\[)/.test(l))
      .map(symbolic)
      .filter((s) => s !== undefined);
    assert.equal(want.length, 11);
    assert.deepEqual(got, want);
  });

  it("has the reconstructed layout of boot-and-oops.md §5.7 around the mail's lines", () => {
    const body = dmesg.map((l) => l.replace(/^\[\s*\d+\.\d{6}\] /, ""));
    const expect = seedOopsLayout(returns.map(([name]) => `${name}\\+0x[0-9a-f]+/0x[0-9a-f]+`));
    assert.equal(body.length, expect.length, body.join("\n"));
    for (const [i, l] of body.entries()) assert.match(l, expect[i]!, `line ${i}`);
  });

  it("stamps the panic about one second after the end of the oops", () => {
    const ts = dmesg.map((l) => l.slice(0, 14));
    assert.equal(ts[0], "[    1.234567]");
    assert.equal(ts.at(-3), "[    1.234567]");
    assert.equal(ts.at(-2), "[    2.234567]");
  });
});

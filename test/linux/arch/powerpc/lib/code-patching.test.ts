// patch_instruction and the per-CPU patching contexts on a booted kernel.
// Expected values come from the kernel's behaviour as code-patching.md and
// mm-primitives.md describe it (§ numbers below), the Power ISA, and GNU
// binutils for the prefixed encoding — never from the code under test.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type BootRequest, createKernel, runBoot } from "../../../../../src/api/boot.ts";
import { disassembleInst } from "../../../../../src/isa/powerpc/disasm.ts";
import { type PpcInst, ppcInst, ppcInstPrefix } from "../../../../../src/isa/powerpc/inst.ts";
import { moduleAlloc } from "../../../../../src/linux/arch/powerpc/kernel/module.ts";
import { rawPatchInstruction } from "../../../../../src/linux/arch/powerpc/lib/code-patching.ts";
import {
  patchContext,
  patchingOps,
} from "../../../../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import { setMemoryRox } from "../../../../../src/linux/arch/powerpc/mm/pageattr.ts";
import type { Kernel } from "../../../../../src/linux/core/kernel.ts";
import { imageSymbol } from "../../../../../src/linux/image/build.ts";
import { cpuDown, cpuUp } from "../../../../../src/linux/kernel/cpu.ts";
import { frameAllocator } from "../../../../../src/linux/mm/page_alloc.ts";
import { vmAreas } from "../../../../../src/linux/mm/vmalloc.ts";
import { DefaultChoices } from "../../../../../src/machine/choices/default.ts";
import { FailSiteChoices } from "../../../../../src/machine/choices/fail-site.ts";
import { RandomChoices } from "../../../../../src/machine/choices/random.ts";
import { OpKind } from "../../../../../src/machine/ops.ts";
import { ifetch, isync, st } from "../../../../../src/machine/task-ops.ts";
import { VARIANT_274D842FA1EF } from "../../../../../src/variants/code-patching/274d842fa1ef.ts";
import { VARIANT_C28C15B6D28A } from "../../../../../src/variants/code-patching/c28c15b6d28a.ts";
import {
  bootKernel,
  dmesgLines,
  PAGE_OFFSET,
  radixSlot,
  runOn,
  setChoices,
  spawnOn,
} from "../../../helpers/run-kernel.ts";

/** Linux errno values (include/uapi/asm-generic/errno-base.h). */
const EPERM = 1;
const ENOMEM = 12;
const ERANGE = 34;
/** init_mm's Radix PID, the "guard PID" PIDR holds outside a patch (code-patching.md §7 step 10). */
const GUARD_PID = 1;
/** Top-level index bits of the Linux Radix tree, 4K and 64K pages (radix-4k.h / radix-64k.h). */
const PGD_INDEX_BITS = 13;
/** Quadrant 0 ends here: the alias is a user-quadrant address (code-patching.md §5.2). */
const Q1 = 0x4000_0000_0000_0000n;
const NOP = 0x6000_0000;
const TRAP = 0x7fe0_0008;

const pa = (va: bigint) => Number(va - PAGE_OFFSET);
const ea52 = (va: bigint) => Number(va & 0x000f_ffff_ffff_ffffn);

/** A word-aligned address inside kernel text (a modelled function's body). */
function textAddr(k: Kernel, name = "do_one_initcall", offset = 0x40n): bigint {
  const sym = imageSymbol(k, name);
  assert.ok(sym !== undefined, name);
  return sym.address + offset;
}

function patch(k: Kernel, cpu: number, addr: bigint, instr: PpcInst): number {
  return runOn(k, cpu, (c) => patchingOps(k).patchInstruction(c, addr, instr));
}

/** Every TLB entry, on any CPU, for (pid, page of va). */
function tlbHolders(k: Kernel, pid: number, va: bigint): number[] {
  const page = ea52(va) - (ea52(va) % k.config.pageSize);
  return k.machine.cpus
    .filter((cpu) => (cpu.tlb?.entries() ?? []).some((e) => e.pid === pid && e.ea === page))
    .map((cpu) => cpu.id);
}

const RADIX: BootRequest[] = [
  { cpus: 2, mmu: "radix" },
  { cpus: 2, mmu: "radix", sets: ["CONFIG_PPC_64K_PAGES=n", "CONFIG_PPC_4K_PAGES=y"] },
];

describe("patch_instruction, temporary-mm path (980411a4d1bb, Radix SMP)", () => {
  for (const req of RADIX) {
    it(`${req.sets ? "4K" : "64K"} pages: writes the word, then the alias PTE is clear and no TLB holds (patching PID, alias)`, () => {
      const k = bootKernel(req);
      assert.equal(k.config.pageShift, req.sets ? 12 : 16);
      const at = textAddr(k);
      assert.equal(patch(k, 0, at, ppcInst(TRAP)), 0);
      assert.equal(k.machine.mem.read32(pa(at)), TRAP);
      const ctx = patchContext(k, 0);
      assert.ok(ctx.mm !== null && ctx.addr > 0n && ctx.addr < Q1, "a private mm, a user address");
      // The PTE slot of the alias, through the patching mm's tables (§7 step 11: cleared).
      const slot = radixSlot(k.machine.mem, ctx.mm.pgd, PGD_INDEX_BITS, ctx.addr);
      assert.ok(slot !== null);
      assert.equal(slot.shift, k.config.pageShift, "the walk reached the PTE level (tables kept)");
      assert.equal(slot.value, 0n);
      // §7 step 12: the local tlbiel removed the alias translation.
      assert.deepEqual(tlbHolders(k, ctx.mm.context.id, ctx.addr), []);
    });
  }

  it("while both CPUs patch, no CPU's TLB ever holds another CPU's patching PID, and PIDR returns to the guard PID", () => {
    for (const seed of [1, 2, 3, 4]) {
      const k = bootKernel({ cpus: 2 });
      const pids = [0, 1].map((cpu) => patchContext(k, cpu).mm!.context.id);
      assert.notEqual(pids[0], pids[1]);
      assert.ok(!pids.includes(GUARD_PID));
      const bad: string[] = [];
      let sawPatchingPid = false;
      const unhook = k.machine.addStepHook((m) => {
        for (const cpu of m.cpus) {
          if (cpu.pidr === pids[cpu.id]) sawPatchingPid = true;
          else if (cpu.pidr !== GUARD_PID) bad.push(`CPU ${cpu.id} PIDR ${cpu.pidr}`);
          for (const e of cpu.tlb?.entries() ?? []) {
            const owner = pids.indexOf(e.pid);
            if (owner >= 0 && owner !== cpu.id) bad.push(`CPU ${cpu.id} holds PID ${e.pid}`);
          }
        }
      });
      for (const cpu of [0, 1]) {
        spawnOn(k, cpu, function* (c) {
          for (let i = 0; i < 3; i++) {
            const at = textAddr(k, "do_one_initcall", BigInt(0x40 + 0x10 * cpu + 4 * i));
            assert.equal(yield* patchingOps(k).patchInstruction(c, at, ppcInst(NOP)), 0);
          }
        });
      }
      assert.equal(k.machine.run(new RandomChoices(seed), { maxSteps: 1_000_000 }).status, "done");
      unhook();
      assert.deepEqual(bad, [], `seed ${seed}`);
      assert.ok(sawPatchingPid, "the patching PID was loaded during the patch");
      for (const cpu of k.machine.cpus) assert.equal(cpu.pidr, GUARD_PID);
    }
  });

  it("another CPU that fetched the old word executes the new one after its isync; before it, its icache line is marked stale (ISA: either word may be fetched)", () => {
    const k = bootKernel({ cpus: 2 });
    const at = textAddr(k);
    const old = k.machine.mem.read32(pa(at));
    assert.notEqual(old, TRAP);
    const first = runOn(k, 1, (c) => ifetch(k.machine, c.cpu, at));
    assert.equal(first, old);
    assert.equal(patch(k, 0, at, ppcInst(TRAP)), 0);
    const ic = k.machine.icacheOf(k.machine.cpu(1));
    const cached = ic.peek32(pa(at));
    assert.ok(cached !== null);
    assert.equal(cached.stale, true, "icbi from CPU 0 reached CPU 1's icache");
    const before = runOn(k, 1, (c) => ifetch(k.machine, c.cpu, at));
    assert.ok(before === old || before === TRAP);
    const after = runOn(k, 1, function* (c) {
      yield* isync(k.machine, c.cpu);
      return yield* ifetch(k.machine, c.cpu, at);
    });
    assert.equal(after, TRAP);
  });

  it("a prefixed instruction is written with one 8-byte store through the alias, prefix word first, and decodes as objdump decodes it", () => {
    const as = onPath("powerpc64le-linux-gnu-as");
    const objdump = onPath("powerpc64le-linux-gnu-objdump");
    const dir = mkdtempSync(join(tmpdir(), "textpoke-pfx-"));
    writeFileSync(join(dir, "p.s"), "\t.text\n\tpli 3,0x12345\n");
    execFileSync(as, ["-mpower10", "-o", join(dir, "p.o"), join(dir, "p.s")]);
    const dump = execFileSync(objdump, ["-d", "-Mpower10", join(dir, "p.o")], { encoding: "utf8" });
    const line = /^\s*0:\s+((?:[0-9a-f]{2} ){4})\s*(\S.*)$/m.exec(dump);
    const line2 = /^\s*4:\s+((?:[0-9a-f]{2} ){4})/m.exec(dump);
    assert.ok(line && line2, dump);
    const le = (s: string) => Buffer.from(s.replace(/ /g, ""), "hex").readUInt32LE(0);
    const prefix = le(line[1]!);
    const suffix = le(line2[1]!);
    const text = line[2]!.replace(/\s+/g, " ").trim();
    assert.equal(prefix >>> 26, 1, "objdump's first word is the prefix");

    const k = bootKernel({ cpus: 2 });
    // A prefixed instruction must not cross a 64-byte boundary: take one.
    const sym = imageSymbol(k, "do_one_initcall")!;
    const at = (sym.address + 0x7fn) & ~0x3fn;
    const stores: { ea: bigint; size: number }[] = [];
    const unhook = k.machine.addStepHook((_m, cpu, next) => {
      if (next === OpKind.STORE && cpu.pending.ea < Q1)
        stores.push({ ea: cpu.pending.ea, size: cpu.pending.size });
    });
    assert.equal(patch(k, 0, at, ppcInstPrefix(prefix, suffix)), 0);
    unhook();
    const alias = patchContext(k, 0).addr + (at & BigInt(k.config.pageSize - 1));
    assert.deepEqual(stores, [{ ea: alias, size: 8 }]);
    assert.equal(k.machine.mem.read32(pa(at)), prefix);
    assert.equal(k.machine.mem.read32(pa(at) + 4), suffix);
    const inst = ppcInstPrefix(k.machine.mem.read32(pa(at)), k.machine.mem.read32(pa(at) + 4));
    assert.equal(disassembleInst(inst, at).replace(/\s+/g, " ").trim(), text);
  });

  it("module text (module_alloc, then read-only+exec): get_patch_pfn resolves it through vmalloc_to_pfn and the word lands in the page that backs it", () => {
    const k = bootKernel({ cpus: 2 });
    const page = runOn(k, 0, function* (c) {
      const p = yield* moduleAlloc(c, k.config.pageSize);
      assert.ok(p !== null);
      assert.equal(yield* setMemoryRox(c, p, 1), 0);
      return p;
    });
    const at = page + 0x100n;
    // Read-only now: a plain store faults (§3.3); only the alias can write it.
    const direct = runOn(k, 0, (c) => st(k.machine, c.cpu, at, 4, BigInt(TRAP)));
    assert.notEqual(direct, null);
    assert.equal(patch(k, 1, at, ppcInst(TRAP)), 0);
    // The page that backs `page`, from init_mm's tables (PID 0's tree), not the linear map.
    const slot = radixSlot(k.machine.mem, kernelRoot(k), PGD_INDEX_BITS, page);
    assert.ok(slot !== null && slot.shift === k.config.pageShift);
    const backing = Number(slot.value & 0x01ff_ffff_ffff_f000n);
    assert.equal(backing, vmAreas({ k }).find((a) => a.addr === page)?.pages[0]);
    assert.equal(k.machine.mem.read32(backing + 0x100), TRAP);
    // The linear-map reading of the address (__pa) would be another page altogether.
    assert.notEqual(pa(page) & ~(k.config.pageSize - 1), backing);
  });
});

describe("patch_instruction error returns", () => {
  it("-EPERM: raw_patch_instruction onto kernel text after mark_rodata_ro (the store faults), nothing written", () => {
    const k = bootKernel({ cpus: 2 });
    const at = textAddr(k);
    const old = k.machine.mem.read32(pa(at));
    const ret = runOn(k, 0, (c) => rawPatchInstruction(c, at, ppcInst(TRAP)));
    assert.equal(ret, -EPERM);
    assert.equal(k.machine.mem.read32(pa(at)), old);
  });

  it("-ERANGE: patch_branch to a target 32 MiB away writes nothing", () => {
    const k = bootKernel({ cpus: 2 });
    const at = textAddr(k);
    const old = k.machine.mem.read32(pa(at));
    // Through the table, as callers reach it (a variant may replace it).
    const ret = runOn(k, 0, (c) => patchingOps(k).patchBranch(c, at, at + 0x200_0000n, 0));
    assert.equal(ret, -ERANGE);
    assert.equal(k.machine.mem.read32(pa(at)), old);
    // In range (+32 MiB - 4) it patches `b` (opcode 18) with LI = 0x1FFFFFC.
    assert.equal(
      runOn(k, 0, (c) => patchingOps(k).patchBranch(c, at, at + 0x1ff_fffcn, 0)),
      0,
    );
    assert.equal(k.machine.mem.read32(pa(at)), 0x49ff_fffc);
  });

  it("-ENOMEM from get_locked_pte cannot happen at patch time: the tables exist since CPU-up, so no allocation is even attempted", () => {
    for (const site of ["pud_alloc", "pmd_alloc", "pte_alloc"]) {
      const k = bootKernel({ cpus: 2 });
      const fail = new FailSiteChoices(k.choices, site, { count: Number.POSITIVE_INFINITY });
      setChoices(k, fail);
      assert.equal(patch(k, 0, textAddr(k), ppcInst(NOP)), 0);
      assert.equal(fail.seen, 0, `${site}: no allocation at patch time`);
    }
  });
});

describe("CPU-up error paths of the patching context", () => {
  /** Boot, take CPU 1 down, arm a failure at `site`, bring CPU 1 up again. */
  function upWithFailure(req: BootRequest, site: string) {
    const k = bootKernel(req);
    assert.equal(
      runOn(k, 0, (c) => cpuDown(c, 1)),
      0,
    );
    const before = dmesgLines(k).length;
    const fail = new FailSiteChoices(k.choices, site);
    setChoices(k, fail);
    const ret = runOn(k, 0, (c) => cpuUp(c, 1));
    return { k, ret, fail, log: dmesgLines(k).slice(before) };
  }

  it("mm_alloc fails: WARN_ON in text_area_cpu_up_mm and -ENOMEM", () => {
    const { ret, fail, log } = upWithFailure({ cpus: 2 }, "mm_alloc");
    assert.equal(fail.failed, 1);
    assert.equal(ret, -ENOMEM);
    assert.ok(
      log.some((l) =>
        /^WARNING: CPU: \d+ PID: \d+ at arch\/powerpc\/lib\/code-patching\.c:\d+ text_area_cpu_up_mm\+0x/.test(
          l,
        ),
      ),
      log.join("\n"),
    );
  });

  it("get_locked_pte fails (its PUD table): put_patching_mm, no WARN, -ENOMEM", () => {
    const { k, ret, fail, log } = upWithFailure({ cpus: 2 }, "pud_alloc");
    assert.equal(fail.failed, 1);
    assert.equal(ret, -ENOMEM);
    assert.ok(!log.some((l) => l.startsWith("WARNING:")), log.join("\n"));
    assert.equal(patchContext(k, 1).mm, null);
  });

  it("get_vm_area fails on the vmalloc path: WARN_ONCE 'Failed to create text area for cpu 1' and -1, once only", () => {
    const { k, ret, log } = upWithFailure(
      { cpus: 2, variant: VARIANT_274D842FA1EF },
      "get_vm_area",
    );
    assert.equal(ret, -1);
    assert.ok(log.includes("Failed to create text area for cpu 1"), log.join("\n"));
    assert.ok(
      log.some((l) => /^WARNING: .* text_area_cpu_up\+0x/.test(l)),
      log.join("\n"),
    );
    // WARN_ONCE: a second failure returns -1 silently.
    const again = dmesgLines(k).length;
    setChoices(k, new FailSiteChoices(new DefaultChoices(), "get_vm_area"));
    assert.equal(
      runOn(k, 0, (c) => cpuUp(c, 1)),
      -1,
    );
    assert.ok(
      !dmesgLines(k)
        .slice(again)
        .some((l) => l.startsWith("WARNING:")),
    );
  });
});

describe("code-patching.c's WARN lines, where each version's file has them", () => {
  // An allocation failing for the boot CPU's patching alias (mm_alloc on the
  // temporary-mm path, get_vm_area on the vmalloc path) WARNs in the CPU-up
  // callback; cpuhp_setup_state then fails, so poking_init WARNs too. Lines
  // from the file at each commit (torvalds/linux): 980411a4d1bb 156 and 222;
  // c28c15b6d28a 147 and 211; 274d842fa1ef (unchanged since 071c95c1acbd)
  // 58 and 92.
  for (const [variant, site, cpuUpFn, cpuUpLine, pokingLine] of [
    [undefined, "mm_alloc", "text_area_cpu_up_mm", 156, 222],
    [VARIANT_C28C15B6D28A, "mm_alloc", "text_area_cpu_up_mm", 147, 211],
    [VARIANT_274D842FA1EF, "get_vm_area", "text_area_cpu_up", 58, 92],
  ] as const) {
    it(`${variant?.commit ?? "980411a4d1bb"}: ${cpuUpFn} at :${cpuUpLine}, poking_init at :${pokingLine}`, () => {
      const k = createKernel({ cpus: 2, ...(variant ? { variant } : {}) });
      const fail = new FailSiteChoices(k.choices, site);
      setChoices(k, fail);
      const dmesg = runBoot(k).dmesg;
      assert.equal(fail.failed, 1);
      const warnings = [...dmesg.matchAll(/WARNING: CPU: 0 PID: \d+ at (\S+) (\w+)\+0x/g)].map(
        (m) => `${m[2]} ${m[1]}`,
      );
      assert.deepEqual(warnings, [
        `${cpuUpFn} arch/powerpc/lib/code-patching.c:${cpuUpLine}`,
        `poking_init arch/powerpc/lib/code-patching.c:${pokingLine}`,
      ]);
    });
  }
});

describe("historical variants", () => {
  it("c28c15b6d28a with DEBUG_VM: the first alias patch hits 'kernel BUG at arch/powerpc/mm/pgtable.c:333!'", () => {
    const r = runBoot(
      createKernel({ cpus: 2, variant: VARIANT_C28C15B6D28A, sets: ["CONFIG_DEBUG_VM=y"] }),
    );
    assert.equal(r.exitCode, 1);
    assert.match(r.dmesg, /\] kernel BUG at arch\/powerpc\/mm\/pgtable\.c:333!\n/);
  });

  it("c28c15b6d28a without DEBUG_VM patches correctly and leaves no alias translation", () => {
    const k = bootKernel({ cpus: 2, variant: VARIANT_C28C15B6D28A, sets: ["CONFIG_DEBUG_VM=n"] });
    const at = textAddr(k);
    assert.equal(patch(k, 0, at, ppcInst(TRAP)), 0);
    assert.equal(k.machine.mem.read32(pa(at)), TRAP);
    const ctx = patchContext(k, 0);
    const slot = radixSlot(k.machine.mem, ctx.mm!.pgd, PGD_INDEX_BITS, ctx.addr);
    assert.equal(slot?.value, 0n);
    assert.deepEqual(tlbHolders(k, ctx.mm!.context.id, ctx.addr), []);
  });

  it("274d842fa1ef (vmalloc alias on Radix) patches correctly; afterwards the alias PTE in init_mm is clear and no TLB maps it", () => {
    const k = bootKernel({ cpus: 2, variant: VARIANT_274D842FA1EF });
    const at = textAddr(k);
    assert.equal(patch(k, 1, at, ppcInst(TRAP)), 0);
    assert.equal(k.machine.mem.read32(pa(at)), TRAP);
    const alias = patchContext(k, 1).area!.addr;
    const slot = radixSlot(k.machine.mem, kernelRoot(k), PGD_INDEX_BITS, alias);
    assert.equal(slot?.value, 0n);
    assert.deepEqual(tlbHolders(k, 0, alias), []);
  });

  it("Hash MMU (vmalloc path): patches correctly and no TLB keeps the alias", () => {
    const k = bootKernel({ cpus: 2, mmu: "hash" });
    for (const name of ["do_one_initcall", "kernel_init"]) {
      const at = textAddr(k, name);
      assert.equal(patch(k, 0, at, ppcInst(TRAP)), 0);
      assert.equal(k.machine.mem.read32(pa(at)), TRAP, name);
      assert.deepEqual(tlbHolders(k, 0, patchContext(k, 0).addr), []);
    }
  });
});

describe("CPU down/up leaks only what put_patching_mm leaks", () => {
  it("each cycle of the temp-mm path keeps exactly the alias's gathered PUD, PMD and PTE tables and the gather's batch page (code-patching.md §5.3)", () => {
    const k = bootKernel({ cpus: 2 });
    const frames = frameAllocator(k);
    const snapshot = () => new Map([...frames.perSite].map(([s, c]) => [s, c.liveFrames]));
    const expected = new Map([
      ["pud_alloc", 1],
      ["pmd_alloc", 1],
      ["pte_alloc", 1],
      ["mmu_gather_batch", 1],
    ]);
    for (let cycle = 1; cycle <= 3; cycle++) {
      const before = snapshot();
      runOn(k, 0, function* (c) {
        assert.equal(yield* cpuDown(c, 1), 0);
        assert.equal(yield* cpuUp(c, 1), 0);
      });
      const after = snapshot();
      const delta = new Map<string, number>();
      for (const site of new Set([...before.keys(), ...after.keys()])) {
        // The test's own kernel thread (runOn) takes a stack each time.
        if (site === "thread_stack") continue;
        const d = (after.get(site) ?? 0) - (before.get(site) ?? 0);
        if (d !== 0) delta.set(site, d);
      }
      assert.deepEqual(delta, expected, `cycle ${cycle}`);
    }
  });
});

/** PID 0's (init_mm's) Radix root, from the process table entry 0 (PRTB0: RTS | RPDB | RPDS). */
function kernelRoot(k: Kernel): number {
  const cpu = k.machine.cpu(0);
  // PTCR → the partition table; PID 0's process-table entry's first doubleword.
  const patb = Number(cpu.ptcr & 0x0fff_ffff_ffff_f000n);
  const prtb = Number(k.machine.mem.readBe64(patb + 8) & 0x0fff_ffff_ffff_f000n);
  const prtb0 = k.machine.mem.readBe64(prtb);
  return Number(prtb0 & 0x0fff_ffff_ffff_ff00n);
}

function onPath(tool: string): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = join(dir, tool);
    try {
      readFileSync(p);
      return p;
    } catch {}
  }
  assert.fail(`${tool} not found on PATH (install binutils-powerpc64le-linux-gnu)`);
}

// The bench's "machine operations alone" baseline must replay what a real
// patch does to the machine, or its rate would bound nothing. Expected facts
// come from the temporary-mm patch sequence of code-patching.md §7 (map the
// alias PTE, switch to the patching PID, store through the alias, icbi the
// text address, switch back to the guard PID, clear the PTE, tlbiel).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordPatchMachineOps, replayMachineOps } from "../../bench/patch-machine-ops.ts";
import { patchContext } from "../../src/linux/arch/powerpc/lib/code-patching-ops.ts";
import { imageSymbol } from "../../src/linux/image/build.ts";
import { bootKernel, PAGE_OFFSET } from "../linux/helpers/run-kernel.ts";

/** init_mm's Radix PID, which PIDR holds outside a patch (code-patching.md §7 step 10). */
const GUARD_PID = 1;
const NOP = 0x6000_0000;
const TRAP = 0x7fe0_0008;

function setup() {
  const k = bootKernel({ cpus: 2 });
  const sym = imageSymbol(k, "do_one_initcall");
  assert.ok(sym !== undefined);
  const at = sym.address + 0x40n;
  return { k, at, ops: recordPatchMachineOps(k, at) };
}

describe("bench: the machine operations of one patch_instruction", () => {
  it("are recorded in the order the temporary-mm path performs them", () => {
    const { k, at, ops } = setup();
    const ctx = patchContext(k, 0);
    assert.ok(ctx.mm !== null);
    const pageMask = BigInt(k.config.pageSize - 1);
    const alias = ctx.addr + (at & pageMask);
    const names: string[] = ops.map((o) => (o.kind === "method" ? o.name : o.kind));
    const first = (name: string, from = 0) => names.indexOf(name, from);

    const pidSwitches = ops.flatMap((o) =>
      o.kind === "method" && o.name === "setPidr" ? [o.args[1]] : [],
    );
    assert.deepEqual(pidSwitches, [ctx.mm.context.id, GUARD_PID]);
    const stores = ops.flatMap((o) => (o.kind === "store" ? [o.ea] : []));
    assert.equal(
      stores.length,
      2,
      "the value spilled to the stack, then the store through the alias",
    );
    assert.equal(stores[1], alias);
    const icbis = ops.flatMap((o) => (o.kind === "icbi" ? [o.ea] : []));
    assert.deepEqual(icbis, [at], "icbi of the text address, not the alias");
    const ptes = ops.flatMap((o) =>
      o.kind === "method" && o.name === "storePte" ? [o.args as [unknown, number, bigint]] : [],
    );
    assert.equal(ptes.length, 2);
    assert.equal(ptes[0]![1], ptes[1]![1], "the PTE set is the PTE cleared");
    assert.notEqual(ptes[0]![2], 0n);
    assert.equal(ptes[1]![2], 0n);

    // PTE set < switch in < alias store < icbi < switch out < clear < tlbiel.
    const setPte = first("storePte");
    const switchIn = first("setPidr");
    const aliasStore = names.indexOf("store", names.indexOf("store") + 1);
    const icbi = first("icbi");
    const switchOut = first("setPidr", switchIn + 1);
    const clear = first("storePte", setPte + 1);
    const tlbiel = first("tlbiel");
    const order = [setPte, switchIn, aliasStore, icbi, switchOut, clear, tlbiel];
    assert.ok(
      order.every((x) => x >= 0),
      names.join(","),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      names.join(","),
    );
    assert.ok(first("loadPte") < setPte, "get_locked_pte reads the tables first");
  });

  it("replayed, write each word to the text and leave no alias translation and the guard PID", () => {
    const { k, at, ops } = setup();
    const ctx = patchContext(k, 0);
    const pid = ctx.mm!.context.id;
    const pa = Number(at - PAGE_OFFSET);
    const cpu = k.machine.cpu(0);
    // The words are stored in turn: the last of `times` replays stores words[(times - 1) % n].
    for (const [words, times, last] of [
      [[TRAP], 1, TRAP],
      [[NOP, TRAP], 3, NOP],
      [[NOP, TRAP], 2, TRAP],
    ] as const) {
      replayMachineOps(k.machine, ops, words, times);
      assert.equal(k.machine.mem.read32(pa), last);
      assert.equal(cpu.pidr, GUARD_PID);
      assert.deepEqual(
        (cpu.tlb?.entries() ?? []).filter((e) => e.pid === pid),
        [],
        "the replayed tlbiel removed the alias translation",
      );
    }
  });
});

// The configuration line of __die(), arch/powerpc/kernel/traps.c (v6.2), as
// boot-and-oops.md §5.2 (reference) composes it; the seed's line is
// "LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA PowerNV".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DieConfig,
  dieConfigLine,
  oopsEndLines,
} from "../../../../../src/linux/arch/powerpc/kernel/traps.ts";

const seed: DieConfig = {
  littleEndian: true,
  pageSize: 65536,
  mmu: "radix",
  preempt: false,
  smp: true,
  nrCpus: 2048,
  debugPagealloc: false,
  numa: true,
  machineName: "PowerNV",
};

describe("__die configuration line", () => {
  it("matches the seed's configuration", () => {
    assert.equal(dieConfigLine(seed), "LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA PowerNV");
  });
  it("4K pages, hash MMU, no SMP, no NUMA", () => {
    assert.equal(
      dieConfigLine({
        ...seed,
        pageSize: 4096,
        mmu: "hash",
        smp: false,
        numa: false,
        machineName: "pSeries",
      }),
      "LE PAGE_SIZE=4K MMU=Hash pSeries",
    );
  });
  it("big-endian, PREEMPT, DEBUG_PAGEALLOC, no MMU string", () => {
    assert.equal(
      dieConfigLine({
        ...seed,
        littleEndian: false,
        mmu: "none",
        preempt: true,
        debugPagealloc: true,
        nrCpus: 32,
      }),
      "BE PAGE_SIZE=64K PREEMPT SMP NR_CPUS=32 DEBUG_PAGEALLOC NUMA PowerNV",
    );
  });
  it("keeps the space before an empty machine name, as the format does", () => {
    assert.equal(
      dieConfigLine({ ...seed, machineName: "" }),
      "LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA ",
    );
  });
});

describe("oops_end", () => {
  it("prints the end marker and an empty line", () => {
    assert.deepEqual(
      oopsEndLines().map((l) => l.text),
      ["---[ end trace 0000000000000000 ]---", ""],
    );
  });
});

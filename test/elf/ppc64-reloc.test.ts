// ELFv2 ABI facts: st_other local-entry encoding (64-bit ELF V2 ABI §3.4.1,
// "Symbol Values": values 2..6 encode 4 << (value - 2) bytes) and R_PPC64 names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ppc64LocalEntryField,
  ppc64LocalEntryOffset,
  ppc64RelocName,
  R_PPC64,
} from "../../src/elf/ppc64-reloc.ts";

describe("ELFv2 local entry in st_other", () => {
  it("decodes bits 5-7 to the byte distance between global and local entry", () => {
    const expected = [0, 0, 4, 8, 16, 32, 64];
    expected.forEach((bytes, field) => {
      // Low bits (visibility) must not disturb the decode.
      assert.equal(ppc64LocalEntryOffset((field << 5) | 2), bytes, `field ${field}`);
      assert.equal(ppc64LocalEntryField((field << 5) | 3), field);
    });
  });
});

describe("R_PPC64 relocation numbers (binutils include/elf/ppc64.h, ELFv2 ABI)", () => {
  it("names the types GCC output uses", () => {
    const known: [number, string][] = [
      [10, "R_PPC64_REL24"],
      [26, "R_PPC64_REL32"],
      [38, "R_PPC64_ADDR64"],
      [48, "R_PPC64_TOC16_LO"],
      [50, "R_PPC64_TOC16_HA"],
      [4, "R_PPC64_ADDR16_LO"],
      [6, "R_PPC64_ADDR16_HA"],
      [116, "R_PPC64_REL24_NOTOC"],
      [132, "R_PPC64_PCREL34"],
      [250, "R_PPC64_REL16_LO"],
      [252, "R_PPC64_REL16_HA"],
      [22, "R_PPC64_RELATIVE"],
    ];
    for (const [n, name] of known) assert.equal(ppc64RelocName(n), name);
    assert.equal(R_PPC64.ADDR64, 38);
    assert.equal(ppc64RelocName(18), "R_PPC64_18?");
  });
});

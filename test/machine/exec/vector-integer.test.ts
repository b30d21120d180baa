// The integer vector arithmetic of vector-integer.ts against qemu-ppc64le 7.2,
// on random, edge-byte and edge-element (0, 1, −1, min, max) registers; the
// saturating forms are also compared on VSCR[SAT].
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Case, differences, makeCases, type Template } from "./vector-harness.ts";

const three =
  (m: string): Template =>
  () =>
    `${m} 5,2,3`;
const four =
  (m: string): Template =>
  () =>
    `${m} 5,2,3,4`;
const one =
  (m: string): Template =>
  () =>
    `${m} 5,3`;

const BHW = ["b", "h", "w"];
const TEMPLATES: Template[] = [
  ...BHW.flatMap((e) => [`vupkhs${e}`, `vupkls${e}`].map(one)),
  one("vupkhpx"),
  one("vupklpx"),
  ...BHW.flatMap((e) =>
    [`vaddu${e}s`, `vadds${e}s`, `vsubu${e}s`, `vsubs${e}s`, `vabsdu${e}`].map(three),
  ),
  ...["h", "w", "d"].flatMap((e) => [`vpku${e}us`, `vpks${e}us`, `vpks${e}ss`].map(three)),
  three("vpkpx"),
  ...["vmulhuw", "vmulhsw", "vmulhud", "vmulhsd", "vmuleud", "vmuloud", "vmulesd", "vmulosd"].map(
    three,
  ),
  ...["vsum4ubs", "vsum4sbs", "vsum4shs", "vsum2sws", "vsumsws"].map(three),
  ...[
    "vmsumubm",
    "vmsummbm",
    "vmsumuhm",
    "vmsumuhs",
    "vmsumshm",
    "vmsumshs",
    "vmsumudm",
    "vmsumcud",
    "vmladduhm",
    "vmhaddshs",
    "vmhraddshs",
  ].map(four),
  three("vmrgew"),
  three("vmrgow"),
  ...["vrlwnm", "vrlwmi", "vrldnm", "vrldmi", "vrlqnm", "vrlqmi"].map(three),
  ...["vslv", "vsrv", "vrlq", "vslq", "vsrq", "vsraq"].map(three),
  ...["w", "d", "q"].flatMap((e) =>
    ["u", "s"].flatMap((g) => [`vdiv${g}${e}`, `vmod${g}${e}`, `vdive${g}${e}`].map(three)),
  ),
  ...["vaddcuw", "vsubcuw", "vaddcuq", "vsubcuq"].map(three),
  ...["vaddeuqm", "vaddecuq", "vsubeuqm", "vsubecuq"].map(four),
  ...["vcmpequq", "vcmpgtuq", "vcmpgtsq"].flatMap((m) => [three(m), three(`${m}.`)]),
  (p) => `vcmpuq ${p.below(8)},2,3`,
  (p) => `vcmpsq ${p.below(8)},2,3`,
  one("vextsd2q"),
  one("vmul10uq"),
  one("vmul10cuq"),
  three("vmul10euq"),
  three("vmul10ecuq"),
  ...["vprtybw", "vprtybd", "vprtybq", "vgbbd"].map(one),
  three("vbpermq"),
  three("vbpermd"),
  ...["vpmsumb", "vpmsumh", "vpmsumw", "vpmsumd"].map(three),
  () => "mtvscr 3",
  () => "mfvscr 5",
];

const quad = (b: Uint8Array, at: number): bigint =>
  Buffer.from(b.subarray(at, at + 16)).readBigUInt64LE(8) * 2n ** 64n +
  Buffer.from(b.subarray(at, at + 16)).readBigUInt64LE(0);

/**
 * vdiveuq's result is undefined when the quotient does not fit (A ≥ B), and
 * qemu's long division leaves an implementation artefact there; keep A < B
 * by clearing A's top byte and setting B's (a zero divisor stays possible).
 */
function definedDiveuq(c: Case): Case {
  if (!c.insn.startsWith("vdiveuq")) return c;
  const a = quad(c.vin, 0);
  const b = quad(c.vin, 16);
  if (b === 0n || a < b) return c;
  const vin = Uint8Array.from(c.vin);
  vin[15] = 0;
  vin[31] = 0xff;
  return { ...c, vin };
}

describe("integer vector arithmetic agrees with qemu-ppc64le", () => {
  it("every template on random and edge-valued registers (power10)", () => {
    const cases = makeCases(TEMPLATES, 0x1e6a1, 12).map(definedDiveuq);
    const bad = differences(cases);
    assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} differ`);
  });
});

// Double-precision arithmetic and integer↔float conversions (float-arith.ts)
// against qemu-ppc64le 7.2: FPRs f2..f4 / VSRs vs34..36 hold ordinary
// doubles, integers, halfway cases, out-of-range values, zeros, infinities,
// NaNs and denormals.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Prng } from "../../../src/util/prng.ts";
import { type Case, differences, makeCases, type Template } from "./vector-harness.ts";

const SPECIAL = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  3.5,
  4.5,
  -4.5,
  2147483647.5,
  -2147483648.5,
  2147483648,
  -2147483649,
  4294967295.5,
  4294967296,
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  -(2 ** 64),
  1e300,
  -1e300,
  5e-324,
  -2.2250738585072014e-308,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  1 / 3,
  9007199254740994,
  0.1,
];

function doubleBits(p: Prng): bigint {
  const f = new Float64Array(1);
  const u = new BigUint64Array(f.buffer);
  switch (p.below(5)) {
    case 0:
      f[0] = SPECIAL[p.below(SPECIAL.length)]!;
      return u[0]!;
    case 1:
      f[0] = ((p.nextU32() | 0) * 2 ** p.below(40)) / (p.below(1000) + 1);
      return u[0]!;
    case 2: // a signalling NaN with a payload, either sign
      return (BigInt(p.below(2)) << 63n) | (0x7ffn << 52n) | BigInt(1 + p.below(1 << 20));
    case 3: // any 64-bit integer (for the integer-to-double forms)
      return (BigInt(p.nextU32()) << 32n) | BigInt(p.nextU32());
    default:
      f[0] = (p.nextU32() - 2 ** 31) * (p.below(2) === 0 ? 1 : 2 ** -p.below(30));
      return u[0]!;
  }
}

/** Replace every doubleword of the three source registers with an interesting double. */
function withDoubles(p: Prng): (c: Case) => Case {
  return (c) => {
    const vin = new Uint8Array(48);
    const dv = new DataView(vin.buffer);
    for (let i = 0; i < 6; i++) dv.setBigUint64(8 * i, doubleBits(p), true);
    return { ...c, vin };
  };
}

const TEMPLATES: Template[] = [
  ...["fadd", "fsub", "fdiv"].map((m) => () => `${m} 5,2,3`),
  () => "fmul 5,2,3",
  ...["xsadddp", "xssubdp", "xsmuldp", "xsdivdp"].map((m) => () => `${m} 37,34,35`),
  ...["fcfid", "fcfidu", "fcfids", "fcfidus"].map((m) => () => `${m} 5,3`),
  ...["fctid", "fctidz", "fctidu", "fctiduz", "fctiw", "fctiwz", "fctiwu", "fctiwuz"].map(
    (m) => () => `${m} 5,3`,
  ),
  ...["xscvsxddp", "xscvuxddp", "xscvdpsxds", "xscvdpuxds", "xscvdpsxws", "xscvdpuxws"].map(
    (m) => () => `${m} 37,35`,
  ),
];

describe("floating-point arithmetic and conversions agree with qemu-ppc64le", () => {
  it("every template on special and ordinary doubles (FPSCR[RN] = nearest)", () => {
    const cases = makeCases(TEMPLATES, 0xf10a7, 40).map(withDoubles(new Prng(0xd0b1e)));
    const bad = differences(cases, true);
    assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${cases.length} differ`);
  });
});

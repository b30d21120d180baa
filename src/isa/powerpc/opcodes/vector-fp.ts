/**
 * Vector floating-point (Power ISA v3.1 Book I §6.10): single-precision
 * arithmetic, estimates, rounding, conversions and compares of the VMX
 * facility.
 */
import type { Row } from "./row.ts";
import { va, vc, vx } from "./vector-forms.ts";

/** [mnemonic, XO, operands] of the VX-form floating-point operations. */
const VX_FP: readonly (readonly [string, number, string])[] = [
  ["vaddfp", 10, "vrt,vra,vrb"],
  ["vsubfp", 74, "vrt,vra,vrb"],
  ["vmaxfp", 1034, "vrt,vra,vrb"],
  ["vminfp", 1098, "vrt,vra,vrb"],
  ["vrefp", 266, "vrt,vrb"],
  ["vrsqrtefp", 330, "vrt,vrb"],
  ["vexptefp", 394, "vrt,vrb"],
  ["vlogefp", 458, "vrt,vrb"],
  ["vrfin", 522, "vrt,vrb"],
  ["vrfiz", 586, "vrt,vrb"],
  ["vrfip", 650, "vrt,vrb"],
  ["vrfim", 714, "vrt,vrb"],
  // Fixed ↔ float conversions: UIM (bits 11–15) is the binary point's position.
  ["vcfux", 778, "vrt,vrb,uim_v"],
  ["vcfsx", 842, "vrt,vrb,uim_v"],
  ["vctuxs", 906, "vrt,vrb,uim_v"],
  ["vctsxs", 970, "vrt,vrb,uim_v"],
];

/** [mnemonic, XO] of the floating-point VC-form compares. */
const COMPARES: readonly (readonly [string, number])[] = [
  ["vcmpeqfp", 198],
  ["vcmpgefp", 454],
  ["vcmpgtfp", 710],
  ["vcmpbfp", 966],
];

export function vectorFpRows(): readonly Row[] {
  return [
    ...VX_FP.map(([m, xo, ops]) => vx(m, xo, ops)),
    ...COMPARES.flatMap(([m, xo]) => vc(m, xo)),
    // VA-form fused multiply-add; objdump prints VRC before VRB.
    va("vmaddfp", 46, "vrt,vra,vrc,vrb"),
    va("vnmsubfp", 47, "vrt,vra,vrc,vrb"),
  ];
}

/**
 * Raw instruction-field readers for the interpreter (IBM bit numbering, see
 * shared/reference/isa.md §1). These read fields by position regardless of the
 * decoded entry; `Decoded.operand()` gives the entry's operands as printed.
 */
import { ibmField, signExtend } from "../../util/bits.ts";

/** Primary opcode, bits 0–5. */
export const po = (w: number): number => w >>> 26;
/** RT / RS / FRT / BO / TO / VRT, bits 6–10. */
export const rt = (w: number): number => ibmField(w, 6, 10);
export const rs = rt;
export const bo = rt;
export const to = rt;
/** RA / BI, bits 11–15. */
export const ra = (w: number): number => ibmField(w, 11, 15);
export const bi = ra;
/** RB / SH (M-form), bits 16–20. */
export const rb = (w: number): number => ibmField(w, 16, 20);
/** BF (compare target CR field), bits 6–8. */
export const bf = (w: number): number => ibmField(w, 6, 8);
/** BFA, bits 11–13. */
export const bfa = (w: number): number => ibmField(w, 11, 13);
/** L of compares, bit 10. */
export const cmpL = (w: number): number => ibmField(w, 10, 10);
/** Signed 16-bit immediate (SI, D). */
export const si = (w: number): number => signExtend(w & 0xffff, 16);
export const d = si;
/** Unsigned 16-bit immediate (UI). */
export const ui = (w: number): number => w & 0xffff;
/** DS-form displacement (bits 16–29, value × 4, signed). */
export const ds = (w: number): number => signExtend(w & 0xfffc, 16);
/** DS-form extended opcode, bits 30–31. */
export const dsXo = (w: number): number => w & 3;
/** DQ-form displacement (bits 16–27, value × 16, signed). */
export const dq = (w: number): number => signExtend(w & 0xfff0, 16);
/** I-form LI: signed byte offset (bits 6–29 || 0b00). */
export const li = (w: number): number => signExtend(w & 0x03fffffc, 26);
/** B-form BD: signed byte offset (bits 16–29 || 0b00). */
export const bd = (w: number): number => signExtend(w & 0xfffc, 16);
/** AA, bit 30. */
export const aa = (w: number): number => (w >>> 1) & 1;
/** LK / Rc, bit 31. */
export const lk = (w: number): number => w & 1;
export const rc = lk;
/** OE (XO-form), bit 21. */
export const oe = (w: number): number => ibmField(w, 21, 21);
/** BH (XL-form branches), bits 19–20. */
export const bh = (w: number): number => ibmField(w, 19, 20);
/** X/XL/XFX extended opcode, bits 21–30. */
export const xo10 = (w: number): number => ibmField(w, 21, 30);
/** XO-form extended opcode, bits 22–30. */
export const xo9 = (w: number): number => ibmField(w, 22, 30);
/** M-form SH / MB / ME (bits 16–20, 21–25, 26–30). */
export const sh = rb;
export const mb = (w: number): number => ibmField(w, 21, 25);
export const me = (w: number): number => ibmField(w, 26, 30);
/** MD/MDS/XS-form 6-bit shift: sh[0:4] at bits 16–20, sh[5] at bit 30. */
export const sh6 = (w: number): number => ibmField(w, 16, 20) | ((w << 4) & 0x20);
/** MD/MDS-form 6-bit mb/me: low 5 bits at 21–25, high bit at 26. */
export const mb6 = (w: number): number => ibmField(w, 21, 25) | (w & 0x20);
/** XFX SPR number (the two 5-bit halves of bits 11–20 swapped back). */
export const spr = (w: number): number => ibmField(w, 11, 15) | (ibmField(w, 16, 20) << 5);
/** mtcrf/mfocrf FXM, bits 12–19. */
export const fxm = (w: number): number => ibmField(w, 12, 19);
/** CR bit operands of XL-form CR logic: BT, BA, BB. */
export const bt = rt;
export const ba = ra;
export const bb = rb;
/** isel BC, bits 21–25. */
export const bc = (w: number): number => ibmField(w, 21, 25);
/** tlbie/tlbiel RIC, PRS, R. */
export const ric = (w: number): number => ibmField(w, 12, 13);
export const prs = (w: number): number => ibmField(w, 14, 14);
export const tlbR = (w: number): number => ibmField(w, 15, 15);
/** mtmsrd L (bit 15). */
export const msrL = (w: number): number => ibmField(w, 15, 15);
/** sync L (bits 8–10). */
export const syncL = (w: number): number => ibmField(w, 8, 10);
/** sc LEV (bits 20–26). */
export const lev = (w: number): number => ibmField(w, 20, 26);

/** Prefix type (bits 6–7): 0 8LS, 1 8RR, 2 MLS, 3 MRR/MMIRR. */
export const prefixType = (prefix: number): number => ibmField(prefix, 6, 7);
/** Prefix R bit (bit 11): PC-relative. */
export const prefixR = (prefix: number): number => ibmField(prefix, 11, 11);
/** The 34-bit signed d0||d1 of a prefixed D-form instruction. */
export function d34(prefix: number, suffix: number): number {
  const v = (prefix & 0x3ffff) * 0x10000 + (suffix & 0xffff);
  return v >= 2 ** 33 ? v - 2 ** 34 : v;
}

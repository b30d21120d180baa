/**
 * The block translator: a hot straight-line run of predecoded instructions
 * (a basic block, up to and including its branch) compiled once into one
 * JavaScript function with `new Function`, the way QEMU's TCG translates a
 * block, but to JS. Common integer instructions become inline code on the
 * 32-bit register halves; every other instruction calls its predecoded
 * handler, so the semantics stay exactly those of exec/. A block whose branch
 * returns to its own start loops inside the function.
 *
 * A block is a `Handler` with the same protocol as one instruction (words
 * advanced, or JUMP/LOCAL/CTX/STOP/REVALIDATE), and adds the instructions it
 * executed beyond the first to `x.n`. It runs only when the CPU is not
 * interleaved and not traced, and never past `x.limit` instructions.
 *
 * SIMPLIFICATION: blocks stay within one 4 KiB page.
 */
import { decodeEntry } from "../isa/powerpc/decode.ts";
import type { Entry } from "../isa/powerpc/table.ts";
import { type Handler, JUMP, LOCAL } from "./exec/context.ts";
import { mul64 } from "./exec/flags.ts";
import type { PredecodedPage } from "./predecode.ts";

/** Longest block, in instructions. */
export const MAX_BLOCK = 48;
/** Conditional branches a block may pass on their fall-through path. */
const MAX_SIDE_EXITS = 4;

const RT = (w: number): number => (w >>> 21) & 31;
const RA = (w: number): number => (w >>> 16) & 31;
const RB = (w: number): number => (w >>> 11) & 31;
const SI = (w: number): number => (w << 16) >> 16;

/** Low and high uint32 halves of a sign-extended number, as source literals. */
function halves(v: number): [string, string] {
  const lo = (v >>> 0).toString();
  const hi = v < 0 ? "4294967295" : "0";
  return [lo, hi];
}

/** EA into t32[0..1]: (RA|0) + displacement, or (RA|0) + (RB). */
function eaCode(ra: number, rb: number, disp: number): string {
  let lo: string;
  let hi: string;
  if (rb >= 0) {
    lo = `g32[${2 * rb}]`;
    hi = `g32[${2 * rb + 1}]`;
  } else {
    [lo, hi] = halves(disp);
  }
  if (ra === 0) return `t32[0]=${lo};t32[1]=${hi};`;
  return `{const s=g32[${2 * ra}]+${lo};t32[1]=g32[${2 * ra + 1}]+${hi}+(s>4294967295?1:0);t32[0]=s;}`;
}

/** IBM MASK(b, e) over 64 bits, as [lo, hi] uint32 numbers. */
function mask64(b: number, e: number): [number, number] {
  let lo = 0;
  let hi = 0;
  const set = (i: number): void => {
    // IBM bit i (0 = MSB) is value bit 63 - i.
    const v = 63 - i;
    if (v >= 32) hi |= 1 << (v - 32);
    else lo |= 1 << v;
  };
  if (b <= e) for (let i = b; i <= e; i++) set(i);
  else {
    for (let i = b; i <= 63; i++) set(i);
    for (let i = 0; i <= e; i++) set(i);
  }
  return [lo >>> 0, hi >>> 0];
}

/** Rotate the halves of GPR s left by n into locals rl/rh (source code). */
function rotl64Code(s: number, n: number): string {
  const l = `g32[${2 * s}]`;
  const h = `g32[${2 * s + 1}]`;
  let a = l;
  let b = h;
  if (n >= 32) {
    a = h;
    b = l;
    n -= 32;
  }
  if (n === 0) return `const rl=${a},rh=${b};`;
  return `const ll=${a},hh=${b};const rl=(ll<<${n})|(hh>>>${32 - n}),rh=(hh<<${n})|(ll>>>${32 - n});`;
}

const CR0 = "cpu.cr=((cpu.cr&268435455)|(((v!==0?4:2)|(cpu.xer>>>31))<<28))>>>0;";

/**
 * Inline code for one instruction (it completes and continues), or null when
 * it must run its predecoded handler. `k` is its position in the block, for
 * the fault path (which reports the instructions before it to `x.n`).
 */
function inline(e: Entry, w: number, idx: number, k: number): string | null {
  const rt = RT(w);
  const ra = RA(w);
  const rb = RB(w);
  const T = 2 * rt;
  const A = 2 * ra;
  const B = 2 * rb;
  const rc = (w & 1) !== 0;
  const oe = (w & 0x400) !== 0;
  const fault = `if(r<0){x.n+=${k};return r;}`;
  const mem = `x.idx=${idx};`;
  switch (e.sem) {
    case "addi":
    case "la": {
      const [lo, hi] = halves(SI(w));
      if (ra === 0) return `g32[${T}]=${lo};g32[${T + 1}]=${hi};`;
      return `{const lo=g32[${A}]+${lo};g32[${T + 1}]=g32[${A + 1}]+${hi}+(lo>4294967295?1:0);g32[${T}]=lo;}`;
    }
    case "addis": {
      const [lo, hi] = halves(SI(w) * 65536);
      if (ra === 0) return `g32[${T}]=${lo};g32[${T + 1}]=${hi};`;
      return `{const lo=g32[${A}]+${lo};g32[${T + 1}]=g32[${A + 1}]+${hi}+(lo>4294967295?1:0);g32[${T}]=lo;}`;
    }
    case "add":
      if (rc || oe) return null;
      return `{const lo=g32[${A}]+g32[${B}];g32[${T + 1}]=g32[${A + 1}]+g32[${B + 1}]+(lo>4294967295?1:0);g32[${T}]=lo;}`;
    case "subf":
      if (rc || oe) return null;
      return `{const lo=g32[${B}]-g32[${A}];g32[${T + 1}]=g32[${B + 1}]-g32[${A + 1}]-(lo<0?1:0);g32[${T}]=lo;}`;
    case "neg":
      if (rc || oe) return null;
      return `{const lo=-g32[${A}];g32[${T + 1}]=-g32[${A + 1}]-(lo<0?1:0);g32[${T}]=lo;}`;
    case "or":
      if (rc) return null;
      if (rt === rb) return `g32[${A}]=g32[${T}];g32[${A + 1}]=g32[${T + 1}];`;
      return `{const l=g32[${T}]|g32[${B}],h=g32[${T + 1}]|g32[${B + 1}];g32[${A}]=l;g32[${A + 1}]=h;}`;
    case "and":
    case "xor":
    case "andc":
    case "nor": {
      if (rc) return null;
      const op = (p: string, q: string): string =>
        e.sem === "and"
          ? `${p}&${q}`
          : e.sem === "xor"
            ? `${p}^${q}`
            : e.sem === "andc"
              ? `${p}&~${q}`
              : `~(${p}|${q})`;
      return `{const l=${op(`g32[${T}]`, `g32[${B}]`)},h=${op(`g32[${T + 1}]`, `g32[${B + 1}]`)};g32[${A}]=l;g32[${A + 1}]=h;}`;
    }
    case "ori":
    case "xori":
      return `g32[${A}]=g32[${T}]${e.sem === "ori" ? "|" : "^"}${w & 0xffff};g32[${A + 1}]=g32[${T + 1}];`;
    case "oris":
    case "xoris":
      return `g32[${A}]=g32[${T}]${e.sem === "oris" ? "|" : "^"}${((w & 0xffff) << 16) >>> 0};g32[${A + 1}]=g32[${T + 1}];`;
    case "andi.":
    case "andi":
      return `{const v=g32[${T}]&${w & 0xffff};g32[${A}]=v;g32[${A + 1}]=0;${CR0}}`;
    case "rlwinm":
    case "clrlslwi": {
      if (rc) return null;
      const sh = rb;
      const mb = (w >>> 6) & 31;
      const me = (w >>> 1) & 31;
      const [mlo] = mask64(mb + 32, me + 32);
      const wraps = mb > me;
      const rot = sh === 0 ? `g32[${T}]` : `((g32[${T}]<<${sh})|(g32[${T}]>>>${32 - sh}))`;
      return `{const r=${rot};g32[${A}]=r&${mlo};g32[${A + 1}]=${wraps ? "r" : "0"};}`;
    }
    case "rldicl":
    case "rldicr":
    case "rldic":
    case "extrdi":
    case "extldi":
    case "clrlsldi": {
      if (rc) return null;
      const sh = ((w >>> 11) & 31) | ((w << 4) & 0x20);
      const mbe = ((w >>> 6) & 31) | (w & 0x20);
      const kind = (w >>> 2) & 7;
      const [mlo, mhi] =
        kind === 0 ? mask64(mbe, 63) : kind === 1 ? mask64(0, mbe) : mask64(mbe, 63 - sh);
      return `{${rotl64Code(rt, sh)}g32[${A}]=rl&${mlo};g32[${A + 1}]=rh&${mhi};}`;
    }
    case "extsw":
      if (rc) return null;
      return `{const v=g32[${T}];g32[${A}]=v;g32[${A + 1}]=v>>31;}`;
    case "extsb":
      if (rc) return null;
      return `{const v=(g32[${T}]<<24)>>24;g32[${A}]=v;g32[${A + 1}]=v>>31;}`;
    case "extsh":
      if (rc) return null;
      return `{const v=(g32[${T}]<<16)>>16;g32[${A}]=v;g32[${A + 1}]=v>>31;}`;
    case "mulld":
      if (rc || oe) return null;
      return `mul64(g32[${A}],g32[${A + 1}],g32[${B}],g32[${B + 1}],t32);g32[${T}]=t32[0];g32[${T + 1}]=t32[1];`;
    case "mulli":
      return `g[${rt}]=BigInt.asUintN(64,g[${ra}]*${SI(w)}n);`;
    case "cmp":
    case "cmpl":
    case "cmpi":
    case "cmpli": {
      const bf = (w >>> 23) & 7;
      const l = (w >>> 21) & 1;
      const sh = 28 - 4 * bf;
      const keep = ~(0xf << sh) >>> 0;
      const logical = e.sem === "cmpl" || e.sem === "cmpli";
      const imm = e.sem === "cmpi" || e.sem === "cmpli";
      const v = imm ? (logical ? w & 0xffff : SI(w)) : 0;
      const [vlo, vhi] = halves(v);
      const bl = imm ? vlo : `g32[${B}]`;
      const bh = imm ? vhi : `g32[${B + 1}]`;
      let c: string;
      if (l) {
        c = logical
          ? `const ah=g32[${A + 1}],bh=${bh};let c;if(ah!==bh)c=ah<bh?8:4;else{const al=g32[${A}],bl=${bl};c=al===bl?2:al<bl?8:4;}`
          : `const ah=g32[${A + 1}]|0,bh=(${bh})|0;let c;if(ah!==bh)c=ah<bh?8:4;else{const al=g32[${A}],bl=${bl};c=al===bl?2:al<bl?8:4;}`;
      } else {
        c = logical
          ? `const a=g32[${A}],b=${bl};const c=a===b?2:a<b?8:4;`
          : `const a=g32[${A}]|0,b=(${bl})|0;const c=a===b?2:a<b?8:4;`;
      }
      return `{${c}cpu.cr=((cpu.cr&${keep})|((c|(cpu.xer>>>31))<<${sh}))>>>0;}`;
    }
    case "mtspr":
    case "mfspr": {
      const spr = ((w >>> 16) & 31) | (((w >>> 11) & 31) << 5);
      const index = spr === 8 ? 0 : spr === 9 ? 1 : -1; // LR, CTR
      if (index < 0) return null;
      if (e.sem === "mtspr")
        return `s32[${2 * index}]=g32[${T}];s32[${2 * index + 1}]=g32[${T + 1}];`;
      return `g32[${T}]=s32[${2 * index}];g32[${T + 1}]=s32[${2 * index + 1}];`;
    }
  }
  // Loads and stores (D, DS, X forms).
  const load = LOADS[e.sem];
  if (load !== undefined) {
    const [size, form, ext, update] = load;
    const ea = eaCode(
      ra,
      form === "X" ? rb : -1,
      form === "DS" ? SI(w) & ~3 : form === "D" ? SI(w) : 0,
    );
    const up = update ? `g32[${A}]=t32[0];g32[${A + 1}]=t32[1];` : "";
    // The data-translation cache probed inline; a miss takes the context's full path.
    const probe = `const a=t32[0],pg=a>>>12,i=pg&255,o=a&4095;const d=L.tagLo[i]===pg&&L.tagHi[i]===t32[1]&&L.gen[i]===x.gen&&o<=${4096 - size}?L.view[i]:null;`;
    if (size === 8) {
      return `${mem}${ea}{${probe}if(d!==null){g32[${T}]=d.getUint32(o,true);g32[${T + 1}]=d.getUint32(o+4,true);}else{const r=x.rd64();${fault}g32[${T}]=t32[2];g32[${T + 1}]=t32[3];}${up}}`;
    }
    const rd = size === 1 ? "rd8" : size === 2 ? "rd16" : "rd32";
    const get =
      size === 1 ? "d.getUint8(o)" : size === 2 ? "d.getUint16(o,true)" : "d.getUint32(o,true)";
    const hi = ext === "s" ? (size === 2 ? "(v<<16)>>31" : "(v|0)>>31") : "0";
    const lo = ext === "s" && size === 2 ? "(v<<16)>>16" : "v";
    return `${mem}${ea}{${probe}let v;if(d!==null)v=${get};else{v=x.${rd}();if(v<0){x.n+=${k};return v;}}g32[${T}]=${lo};g32[${T + 1}]=${hi};${up}}`;
  }
  const store = STORES[e.sem];
  if (store !== undefined) {
    const [size, form, update] = store;
    const ea = eaCode(
      ra,
      form === "X" ? rb : -1,
      form === "DS" ? SI(w) & ~3 : form === "D" ? SI(w) : 0,
    );
    const up = update ? `g32[${A}]=t32[0];g32[${A + 1}]=t32[1];` : "";
    // Inline only while no CPU holds a reservation (a store must then clear it).
    const probe = `const a=t32[0],pg=a>>>12,i=pg&255,o=a&4095;const d=S.tagLo[i]===pg&&S.tagHi[i]===t32[1]&&S.gen[i]===x.gen&&o<=${4096 - size}&&m.reservationCount===0?S.view[i]:null;`;
    if (size === 8) {
      return `${mem}${ea}{${probe}if(d!==null){d.setUint32(o,g32[${T}],true);d.setUint32(o+4,g32[${T + 1}],true);}else{t32[2]=g32[${T}];t32[3]=g32[${T + 1}];const r=x.wr64();${fault}}${up}}`;
    }
    const wr = size === 1 ? "wr8" : size === 2 ? "wr16" : "wr32";
    const set =
      size === 1
        ? `d.setUint8(o,g32[${T}])`
        : size === 2
          ? `d.setUint16(o,g32[${T}]&65535,true)`
          : `d.setUint32(o,g32[${T}],true)`;
    const val = size === 2 ? `g32[${T}]&65535` : `g32[${T}]`;
    return `${mem}${ea}{${probe}if(d!==null)${set};else{const r=x.${wr}(${val});${fault}}${up}}`;
  }
  return null;
}

type LoadSpec = readonly [1 | 2 | 4 | 8, "D" | "DS" | "X", "z" | "s", boolean];
const LOADS: Readonly<Record<string, LoadSpec>> = {
  lbz: [1, "D", "z", false],
  lbzu: [1, "D", "z", true],
  lbzx: [1, "X", "z", false],
  lhz: [2, "D", "z", false],
  lhzx: [2, "X", "z", false],
  lha: [2, "D", "s", false],
  lwz: [4, "D", "z", false],
  lwzx: [4, "X", "z", false],
  lwa: [4, "DS", "s", false],
  lwax: [4, "X", "s", false],
  ld: [8, "DS", "z", false],
  ldu: [8, "DS", "z", true],
  ldx: [8, "X", "z", false],
};
type StoreSpec = readonly [1 | 2 | 4 | 8, "D" | "DS" | "X", boolean];
const STORES: Readonly<Record<string, StoreSpec>> = {
  stb: [1, "D", false],
  stbu: [1, "D", true],
  stbx: [1, "X", false],
  sth: [2, "D", false],
  sthx: [2, "X", false],
  stw: [4, "D", false],
  stwx: [4, "X", false],
  stwu: [4, "D", true],
  std: [8, "DS", false],
  stdu: [8, "DS", true],
  stdx: [8, "X", false],
};

/** Branch terminators compiled inline: the taken condition (source) and target. */
interface BranchCode {
  /** Code evaluating to true when taken (may decrement CTR first), or "true". */
  readonly cond: string;
  readonly pre: string;
  /** Same-page target word index, or -1 for the register/absolute targets. */
  readonly local: number;
  /** Code for a taken branch leaving the page (sets npc, returns). */
  readonly far: string;
}

function branchCode(e: Entry, w: number, idx: number): BranchCode | null {
  const lk = (w & 1) !== 0;
  const off = idx * 4;
  const lrSet = lk ? `cpu.spr[0]=x.pageBase+${off + 4}n;` : "";
  if (e.sem === "b") {
    if ((w & 2) !== 0) return null;
    const li = ((w & 0x03ff_fffc) << 6) >> 6;
    const t = off + li;
    const local = t >= 0 && t < 4096 ? t >> 2 : -1;
    return { cond: "true", pre: lrSet, local, far: `x.npc=BigInt.asUintN(64,x.pageBase+${t}n);` };
  }
  const bo = (w >>> 21) & 31;
  const bi = (w >>> 16) & 31;
  let cond: string;
  let pre = lrSet;
  if ((bo & 0x14) === 0x14) cond = "true";
  else if ((bo & 0x14) === 0x4) cond = `((cpu.cr>>>${31 - bi})&1)===${(bo >>> 3) & 1}`;
  else if ((bo & 0x16) === 0x10 || (bo & 0x16) === 0x12) {
    // bdnz / bdz: decrement CTR, test it.
    pre += "{const lo=s32[2];if(lo===0)s32[3]=s32[3]-1;s32[2]=lo-1;}";
    cond = (bo & 2) === 0 ? "(s32[2]|s32[3])!==0" : "(s32[2]|s32[3])===0";
  } else return null;
  if (e.sem === "bc") {
    if ((w & 2) !== 0) return null;
    const bd = ((w << 16) >> 16) & ~3;
    const t = off + bd;
    const local = t >= 0 && t < 4096 ? t >> 2 : -1;
    return { cond, pre, local, far: `x.npc=BigInt.asUintN(64,x.pageBase+${t}n);` };
  }
  if (e.sem === "bclr" && !lk && (bo & 4) !== 0) {
    // blr and its conditional forms: continue at LR & ~3.
    return {
      cond,
      pre,
      local: -2,
      far: "",
    };
  }
  return null;
}

/**
 * Compile the block starting at word `start` of `page` (whose slots are
 * already decoded by `decode`). Returns null when the first instruction
 * could not start a useful block.
 */
export function compileBlock(
  page: PredecodedPage,
  start: number,
  decode: (idx: number) => Handler,
): Handler | null {
  const body: string[] = [];
  const fallbacks: Handler[] = [];
  let idx = start;
  let k = 0;
  let inlined = 0;
  let tail = "";
  let loops = false;
  let sideExits = 0;
  while (k < MAX_BLOCK && idx < 1024) {
    const single = page.singles[idx] ?? decode(idx);
    const w = page.words[idx]!;
    const prefixed = w >>> 26 === 1;
    const e = prefixed ? decodeEntry(w, page.suffixes[idx]!) : decodeEntry(w);
    const isBranch =
      e !== undefined &&
      !e.prefixed &&
      (e.sem === "b" ||
        e.sem === "bc" ||
        e.sem === "bclr" ||
        e.sem === "bcctr" ||
        e.sem === "bctar");
    if (isBranch) {
      const bc = branchCode(e, prefixed ? page.suffixes[idx]! : w, idx);
      if (bc === null) {
        // A branch this translator leaves to its handler ends the block.
        fallbacks.push(single);
        tail = `x.idx=${idx};x.n+=${k};{const r=f[${fallbacks.length - 1}](x);return r>0?${idx - start}+r:r;}`;
        k++;
        break;
      }
      k++;
      const count = k;
      let taken: string;
      if (bc.local === start) {
        loops = true;
        taken = `x.n+=${count};if(x.n+${count}>x.limit){x.n-=1;x.nidx=${start};return ${LOCAL};}continue;`;
      } else if (bc.local >= 0) {
        taken = `x.n+=${count - 1};x.nidx=${bc.local};return ${LOCAL};`;
      } else if (bc.local === -2) {
        taken =
          `x.n+=${count - 1};const lo=s32[0]&~3;` +
          `if(s32[1]===x.pageHi&&((lo&~4095)>>>0)===x.pageLo){x.nidx=(lo&4095)>>>2;return ${LOCAL};}` +
          `x.npc=cpu.spr[0]&~3n;return ${JUMP};`;
      } else {
        taken = `x.n+=${count - 1};${bc.far}return ${JUMP};`;
      }
      body.push(`${bc.pre}if(${bc.cond}){${taken}}`);
      idx++;
      // A conditional branch is a side exit: the block goes on with the
      // fall-through path (a trace through the hot path of a loop body).
      if (bc.cond !== "true" && ++sideExits <= MAX_SIDE_EXITS && k < MAX_BLOCK && idx < 1024)
        continue;
      tail = `x.n+=${count - 1};return ${idx - start};`;
      break;
    }
    const code = e === undefined ? null : inline(e, w, idx, k);
    const len = prefixed && e !== undefined ? 2 : 1;
    if (code !== null) {
      body.push(code);
      inlined++;
    } else {
      fallbacks.push(single);
      const expect = len;
      body.push(
        `x.idx=${idx};{const r=f[${fallbacks.length - 1}](x);if(r!==${expect}){x.n+=${k};${returnAdjust(idx - start)}}}`,
      );
    }
    k++;
    idx += len;
  }
  if (tail === "") tail = `x.n+=${k - 1};return ${idx - start};`;
  if (inlined < 2 || k < 2) return null;
  const first = page.singles[start]!;
  fallbacks.push(first);
  const guard = `if(x.n+${k}>x.limit)return f[${fallbacks.length - 1}](x);`;
  const src =
    `"use strict";return function block(x){${guard}` +
    "const g32=x.g32,g=x.g,t32=x.t32,s32=x.spr32,cpu=x.cpu,L=x.loads,S=x.stores,m=x.m;" +
    (loops ? `for(;;){${body.join("\n")}\n${tail}}` : `${body.join("\n")}\n${tail}`) +
    "};";
  let make = FACTORIES.get(src);
  if (make === undefined) {
    if (FACTORIES.size >= MAX_FACTORIES) FACTORIES.clear();
    make = new Function("f", "mul64", src) as Factory;
    FACTORIES.set(src, make);
  }
  return make(fallbacks, mul64);
}

type Factory = (f: Handler[], mul: typeof mul64) => Handler;

/**
 * Compiled block factories by source text: the same block in a later run (a
 * new machine, the same program) reuses the function V8 already optimised.
 */
const FACTORIES = new Map<string, Factory>();
const MAX_FACTORIES = 8192;

/**
 * After a handler inside a block returned something other than "next": a
 * positive count continues after it (a longer instruction than expected);
 * negative codes pass through (the handler set x.idx-relative state).
 */
function returnAdjust(offset: number): string {
  return `return r>0?${offset}+r:r;`;
}

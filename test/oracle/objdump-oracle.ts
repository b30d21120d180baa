/**
 * Differential comparison of the disassembler against GNU objdump (the oracle).
 * Reusable: the differential test calls it with a fixed seed; a CLI or bench can
 * call `runDifferential` with any other seed.
 *
 *   objdump -D -z -b binary -m powerpc:common64 -EL -M power10 file.bin
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { disassembleBytes } from "../../src/isa/powerpc/disasm.ts";
import { isMnemonic, opcodeTable } from "../../src/isa/powerpc/table.ts";
import { Prng } from "../../src/util/prng.ts";

export const OBJDUMP = process.env.TEXTPOKE_OBJDUMP ?? "powerpc64le-linux-gnu-objdump";

export interface OracleLine {
  address: bigint;
  /** Instruction text; "" for the second line of a prefixed instruction. */
  text: string;
}

/** Whether the oracle binary can be run here. */
export function objdumpAvailable(): boolean {
  const r = spawnSync(OBJDUMP, ["--version"], { encoding: "utf8" });
  return r.status === 0;
}

/** Parse objdump -d/-D output lines `  addr:\tbytes \ttext` into address → text. */
export function parseObjdump(out: string): Map<bigint, string> {
  const map = new Map<bigint, string>();
  for (const line of out.split("\n")) {
    const m = /^ *([0-9a-f]+):\t(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[2]!;
    const tab = rest.indexOf("\t");
    let text: string;
    if (/^([0-9a-f]{2} )+$/.test(rest))
      text = ""; // suffix line of a prefixed insn
    else if (tab >= 0 && /^([0-9a-f]{2} )+$/.test(rest.slice(0, tab))) text = rest.slice(tab + 1);
    else text = rest; // e.g. "Address 0x4 is out of bounds."
    map.set(BigInt(`0x${m[1]}`), text);
  }
  return map;
}

/** Run objdump on a raw little-endian image loaded at `vma`. */
export function objdumpBinary(bytes: Uint8Array, vma = 0n): Map<bigint, string> {
  const dir = mkdtempSync(join(tmpdir(), "textpoke-objdump-"));
  try {
    const f = join(dir, "words.bin");
    writeFileSync(f, bytes);
    const args = ["-D", "-z", "-b", "binary", "-m", "powerpc:common64", "-EL", "-M", "power10"];
    if (vma !== 0n) args.push(`--adjust-vma=0x${vma.toString(16)}`);
    const r = spawnSync(OBJDUMP, [...args, f], { encoding: "utf8", maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`objdump failed: ${r.stderr}`);
    return parseObjdump(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** First token of an instruction text (the mnemonic, or ".long"). */
export function mnemonicOf(text: string): string {
  const m = /^[^ \t]+/.exec(text);
  return m ? m[0] : "";
}

export interface Mismatch {
  address: bigint;
  words: number[];
  objdump: string;
  ours: string;
}

export interface Comparison {
  total: number;
  agree: number;
  /** Disagreements where either side printed a mnemonic of our table. */
  tableMismatches: Mismatch[];
  /** Other disagreements (objdump prints something we don't have). */
  otherMismatches: number;
  /** Mnemonics objdump printed that our table lacks, with counts. */
  missing: Map<string, number>;
}

/** Compare our disassembly of `bytes` with the oracle's at every address it printed. */
export function compareWithOracle(
  bytes: Uint8Array,
  oracle: Map<bigint, string>,
  vma = 0n,
): Comparison & { perAddressWords: Map<bigint, number[]> } {
  const ours = new Map<bigint, { text: string; words: number[] }>();
  const perAddressWords = new Map<bigint, number[]>();
  for (const l of disassembleBytes(bytes, vma, { disassembleZeroes: true })) {
    ours.set(l.address, { text: l.text, words: l.words });
    if (l.length === 8) ours.set(l.address + 4n, { text: "", words: [] });
    perAddressWords.set(l.address, l.words);
  }
  const res: Comparison & { perAddressWords: Map<bigint, number[]> } = {
    total: 0,
    agree: 0,
    tableMismatches: [],
    otherMismatches: 0,
    missing: new Map(),
    perAddressWords,
  };
  for (const [addr, text] of oracle) {
    if (text === "") continue; // suffix lines are covered by their prefix line
    res.total++;
    const o = ours.get(addr);
    const mine = o?.text ?? "<nothing>";
    const om = mnemonicOf(text);
    if (!isMnemonic(om) && om !== ".long" && !text.startsWith("Address ")) {
      res.missing.set(om, (res.missing.get(om) ?? 0) + 1);
    }
    if (mine === text) {
      res.agree++;
      continue;
    }
    if (isMnemonic(om) || isMnemonic(mnemonicOf(mine))) {
      const off = Number(addr - vma);
      const words: number[] = [];
      for (let i = 0; i < 8 && off + i + 4 <= bytes.length; i += 4) {
        words.push(
          (bytes[off + i]! |
            (bytes[off + i + 1]! << 8) |
            (bytes[off + i + 2]! << 16) |
            (bytes[off + i + 3]! << 24)) >>>
            0,
        );
      }
      res.tableMismatches.push({ address: addr, words, objdump: text, ours: mine });
    } else res.otherMismatches++;
  }
  return res;
}

/** Random words for every primary opcode, plus prefixed pairs and table-biased words. */
export interface WordSet {
  /** Words grouped by primary opcode of the (first) word; PO 1 holds prefix/suffix pairs. */
  byPo: number[][];
  /** Words built from every table row's pattern with random free bits. */
  biased: number[];
}

function randomFree(rng: Prng, opcode: number, mask: number): number {
  return (opcode | (rng.nextU32() & ~mask)) >>> 0;
}

/** Fill operand fields with "interesting" values: all registers equal, zeros, ones. */
function special(rng: Prng, w: number, mask: number): number {
  const kind = rng.below(4);
  const r = rng.below(32);
  let fill = 0;
  if (kind === 0)
    fill = r * 0x0842_1084; // the same 5-bit value in every 5-bit slot
  else if (kind === 1) fill = 0;
  else if (kind === 2) fill = 0xffff_ffff;
  else fill = (r << 21) | (r << 16) | (r << 11) | (rng.below(32) << 6);
  return ((w & mask) | (fill & ~mask)) >>> 0;
}

export function makeWords(seed: number, perPo = 10_000, perEntry = 8): WordSet {
  const rng = new Prng(seed);
  const byPo: number[][] = [];
  const prefixed = opcodeTable().filter((e) => e.prefixed);
  const suffixPos = [...new Set(prefixed.map((e) => e.opcode >>> 26))];
  for (let po = 0; po < 64; po++) {
    const words: number[] = [];
    if (po === 1) {
      while (words.length < perPo) {
        const mode = rng.below(3);
        if (mode === 0) {
          words.push(((1 << 26) | (rng.nextU32() & 0x3ffffff)) >>> 0, rng.nextU32());
        } else if (mode === 1) {
          const spo = suffixPos[rng.below(suffixPos.length)]!;
          words.push(
            ((1 << 26) | (rng.nextU32() & 0x3ffffff)) >>> 0,
            ((spo << 26) | (rng.nextU32() & 0x3ffffff)) >>> 0,
          );
        } else {
          const e = prefixed[rng.below(prefixed.length)]!;
          words.push(
            randomFree(rng, e.prefixOpcode, e.prefixMask),
            randomFree(rng, e.opcode, e.mask),
          );
        }
      }
    } else {
      for (let i = 0; i < perPo; i++) words.push(((po << 26) | (rng.nextU32() & 0x3ffffff)) >>> 0);
    }
    byPo.push(words);
  }
  const biased: number[] = [];
  for (const e of opcodeTable()) {
    for (let i = 0; i < perEntry; i++) {
      if (e.prefixed) {
        let p = randomFree(rng, e.prefixOpcode, e.prefixMask);
        let s = randomFree(rng, e.opcode, e.mask);
        if (i & 1) {
          p = special(rng, p, e.prefixMask | 0xfc000000);
          s = special(rng, s, e.mask);
        }
        biased.push(p, s);
      } else {
        const w = randomFree(rng, e.opcode, e.mask);
        biased.push(i & 1 ? special(rng, w, e.mask) : w);
      }
    }
  }
  return { byPo, biased };
}

function toBytes(words: readonly number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  for (let i = 0; i < words.length; i++) v.setUint32(i * 4, words[i]!, true);
  return b;
}

export interface DifferentialReport extends Comparison {
  seed: number;
  perPo: { po: number; total: number; agree: number }[];
  biased: Comparison;
}

/**
 * Disassemble every word set with objdump (one run) and with ours, and compare.
 * Each PO's words sit in their own region so per-PO agreement can be reported.
 */
export function runDifferential(
  seed: number,
  wordsPerPo = 10_000,
  perEntry = 8,
): DifferentialReport {
  const ws = makeWords(seed, wordsPerPo, perEntry);
  const all: number[] = [];
  const regions: { po: number; start: number; end: number }[] = [];
  ws.byPo.forEach((words, po) => {
    const start = all.length * 4;
    for (const w of words) all.push(w);
    regions.push({ po, start, end: all.length * 4 });
  });
  const biasedStart = all.length * 4;
  for (const w of ws.biased) all.push(w);
  const bytes = toBytes(all);
  const oracle = objdumpBinary(bytes);
  const main = compareWithOracle(bytes, oracle);
  const perPo = regions.map((r) => ({ po: r.po, total: 0, agree: 0 }));
  const biased: Comparison = {
    total: 0,
    agree: 0,
    tableMismatches: [],
    otherMismatches: 0,
    missing: new Map(),
  };
  const bad = new Set(main.tableMismatches.map((m) => m.address));
  const ourText = new Map<bigint, string>();
  for (const l of disassembleBytes(bytes, 0n, { disassembleZeroes: true }))
    ourText.set(l.address, l.text);
  for (const [addr, text] of oracle) {
    if (text === "") continue;
    const a = Number(addr);
    const agree = ourText.get(addr) === text;
    if (a >= biasedStart) {
      biased.total++;
      if (agree) biased.agree++;
      else if (!bad.has(addr)) biased.otherMismatches++;
      continue;
    }
    const r = regions.find((x) => a >= x.start && a < x.end)!;
    const p = perPo[r.po]!;
    p.total++;
    if (agree) p.agree++;
  }
  biased.tableMismatches = main.tableMismatches.filter((m) => Number(m.address) >= biasedStart);
  return { ...main, seed, perPo, biased };
}

/** A readable summary for console output. */
export function formatReport(r: DifferentialReport): string {
  const pct = (a: number, t: number): string => (t === 0 ? "-" : `${((100 * a) / t).toFixed(2)}%`);
  const lines: string[] = [];
  lines.push(
    `objdump differential (seed ${r.seed}): ${r.total} instructions, ${r.agree} agree (${pct(r.agree, r.total)}); ` +
      `${r.tableMismatches.length} mismatches involving table mnemonics, ${r.otherMismatches} others`,
  );
  lines.push(`table-biased words: ${r.biased.total}, ${pct(r.biased.agree, r.biased.total)} agree`);
  lines.push(`per PO: ${r.perPo.map((p) => `${p.po}:${pct(p.agree, p.total)}`).join(" ")}`);
  const top = [...r.missing.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  lines.push(
    `objdump mnemonics not in the table: ${top.length ? top.map(([m, n]) => `${m}(${n})`).join(" ") : "none"}`,
  );
  for (const m of r.tableMismatches.slice(0, 30)) {
    lines.push(
      `  0x${m.address.toString(16)} ${m.words.map((w) => w.toString(16).padStart(8, "0")).join(" ")}: objdump "${m.objdump}" ours "${m.ours}"`,
    );
  }
  return lines.join("\n");
}

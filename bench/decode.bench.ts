/**
 * Decode and disassembly throughput on a fixed word set (seeded: words drawn
 * from every table row's pattern plus uniformly random words). Called by the
 * bench harness; medians of several runs.
 */
import { decodeEntry } from "../src/isa/powerpc/decode.ts";
import { disassembleBytes } from "../src/isa/powerpc/disasm.ts";
import { opcodeTable } from "../src/isa/powerpc/table.ts";
import { Prng } from "../src/util/prng.ts";

function wordSet(n: number): Uint32Array {
  const rng = new Prng(0xdec0de);
  const four = opcodeTable().filter((e) => !e.prefixed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 4 === 3) out[i] = rng.nextU32();
    else {
      const e = four[rng.below(four.length)]!;
      out[i] = (e.opcode | (rng.nextU32() & ~e.mask)) >>> 0;
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function measure(runs: number, words: number, body: () => void): number {
  body(); // warm up
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    body();
    const dt = (performance.now() - t0) / 1000;
    rates.push(words / dt);
  }
  return median(rates);
}

export async function decodeBench(): Promise<{ name: string; medianWordsPerSec: number }[]> {
  const words = wordSet(200_000);
  let sink = 0;
  const decodeRate = measure(7, words.length, () => {
    for (let i = 0; i < words.length; i++) {
      const e = decodeEntry(words[i]!);
      if (e) sink += e.index;
    }
  });
  const small = words.subarray(0, 50_000);
  const bytes = new Uint8Array(small.buffer, small.byteOffset, small.byteLength);
  const disasmRate = measure(5, small.length, () => {
    sink += disassembleBytes(bytes, 0xc000000000000000n).length;
  });
  if (sink === -1) console.log(sink);
  return [
    { name: "ppc decode (decodeEntry)", medianWordsPerSec: Math.round(decodeRate) },
    { name: "ppc disassemble (disassembleBytes)", medianWordsPerSec: Math.round(disasmRate) },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await decodeBench()) console.log(`${r.name}: ${r.medianWordsPerSec} words/s`);
}

/** Text layout of disassembly rows: `address:  word [suffix]  text`. */
import type { DisasmLine } from "../api/index.ts";

export function formatDisasm(lines: readonly DisasmLine[]): string {
  if (lines.length === 0) return "";
  const addrWidth = Math.max(8, ...lines.map((l) => l.address.toString(16).length));
  const wordsWidth = lines.some((l) => l.words.length > 1) ? 17 : 8;
  let out = "";
  for (const l of lines) {
    if (l.words.length === 0 && l.text === "...") {
      // objdump's folded run of zero bytes: no address, no words.
      out += `${" ".repeat(addrWidth + 1)}  ${"".padEnd(wordsWidth)}  ...\n`;
      continue;
    }
    const words = l.words.map((w) => w.toString(16).padStart(8, "0")).join(" ");
    out += `${l.address.toString(16).padStart(addrWidth, " ")}:  ${words.padEnd(wordsWidth)}  ${l.text}\n`;
  }
  return out;
}

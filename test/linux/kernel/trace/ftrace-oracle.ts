// The ftrace call sites GCC emitted in fixtures/kernel/patch-clients.o, read
// back with objdump -dr (the outside oracle): every `bl _mcount` relocation,
// the function holding it, its offset there and the instruction before it.
import assert from "node:assert/strict";
import { tool } from "../../../machine/exec/toolchain.ts";

export const PATCH_CLIENTS_O = new URL(
  "../../../../fixtures/kernel/patch-clients.o",
  import.meta.url,
).pathname;

export interface OracleSite {
  readonly fn: string;
  /** Byte offset of the `bl _mcount` inside the function. */
  readonly offset: number;
  /** objdump's text of the instruction before it. */
  readonly before: string;
  /** The instruction word before it, as objdump's bytes give it. */
  readonly beforeWord: number;
}

export function mcountSitesOracle(): OracleSite[] {
  const r = tool("powerpc64le-linux-gnu-objdump", ["-dr", PATCH_CLIENTS_O]);
  assert.equal(r.status, 0, r.stderr);
  const out: OracleSite[] = [];
  let fn = "";
  let fnStart = 0;
  const insns = new Map<number, { word: number; text: string }>();
  for (const line of r.stdout.toString().split("\n")) {
    if (line.startsWith("Disassembly of section")) insns.clear();
    const label = /^([0-9a-f]+) <([\w.]+)>:$/.exec(line);
    if (label !== null) {
      fn = label[2]!;
      fnStart = Number.parseInt(label[1]!, 16);
      continue;
    }
    const insn = /^\s+([0-9a-f]+):\t((?:[0-9a-f]{2} ){4})\t(.*)$/.exec(line);
    if (insn !== null) {
      const b = insn[2]!
        .trim()
        .split(" ")
        .map((x) => Number.parseInt(x, 16));
      const word = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      insns.set(Number.parseInt(insn[1]!, 16), { word, text: insn[3]!.replace(/\s+/g, " ") });
      continue;
    }
    const rel = /^\s+([0-9a-f]+): R_PPC64_REL24\s+_mcount$/.exec(line);
    if (rel !== null) {
      const at = Number.parseInt(rel[1]!, 16);
      const prev = insns.get(at - 4);
      assert.ok(prev !== undefined, `no instruction before the site at ${fn}+${at - fnStart}`);
      out.push({ fn, offset: at - fnStart, before: prev.text, beforeWord: prev.word });
    }
  }
  return out;
}

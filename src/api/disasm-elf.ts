/**
 * Disassembly of a ppc64le ELF's text, as `objdump -d` shows it: each
 * executable section split at its function symbols.
 */
import { readElf64 } from "../elf/elf64.ts";
import {
  type DisasmLine,
  type DisassembleOptions,
  disassembleBytes,
} from "../isa/powerpc/disasm.ts";
import { UserError } from "../util/user-error.ts";

const SHF_EXECINSTR = 0x4n;
const SHT_PROGBITS = 1;
const STT_FUNC = 2;

export interface DisasmBlock {
  /** Symbol (or section) name the block starts at. */
  readonly name: string;
  readonly address: bigint;
  readonly lines: DisasmLine[];
}

/** Disassemble every executable section of `bytes`, or only the function `symbol`. */
export function disasmElf(
  bytes: Uint8Array,
  symbol?: string,
  opts: DisassembleOptions = {},
): DisasmBlock[] {
  const elf = readElf64(bytes);
  if (symbol !== undefined) {
    const sym = elf.symbol(symbol);
    if (sym === undefined) throw new UserError(`no symbol '${symbol}' in the ELF file`);
    const section = elf.sections[sym.shndx];
    if (section === undefined || (section.flags & SHF_EXECINSTR) === 0n) {
      throw new UserError(`symbol '${symbol}' is not in an executable section`);
    }
    return [
      {
        name: symbol,
        address: sym.value,
        lines: disassembleBytes(elf.symbolBytes(sym), sym.value, opts),
      },
    ];
  }
  const blocks: DisasmBlock[] = [];
  for (const section of elf.sections) {
    if (section.type !== SHT_PROGBITS || (section.flags & SHF_EXECINSTR) === 0n) continue;
    const text = elf.sectionBytes(section);
    // Block boundaries: the section start and every function symbol inside it.
    const starts = new Map<bigint, string>([[section.addr, section.name]]);
    for (const s of elf.symbols) {
      if (s.shndx === section.index && s.type === STT_FUNC && s.name !== "")
        starts.set(s.value, s.name);
    }
    const sorted = [...starts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    sorted.forEach(([address, name], i) => {
      const end = i + 1 < sorted.length ? sorted[i + 1]![0] : section.addr + BigInt(text.length);
      const from = Number(address - section.addr);
      const to = Number(end - section.addr);
      if (to <= from || from < 0 || to > text.length) return;
      blocks.push({
        name,
        address,
        lines: disassembleBytes(text.subarray(from, to), address, opts),
      });
    });
  }
  if (blocks.length === 0) throw new UserError("the ELF file has no executable sections");
  return blocks;
}

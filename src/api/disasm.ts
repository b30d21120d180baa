/**
 * Disassembly for users: words given as text, or the text of a ppc64le ELF.
 * The text of each instruction is exactly what GNU objdump prints for the same
 * bytes at the same address (src/isa/powerpc/disasm.ts).
 */
import {
  type DisasmLine,
  type DisassembleOptions,
  disassembleBytes,
} from "../isa/powerpc/disasm.ts";
import { OP_PREFIX, writeLe32 } from "../isa/powerpc/inst.ts";
import { UserError } from "../util/user-error.ts";
import { parseWord } from "./parse.ts";

export type { DisasmLine, DisassembleOptions };

/**
 * Disassemble words at successive addresses from `address`. Each argument is a
 * 32-bit hex word or a prefixed instruction written `PREFIX:SUFFIX`. The words
 * form one little-endian byte stream, decoded the way objdump decodes a raw
 * binary: a prefix word followed by a valid suffix is one 8-byte instruction.
 */
export function disasmWords(
  args: readonly string[],
  address: bigint,
  opts: DisassembleOptions = {},
): DisasmLine[] {
  const words: number[] = [];
  for (const arg of args) {
    const parts = arg.split(":");
    if (parts.length > 2) {
      throw new UserError(`bad instruction '${arg}': expected WORD or PREFIX:SUFFIX`);
    }
    if (parts.length === 1) {
      words.push(parseWord(arg));
      continue;
    }
    const prefix = parseWord(parts[0]!, "prefix word");
    if (prefix >>> 26 !== OP_PREFIX) {
      throw new UserError(
        `bad prefixed instruction '${arg}': ${parts[0]} is not a prefix word (primary opcode must be 1)`,
      );
    }
    words.push(prefix, parseWord(parts[1]!, "suffix word"));
  }
  const bytes = new Uint8Array(words.length * 4);
  words.forEach((w, i) => {
    writeLe32(bytes, i * 4, w);
  });
  return disassembleBytes(bytes, BigInt.asUintN(64, address), opts);
}

/** Disassemble raw little-endian bytes placed at `address`, as `objdump -D -b binary` does. */
export function disasmBytes(
  bytes: Uint8Array,
  address: bigint,
  opts: DisassembleOptions = {},
): DisasmLine[] {
  return disassembleBytes(bytes, BigInt.asUintN(64, address), opts);
}

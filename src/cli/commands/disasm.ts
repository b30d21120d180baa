/** `textpoke disasm`: objdump-exact disassembly of words or of an ELF's text. */
import { readFileSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import { disasmBytes, disasmElf, disasmWords } from "../../api/index.ts";
import { parseAddress } from "../../api/parse.ts";
import { UserError } from "../../util/user-error.ts";
import { formatDisasm } from "../format-disasm.ts";
import type { Io } from "../main.ts";

export function disasmCommand(io: Io, _setStatus: (s: number) => void) {
  return new Command("disasm")
    .description(
      "disassemble instruction words (or an ELF's text) exactly as GNU objdump prints them",
    )
    .argument(
      "[words...]",
      "32-bit hex words (0x optional), or PREFIX:SUFFIX for a prefixed instruction",
    )
    .option("-a, --address <addr>", "address of the first word, in hex", "0")
    .option("--elf <file>", "disassemble the executable sections of a ppc64le ELF file")
    .option("--symbol <name>", "with --elf: only this symbol's bytes")
    .option("-z, --disassemble-zeroes", "show zero words instead of folding runs of them into ...")
    .option(
      "--binary <file>",
      "disassemble a raw little-endian file, as objdump -D -b binary does (with --address)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  textpoke disasm 0x60000000 0x4e800020 0x7fe00008\n  textpoke disasm --address 0xc000000000001000 0x48000101\n  textpoke disasm 0x06000001:0x38642345\n  textpoke disasm --elf prog.o --symbol main\n  textpoke disasm --binary words.bin --address 0x1000\n",
    )
    .action((words, opts) => {
      const zeroes = { disassembleZeroes: opts.disassembleZeroes === true };
      const sources = [words.length > 0, opts.elf !== undefined, opts.binary !== undefined];
      if (sources.filter(Boolean).length > 1) {
        throw new UserError("give one of WORD..., --elf FILE or --binary FILE");
      }
      if (opts.binary !== undefined) {
        if (opts.symbol !== undefined) throw new UserError("--symbol needs --elf");
        const address = parseAddress(opts.address, "--address");
        io.out(formatDisasm(disasmBytes(readInput(opts.binary), address, zeroes)));
        return;
      }
      if (opts.elf !== undefined) {
        for (const block of disasmElf(readInput(opts.elf), opts.symbol, zeroes)) {
          io.out(`\n${block.address.toString(16).padStart(16, "0")} <${block.name}>:\n`);
          io.out(formatDisasm(block.lines));
        }
        return;
      }
      if (opts.symbol !== undefined) throw new UserError("--symbol needs --elf");
      if (words.length === 0)
        throw new UserError("nothing to disassemble: give WORD..., --elf FILE or --binary FILE");
      const address = parseAddress(opts.address, "--address");
      io.out(formatDisasm(disasmWords(words, address, zeroes)));
    });
}

/** A file's bytes; an unreadable file is bad input. */
function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UserError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

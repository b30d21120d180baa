/** `textpoke disasm`: objdump-exact disassembly of words or of an ELF's text. */
import { readFileSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import { disasmElf, disasmWords } from "../../api/index.ts";
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
    .addHelpText(
      "after",
      "\nExamples:\n  textpoke disasm 0x60000000 0x4e800020 0x7fe00008\n  textpoke disasm --address 0xc000000000001000 0x48000101\n  textpoke disasm 0x06000001:0x38642345\n  textpoke disasm --elf prog.o --symbol main\n",
    )
    .action((words, opts) => {
      if (opts.elf !== undefined) {
        if (words.length > 0) throw new UserError("give either words or --elf, not both");
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(readFileSync(opts.elf));
        } catch (e) {
          throw new UserError(
            `cannot read '${opts.elf}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
          );
        }
        for (const block of disasmElf(bytes, opts.symbol)) {
          io.out(`\n${block.address.toString(16).padStart(16, "0")} <${block.name}>:\n`);
          io.out(formatDisasm(block.lines));
        }
        return;
      }
      if (opts.symbol !== undefined) throw new UserError("--symbol needs --elf");
      if (words.length === 0)
        throw new UserError("nothing to disassemble: give WORD... or --elf FILE");
      const address = parseAddress(opts.address, "--address");
      io.out(formatDisasm(disasmWords(words, address)));
    });
}

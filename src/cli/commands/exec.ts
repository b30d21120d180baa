/** `textpoke exec`: run a static ppc64le Linux executable on the simulated machine. */
import { readFileSync } from "node:fs";
import { Command, Option } from "@commander-js/extra-typings";
import { execProgram } from "../../api/exec.ts";
import { parseCount } from "../../api/parse.ts";
import { UserError } from "../../util/user-error.ts";
import type { Io } from "../main.ts";

export function execCommand(io: Io, setStatus: (s: number) => void) {
  return new Command("exec")
    .description(
      "run a static ppc64le (ELFv2) Linux executable in user mode on the simulated machine;\n" +
        "the exit status is the program's (128 + signal number after a fatal signal, 3 when --max-insns is hit)",
    )
    .argument("<file>", "the executable")
    .argument("[args...]", "arguments passed to the program")
    .addOption(
      new Option("--cpu <model>", "CPU model")
        .choices(["power9", "power10"] as const)
        .default("power10" as const),
    )
    .option(
      "--trace",
      "print every executed instruction (address, disassembly, changed registers) on stderr",
    )
    .option("--max-insns <n>", "stop after N instructions (exit status 3)")
    .passThroughOptions()
    .addHelpText(
      "after",
      "\nExamples:\n  textpoke exec fixtures/programs/hash.p10\n  textpoke exec --cpu power9 --max-insns 1000 --trace prog.p9 arg1\n",
    )
    .action((file, args, opts) => {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch (e) {
        throw new UserError(
          `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        );
      }
      const maxInsns =
        opts.maxInsns === undefined
          ? undefined
          : parseCount(opts.maxInsns, "--max-insns", 1, Number.MAX_SAFE_INTEGER);
      const out = new TextDecoder();
      const err = new TextDecoder();
      const r = execProgram(bytes, {
        argv: [file, ...args],
        cpu: opts.cpu,
        ...(maxInsns !== undefined ? { maxInsns } : {}),
        stdout: (b) => io.out(out.decode(b, { stream: true })),
        stderr: (b) => io.err(err.decode(b, { stream: true })),
        ...(opts.trace === true ? { trace: (line: string) => io.err(line) } : {}),
      });
      const restOut = out.decode();
      if (restOut !== "") io.out(restOut);
      setStatus(r.status);
    });
}

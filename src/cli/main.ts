/**
 * The `textpoke` command line. stdout carries the result (deterministic);
 * diagnostics go to stderr. Exit status: 0 ok, 1 the simulated kernel failed
 * or a violation was found, 2 bad input, 3 a bound was hit.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { EXIT, UserError } from "../util/user-error.ts";
import { bootCommand } from "./commands/boot.ts";
import { checkCommand, replayCommand, scenariosCommand } from "./commands/check.ts";
import { configCommand } from "./commands/config.ts";
import { demoCommand } from "./commands/demo.ts";
import { disasmCommand } from "./commands/disasm.ts";
import { execCommand } from "./commands/exec.ts";
import { variantsCommand } from "./commands/variants.ts";
import { workerCommand } from "./commands/worker.ts";
import { VERSION } from "./version.ts";

export { checkWorkerMain } from "./check-worker.ts";
export { type ModuleImporter, setModuleImporter } from "./load-variant.ts";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

// A closed pipe (`textpoke ... | head`) ends the output quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Build the program; commands report their exit status through `setStatus`. */
export function buildProgram(io: Io, setStatus: (status: number) => void): Command {
  const program = new Command()
    .name("textpoke")
    .description(
      "An executable model of Linux/powerpc kernel code patching: a simulated SMP ppc64\n" +
        "machine, the kernel pieces code patching lives on, and its historical variants.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .showSuggestionAfterError(true)
    // `exec FILE ARGS...` passes options after FILE through to the program.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`textpoke: ${s.replace(/^error: /, "error: ").trimEnd()}\n`),
    })
    .exitOverride();
  program.addCommand(bootCommand(io, setStatus));
  program.addCommand(checkCommand(io, setStatus));
  program.addCommand(configCommand(io, setStatus));
  program.addCommand(demoCommand(io, setStatus));
  program.addCommand(disasmCommand(io, setStatus));
  program.addCommand(execCommand(io, setStatus));
  program.addCommand(replayCommand(io, setStatus));
  program.addCommand(scenariosCommand(io));
  program.addCommand(variantsCommand(io));
  program.addCommand(workerCommand(io, setStatus));
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput(program.configureOutput());
    cmd.helpOption("-h, --help", "show help for this command");
  }
  return program;
}

/** Run the CLI; returns the exit status instead of exiting (testable). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let status: number = EXIT.OK;
  const program = buildProgram(io, (s) => {
    status = s;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version "errors" are normal exits; everything else is bad usage.
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      ) {
        return EXIT.OK;
      }
      return EXIT.USAGE;
    }
    if (e instanceof UserError) {
      io.err(`textpoke: error: ${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
}

/**
 * The textpoke library API: the operations of the CLI, typed and browser-safe.
 * Bad input throws UserError (one-line message).
 */

export { EXIT, UserError } from "../util/user-error.ts";
export { type DisasmLine, disasmBytes, disasmWords } from "./disasm.ts";
export { type DisasmBlock, disasmElf } from "./disasm-elf.ts";
export { type ExecOptions, execProgram } from "./exec.ts";
export { parseAddress, parseCount, parseWord } from "./parse.ts";

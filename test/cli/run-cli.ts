// Runs the CLI in-process with captured output (the same main() bin/textpoke calls).
import { main } from "../../src/cli/main.ts";

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const status = await main(argv, {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
  });
  return { status, stdout, stderr };
}

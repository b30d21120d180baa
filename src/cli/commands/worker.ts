/** `textpoke worker`: compute `textpoke check --queue` executions for coordinators anywhere. */
import { Command } from "@commander-js/extra-typings";
import { parseCount } from "../../api/parse.ts";
import type { Io } from "../main.ts";
import { parseQueueUrl } from "../queue/address.ts";
import { loadQueueModule } from "../queue/load.ts";

export function workerCommand(io: Io, setStatus: (s: number) => void) {
  return new Command("worker")
    .description(
      "take `textpoke check --queue` jobs from Redis and run them, until SIGTERM/SIGINT (exit 0; 2 for a coordinator of another textpoke version)",
    )
    .requiredOption("--queue <redis://HOST:PORT>", "the Redis the coordinators queue jobs on")
    .option("--idle-exit <seconds>", "exit 0 after this many seconds without a job")
    .addHelpText(
      "after",
      "\nA --variant FILE of a check is loaded from the same path on this machine (and must be the same file).\nExample:\n  textpoke worker --queue redis://10.0.0.5:6379\n",
    )
    .action(async (opts) => {
      const address = parseQueueUrl(opts.queue);
      const idleExit =
        opts.idleExit !== undefined ? parseCount(opts.idleExit, "--idle-exit", 1, 1e9) : undefined;
      const { serveQueue } = await loadQueueModule(() => import("../queue/serve.ts"));
      setStatus(await serveQueue(address, idleExit !== undefined ? { idleExit } : {}, io));
    });
}

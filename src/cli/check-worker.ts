/**
 * A `textpoke check --jobs N` worker thread: build the check the
 * coordinator described (the same options, so the same kernel and
 * scenario), then run the dpor jobs it sends (src/cli/threads/pool.ts).
 */
import { workerData } from "node:worker_threads";
import { type CheckOptions, jobRunner } from "../api/check.ts";
import { loadVariant } from "./load-variant.ts";
import { serveJobs } from "./threads/serve.ts";

/** What the coordinator hands each worker thread. */
export interface CheckWorkerInit {
  /** The check's options, less what cannot cross threads (the variant, callbacks). */
  readonly options: Omit<CheckOptions, "variant" | "progress" | "observe">;
  /** `--variant` as given (a commit, an alias, or a module's absolute path). */
  readonly variantName: string;
  readonly scenarioIndex: number;
}

export async function checkWorkerMain(): Promise<void> {
  const init = workerData as CheckWorkerInit;
  const variant = await loadVariant(init.variantName);
  serveJobs(jobRunner({ ...init.options, variant }, init.scenarioIndex));
}

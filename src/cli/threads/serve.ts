/** The worker-thread side of `ThreadPool`: run each job sent, send its result back. */
import { parentPort } from "node:worker_threads";
import type { JobResult } from "../../explore/check.ts";
import { decodeJob, encodeTrace } from "../../explore/parallel/encode.ts";
import type { DporJob } from "../../explore/strategies/dpor.ts";
import type { FromWorker, ToWorker } from "./pool.ts";

export function serveJobs(run: (job: DporJob) => JobResult): void {
  const port = parentPort;
  if (port === null) throw new Error("serveJobs: not in a worker thread");
  const send = (m: FromWorker) => port.postMessage(m);
  port.on("message", (m: ToWorker) => {
    try {
      const { trace, ...rest } = run(decodeJob(m.job));
      const encoded = encodeTrace(trace);
      port.postMessage(
        { type: "result", id: m.id, result: rest, trace: encoded } satisfies FromWorker,
        [encoded.buffer as ArrayBuffer],
      );
    } catch (e) {
      send({
        type: "error",
        message: `check worker: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  });
  send({ type: "ready" });
}

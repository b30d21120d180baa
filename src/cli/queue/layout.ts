/**
 * What `textpoke check --queue` keeps in Redis, shared by the coordinator
 * (./coordinator.ts) and `textpoke worker` (./serve.ts). One run is one
 * scenario's dpor search; its jobs are a BullMQ queue of its own, so runs
 * never mix.
 *
 *   textpoke:runs              set of the runs under way
 *   textpoke:run:RUN:init      the run's RunInit (JSON), expiring unless the coordinator renews it
 *   textpoke:run:RUN:stop      set when the run is over: its workers stop
 *   textpoke:run-RUN:*         the run's BullMQ queue (prefix "textpoke", queue "run-RUN")
 */
import type { DporJob } from "../../api/check.ts";
import type { CheckWorkerInit } from "../check-worker.ts";

export const PREFIX = "textpoke";
export const RUNS = `${PREFIX}:runs`;
export const initKey = (run: string) => `${PREFIX}:run:${run}:init`;
export const stopKey = (run: string) => `${PREFIX}:run:${run}:stop`;
export const queueName = (run: string) => `run-${run}`;

/** Seconds a run's init lives unless renewed: a coordinator killed leaves no run behind for long. */
export const INIT_TTL = 30;

/** What a worker needs to build a run's kernel and scenario. */
export interface RunInit extends CheckWorkerInit {
  /** The coordinator's textpoke version: a worker of another one refuses the run. */
  readonly version: string;
  /** The scenario's name (for the worker's log). */
  readonly scenario: string;
}

/** One BullMQ job's data. */
export interface QueueJobData {
  readonly version: string;
  readonly run: string;
  readonly job: DporJob;
}

/** The line a worker prints, and exits 2, for a run of another textpoke. */
export const versionLine = (theirs: string, mine: string) =>
  `textpoke worker: job from textpoke ${theirs}, this is ${mine}`;

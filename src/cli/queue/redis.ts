/**
 * Connections to the `--queue` Redis that fail fast: a connect check with a
 * timeout, then commands that fail at once while the connection is down
 * (no offline queue), so neither `check` nor `worker` can hang on it.
 */
import { Redis } from "ioredis";
import { UserError } from "../../util/user-error.ts";
import type { RedisAddress } from "./address.ts";

/** How long connecting may take. */
const CONNECT_MS = 3000;

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

/** `p`, or a rejection after `ms`. */
export function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly connectTimeout: number;
  readonly disconnectTimeout: number;
  readonly enableOfflineQueue: boolean;
  readonly retryStrategy: (times: number) => number | null;
}

/**
 * Options for BullMQ's own connections. `reconnect()`: whether to keep
 * trying when the connection drops (a worker outlives a Redis restart, until
 * it stops); false: a drop is final.
 */
export function connectionOptions(a: RedisAddress, reconnect: () => boolean): Connection {
  return {
    host: a.host,
    port: a.port,
    connectTimeout: CONNECT_MS,
    // A server that keeps its end open is not waited for long.
    disconnectTimeout: 200,
    enableOfflineQueue: false,
    retryStrategy: (n) => (reconnect() ? Math.min(200 * n, 2000) : null),
  };
}

/** A connection to `a`, checked with a PING; unreachable: UserError. */
export async function connectRedis(a: RedisAddress, reconnect: () => boolean): Promise<Redis> {
  let up = false;
  // Never retry the first connect: an unreachable server is an error at once.
  const r = new Redis({
    ...connectionOptions(a, () => up && reconnect()),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  // The event says why ("connect ECONNREFUSED ..."); the rejection only that the connection closed.
  let why: unknown;
  r.on("error", (e) => {
    why ??= e;
  });
  try {
    await within(
      CONNECT_MS + 1000,
      (async () => {
        await r.connect();
        await r.ping();
      })(),
    );
  } catch (e) {
    // A connection that ended has nothing to close (and disconnect() would wait 2 s for it).
    if (r.status !== "end") r.disconnect();
    throw new UserError(`cannot reach Redis at ${a.text}: ${message(why ?? e)}`);
  }
  up = true;
  return r;
}

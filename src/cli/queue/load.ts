/**
 * The queue's modules are imported only for `--queue` and `worker`, so other
 * commands start without BullMQ, and a missing BullMQ is one line.
 */
import { UserError } from "../../util/user-error.ts";

export async function loadQueueModule<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new UserError(`--queue needs the bullmq and ioredis packages: ${why}`);
  }
}

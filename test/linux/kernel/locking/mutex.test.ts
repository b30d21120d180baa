// mutex_lock()/mutex_unlock() exclude: under many random schedules no two
// tasks are inside the critical section at once and every increment survives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  mutexInit,
  mutexIsLocked,
  mutexLock,
  mutexUnlock,
} from "../../../../src/linux/kernel/locking/mutex.ts";
import { runExclusion } from "./exclusion.ts";

const SEEDS = 300;

describe("mutex", () => {
  for (const cpus of [2, 4]) {
    it(`excludes ${cpus} tasks around a read-modify-write under ${SEEDS} random schedules`, () => {
      const rounds = 8;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const lock = mutexInit("test_mutex");
        const r = runExclusion(seed, cpus, rounds, () => ({
          acquire: (c) => mutexLock(c, lock),
          release: (c) => mutexUnlock(c, lock),
        }));
        assert.equal(r.maxInside, 1, `seed ${seed}: two tasks inside the critical section`);
        assert.equal(r.count, cpus * rounds, `seed ${seed}: an increment was lost`);
        assert.equal(r.status, "done", `seed ${seed}`);
        assert.equal(mutexIsLocked(lock), false);
      }
    });
  }
});

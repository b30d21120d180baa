// spin_lock()/spin_unlock() exclude: under many random schedules no two CPUs
// are inside the critical section at once and every increment survives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  spinIsLocked,
  spinLock,
  spinLockInit,
  spinUnlock,
} from "../../../../src/linux/kernel/locking/spinlock.ts";
import { runExclusion } from "./exclusion.ts";

const SEEDS = 300;

describe("spinlock", () => {
  for (const cpus of [2, 4]) {
    it(`excludes ${cpus} CPUs around a read-modify-write under ${SEEDS} random schedules`, () => {
      const rounds = 8;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const lock = spinLockInit("test_lock");
        const r = runExclusion(seed, cpus, rounds, () => ({
          acquire: (c) => spinLock(c, lock),
          release: (c) => spinUnlock(c, lock),
        }));
        assert.equal(r.maxInside, 1, `seed ${seed}: two CPUs inside the critical section`);
        assert.equal(r.count, cpus * rounds, `seed ${seed}: an increment was lost`);
        assert.equal(r.status, "done", `seed ${seed}`);
        assert.equal(spinIsLocked(lock), false);
      }
    });
  }

  it("the same read-modify-write without the lock overlaps and loses increments (the check can fail)", () => {
    let overlapped = 0;
    let lost = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const r = runExclusion(seed, 2, 8, () => null);
      if (r.maxInside > 1) overlapped++;
      if (r.count < 16) lost++;
    }
    assert.ok(overlapped > 0 && lost > 0, `overlapped ${overlapped}, lost ${lost}`);
  });
});

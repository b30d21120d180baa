/**
 * The kernel's random numbers (drivers/char/random.c), drawn from the run's
 * Choices so every run is reproducible from its seed and schedule.
 */
import { type Kernel, runChoices } from "../../core/kernel.ts";

/** Models `get_random_long()`: 64 random bits (two 32-bit draws, high word first). */
export function getRandomLong(k: Kernel): bigint {
  const hi = BigInt(runChoices(k).random(0x1_0000_0000));
  const lo = BigInt(runChoices(k).random(0x1_0000_0000));
  return (hi << 32n) | lo;
}

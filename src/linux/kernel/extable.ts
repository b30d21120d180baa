/** `text_mutex` (kernel/extable.c): serialises writers of kernel text. */
import { defineSlot, type Kernel } from "../core/kernel.ts";
import { type Mutex, mutexInit } from "./locking/mutex.ts";

const TEXT_MUTEX = defineSlot<Mutex>("text_mutex", () => mutexInit("text_mutex"));

export function textMutex(k: Kernel): Mutex {
  return k.slot(TEXT_MUTEX);
}

/** Models `core_kernel_text(addr)`: kernel text, or init text while it is not freed. */
export function coreKernelText(k: Kernel, addr: bigint): boolean {
  const img = k.image;
  if (img === undefined) return false;
  if (addr >= img.stext && addr < img.etext) return true;
  return !k.initMemIsFree && addr >= img.initBegin && addr < img.initEnd;
}

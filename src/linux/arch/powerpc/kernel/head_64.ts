/**
 * The boot CPU's entry (arch/powerpc/kernel/head_64.S, book3s64): firmware
 * (skiboot/OPAL via kexec) enters `__start` in real mode; the kernel reaches
 * `start_here_multiplatform`, calls `early_setup`, turns relocation on and
 * `start_here_common` calls `start_kernel` on init_task's stack.
 */
import type { Ctx, KGen } from "../../../core/ctx.ts";
import { kfunc } from "../../../core/kfunc.ts";
import { startKernel } from "../../../init/main.ts";
import { earlySetup } from "./setup_64.ts";

/** Models `start_here_common`. */
export const startHereCommon = kfunc(
  { name: "start_here_common", file: "arch/powerpc/kernel/head_64.S", init: true, size: 0x60 },
  function* (c: Ctx): KGen<void> {
    yield* startKernel(c);
  },
);

/** Models `start_here_multiplatform`: early_setup, then start_here_common. */
export const startHereMultiplatform = kfunc(
  {
    name: "start_here_multiplatform",
    file: "arch/powerpc/kernel/head_64.S",
    init: true,
    size: 0x120,
  },
  function* (c: Ctx): KGen<void> {
    yield* earlySetup(c);
    yield* startHereCommon(c);
  },
);

/**
 * Models `__start` (via `__start_initialization_multiplatform`): the boot
 * CPU's first kernel code; the task a boot spawns on CPU 0 as init_task.
 */
export const __start = kfunc(
  { name: "__start", file: "arch/powerpc/kernel/head_64.S", size: 0x40 },
  function* (c: Ctx): KGen<void> {
    yield* startHereMultiplatform(c);
  },
);

/**
 * CPU hotplug (kernel/cpu.c at v6.2): the per-CPU state machine over
 * `enum cpuhp_state`, dynamic states (`cpuhp_setup_state`/`cpuhp_remove_state`)
 * with the kernel's rollback rules, `cpu_up` and `cpu_down`, and the CPU masks.
 *
 * Where callbacks run: PREPARE states on the control CPU in the caller's
 * context; STARTING states on the incoming/dying CPU (its idle task, or the
 * stopper on the way down); ONLINE states on the CPU in its hotplug thread
 * "cpuhp/<cpu>" — a task spawned on that CPU while the control CPU waits.
 * Before smp_init creates the hotplug threads (poking_init time) a callback
 * for the boot CPU runs directly in the caller's context, as in the kernel.
 */
import { waitUntil } from "../../machine/task-ops.ts";
import { markShared } from "../../util/clone.ts";
import type { Ctx, KGen } from "../core/ctx.ts";
import { defineSlot, type Kernel, runChoices } from "../core/kernel.ts";
import { kfunc } from "../core/kfunc.ts";
import { CPUHP } from "../include/linux/cpuhotplug.ts";
import type { TaskStruct } from "../include/linux/sched.ts";
import { EBUSY, ECANCELED, EINVAL, ENOSPC } from "../include/uapi/errno.ts";
import { createKthread, forkIdle } from "./kthread.ts";
import { type Spinlock, spinLock, spinLockInit, spinUnlock } from "./locking/spinlock.ts";

export { EBUSY, ECANCELED, EINVAL, ENOSPC };

/** A state's startup or teardown callback: runs on `cpu` (c.cpu), returns 0 or -errno. */
export type CpuhpCallback = (c: Ctx, cpu: number) => KGen<number>;

/**
 * `struct cpuhp_step`. Replaced, never changed: installing or removing a
 * state puts a new step in its slot, so forks of a kernel share the steps.
 */
export interface CpuhpStep {
  readonly name: string | null;
  readonly startup: CpuhpCallback | null;
  readonly teardown: CpuhpCallback | null;
}

/** A step for a state's slot (shared by forks: see CpuhpStep). */
function cpuhpStepOf(
  name: string | null,
  startup: CpuhpCallback | null,
  teardown: CpuhpCallback | null,
): CpuhpStep {
  return markShared({ name, startup, teardown });
}

/** `struct cpuhp_cpu_state`. */
export interface CpuhpCpuState {
  state: number;
  target: number;
  /** The hotplug thread "cpuhp/<cpu>" (null until created). */
  thread: TaskStruct | null;
  /** The CPU's idle task (`idle_thread_get`); null until forked. */
  idle: TaskStruct | null;
  /** Injected failure: the state whose callback fails on this CPU (`fail` in sysfs), or CPUHP.INVALID. */
  fail: number;
}

/** Architecture hooks: how a CPU is started, stopped and what runs on it when it comes up or dies. */
export interface CpuhpArch {
  /** `__cpu_up(cpu, idle)`: kick the CPU; it must run `startSecondary`'s work (see smp.ts). */
  cpuUp(c: Ctx, cpu: number, idle: TaskStruct): KGen<number>;
  /** `__cpu_disable()` on the dying CPU. */
  cpuDisable(c: Ctx): KGen<number>;
  /** `__cpu_die(cpu)` on the control CPU once the dying CPU is idle-dead. */
  cpuDie(c: Ctx, cpu: number): KGen<void>;
}

interface HotplugState {
  readonly steps: CpuhpStep[];
  readonly cpus: CpuhpCpuState[];
  /** cpu_online_mask / cpu_active_mask / cpu_present_mask. */
  readonly online: Uint8Array;
  readonly active: Uint8Array;
  readonly present: Uint8Array;
  onlineCount: number;
  /** `cpu_add_remove_lock` (a mutex in the kernel). */
  readonly mapsLock: Spinlock;
  /** `cpuhp_state_mutex`. */
  readonly stateLock: Spinlock;
  arch: CpuhpArch | null;
  /** Hotplug threads exist (cpuhp_threads_init has run). */
  threads: boolean;
}

const HOTPLUG = defineSlot<HotplugState>("cpuhp", (k) => {
  const n = k.machine.cpus.length;
  const steps: CpuhpStep[] = [];
  for (let i = 0; i <= CPUHP.ONLINE; i++) steps.push(cpuhpStepOf(null, null, null));
  const s: HotplugState = {
    steps,
    cpus: Array.from({ length: n }, () => ({
      state: CPUHP.OFFLINE,
      target: CPUHP.OFFLINE,
      thread: null,
      idle: null,
      fail: CPUHP.INVALID,
    })),
    online: new Uint8Array(n),
    active: new Uint8Array(n),
    present: new Uint8Array(n).fill(1),
    onlineCount: 0,
    mapsLock: spinLockInit("cpu_add_remove_lock"),
    stateLock: spinLockInit("cpuhp_state_mutex"),
    arch: null,
    threads: false,
  };
  installStaticStates(s);
  return s;
});

// SIMPLIFICATION: the kernel's mutexes here (cpu_add_remove_lock,
// cpuhp_state_mutex) are modelled as spinlocks; nothing sleeps in the model.

/** The static states (`cpuhp_hp_states[]`) the model keeps, with their kernel names. */
function installStaticStates(s: HotplugState): void {
  const set = (
    state: number,
    name: string,
    startup: CpuhpCallback | null,
    teardown: CpuhpCallback | null,
  ) => {
    s.steps[state] = cpuhpStepOf(name, startup, teardown);
  };
  set(CPUHP.OFFLINE, "offline", null, null);
  set(CPUHP.CREATE_THREADS, "threads:prepare", smpbootCreateThreads, null);
  set(CPUHP.WORKQUEUE_PREP, "workqueue:prepare", null, null);
  set(CPUHP.RCUTREE_PREP, "RCU/tree:prepare", null, null);
  set(CPUHP.TIMERS_PREPARE, "timers:prepare", null, null);
  set(CPUHP.BRINGUP_CPU, "cpu:bringup", bringupCpu, null);
  set(CPUHP.AP_IDLE_DEAD, "idle:dead", null, null);
  set(CPUHP.AP_OFFLINE, "ap:offline", null, null);
  set(CPUHP.AP_SCHED_STARTING, "sched:starting", null, null);
  set(CPUHP.AP_RCUTREE_DYING, "RCU/tree:dying", null, null);
  set(CPUHP.AP_ONLINE, "ap:online", null, null);
  set(CPUHP.TEARDOWN_CPU, "cpu:teardown", null, takedownCpu);
  set(CPUHP.AP_ONLINE_IDLE, "ap:online-idle", null, null);
  set(CPUHP.AP_SMPBOOT_THREADS, "smpboot/threads:online", null, null);
  set(CPUHP.AP_WORKQUEUE_ONLINE, "workqueue:online", null, null);
  set(CPUHP.AP_RCUTREE_ONLINE, "RCU/tree:online", null, null);
  set(CPUHP.AP_ACTIVE, "sched:active", schedCpuActivate, schedCpuDeactivate);
  set(CPUHP.ONLINE, "online", null, null);
}

function hp(k: Kernel): HotplugState {
  return k.slot(HOTPLUG);
}

/** Install the architecture's hooks (smp_prepare_cpus time). */
export function setCpuhpArch(k: Kernel, arch: CpuhpArch): void {
  hp(k).arch = arch;
}

export function cpuhpState(k: Kernel, cpu: number): CpuhpCpuState {
  const st = hp(k).cpus[cpu];
  if (st === undefined) throw new RangeError(`no CPU ${cpu}`);
  return st;
}

/** The step of a state (read-only view for inspection and tests). */
export function cpuhpStep(k: Kernel, state: number): Readonly<CpuhpStep> | undefined {
  return hp(k).steps[state];
}

/** `cpu_online(cpu)`. */
export function cpuOnline(k: Kernel, cpu: number): boolean {
  return hp(k).online[cpu] === 1;
}

/** `cpu_active(cpu)`. */
export function cpuActive(k: Kernel, cpu: number): boolean {
  return hp(k).active[cpu] === 1;
}

/** `num_online_cpus()`. */
export function numOnlineCpus(k: Kernel): number {
  return hp(k).onlineCount;
}

/** `set_cpu_online()`. */
export function setCpuOnline(k: Kernel, cpu: number, online: boolean): void {
  const s = hp(k);
  const was = s.online[cpu] === 1;
  if (was === online) return;
  s.online[cpu] = online ? 1 : 0;
  s.onlineCount += online ? 1 : -1;
}

/** The hotplug locks (for leak checks: neither may be held when nothing runs). */
export function cpuhpLocks(k: Kernel): readonly Spinlock[] {
  const s = hp(k);
  return [s.mapsLock, s.stateLock];
}

/** Models `boot_cpu_init()` + `boot_cpu_hotplug_init()`: the boot CPU is online, active, at CPUHP_ONLINE. */
export function bootCpuInit(k: Kernel, cpu: number, idle: TaskStruct): void {
  const st = cpuhpState(k, cpu);
  st.state = CPUHP.ONLINE;
  st.target = CPUHP.ONLINE;
  st.idle = idle;
  setCpuOnline(k, cpu, true);
  hp(k).active[cpu] = 1;
}

/** Models `idle_threads_init()` (kernel/smpboot.c): fork an idle task for every other CPU. */
export function idleThreadsInit(k: Kernel, bootCpu: number): void {
  const s = hp(k);
  for (let cpu = 0; cpu < s.cpus.length; cpu++) {
    if (cpu !== bootCpu && s.cpus[cpu]!.idle === null) s.cpus[cpu]!.idle = forkIdle(k, cpu);
  }
}

/** Models `cpuhp_threads_init()`: the boot CPU's hotplug thread; the others' come with CPUHP_CREATE_THREADS. */
export function cpuhpThreadsInit(k: Kernel, bootCpu: number): void {
  const s = hp(k);
  s.threads = true;
  const st = s.cpus[bootCpu]!;
  if (st.thread === null) st.thread = createKthread(k, `cpuhp/${bootCpu}`);
}

/** Models `smpboot_create_threads()` (CPUHP_CREATE_THREADS): the CPU's hotplug thread, once. */
// biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
function* smpbootCreateThreads(c: Ctx, cpu: number): KGen<number> {
  const st = cpuhpState(c.k, cpu);
  if (st.thread === null) st.thread = createKthread(c.k, `cpuhp/${cpu}`);
  return 0;
}

/** Models `sched_cpu_activate()` (CPUHP_AP_ACTIVE startup). */
// biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
function* schedCpuActivate(c: Ctx, cpu: number): KGen<number> {
  hp(c.k).active[cpu] = 1;
  return 0;
}

/** Models `sched_cpu_deactivate()`. */
// biome-ignore lint/correctness/useYield: a kernel function with no visible operation is still a generator
function* schedCpuDeactivate(c: Ctx, cpu: number): KGen<number> {
  hp(c.k).active[cpu] = 0;
  return 0;
}

/** `cpuhp_is_ap_state()`: runs on the target CPU. */
export function cpuhpIsApState(state: number): boolean {
  return state > CPUHP.BRINGUP_CPU && state !== CPUHP.TEARDOWN_CPU;
}

/**
 * Run `fn` on `cpu` as `task`: inline when that is the current CPU, otherwise
 * as a task spawned on that CPU (once it is idle) while this CPU waits for it.
 */
export function* runOnCpu<T>(
  c: Ctx,
  cpu: number,
  task: TaskStruct,
  fn: (c: Ctx) => KGen<T>,
): KGen<T> {
  const target = c.k.machine.cpu(cpu);
  const ctx: Ctx = { k: c.k, cpu: target, current: task };
  if (cpu === c.cpu.id) return yield* fn(ctx);
  yield* waitUntil(c.cpu, () => !target.busy, target);
  const box: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  c.k.machine.spawn(
    cpu,
    (function* () {
      box.value = yield* fn(ctx);
      box.done = true;
    })(),
  );
  yield* waitUntil(c.cpu, () => box.done, box);
  return box.value as T;
}

/**
 * Models `cpuhp_invoke_callback(cpu, state, bringup)`: the state's startup or
 * teardown, on the CPU `c` runs on. A state with no callback succeeds; an
 * injected failure (`st.fail`) returns -EAGAIN before the callback, as the
 * kernel's fail injection does.
 */
export const cpuhpInvokeCallback = kfunc(
  { name: "cpuhp_invoke_callback", file: "kernel/cpu.c", size: 0x2c0 },
  function* (c: Ctx, cpu: number, state: number, bringup: boolean): KGen<number> {
    const st = cpuhpState(c.k, cpu);
    const step = hp(c.k).steps[state];
    const cb = bringup ? step?.startup : step?.teardown;
    // The sysfs `fail` knob, or a checker's choice (as a "cpuhp/NAME" failure
    // site) for a state with a callback: the knob accepts only those.
    if (
      st.fail === state ||
      (cb !== null && cb !== undefined && runChoices(c.k).failAllocation(`cpuhp/${step?.name}`))
    ) {
      st.fail = CPUHP.INVALID;
      return -11;
    }
    if (cb === null || cb === undefined) return 0;
    return yield* cb(c, cpu);
  },
);

/** Run states upward (bringup) or downward from `st.state` to `target`; stop at the first error. */
function* invokeRange(
  c: Ctx,
  cpu: number,
  st: CpuhpCpuState,
  bringup: boolean,
  target: number,
): KGen<number> {
  for (;;) {
    let state: number;
    if (bringup) {
      if (st.state >= target) return 0;
      state = ++st.state;
    } else {
      if (st.state <= target) return 0;
      state = st.state--;
    }
    const ret = yield* cpuhpInvokeCallback(c, cpu, state, bringup);
    if (ret !== 0) return ret;
  }
}

/**
 * `cpuhp_reset_state()` + the undo pass: after a failed step, walk back to
 * `prev` running the opposite callbacks of the states that completed (the
 * failing one itself is not undone).
 */
function* rollback(
  c: Ctx,
  cpu: number,
  st: CpuhpCpuState,
  bringup: boolean,
  prev: number,
): KGen<void> {
  if (bringup) st.state--;
  else st.state++;
  st.target = prev;
  // Undo callbacks must not fail (the kernel WARNs); their result is ignored.
  yield* invokeRange(c, cpu, st, !bringup, prev);
}

/**
 * The ONLINE-section states on `cpu` in its hotplug thread (`cpuhp_kick_ap`
 * + `cpuhp_thread_fun`): run toward `target`; on failure roll back to where
 * the CPU was and return the error.
 */
function* cpuhpKickAp(c: Ctx, cpu: number, st: CpuhpCpuState, target: number): KGen<number> {
  const prev = st.state;
  st.target = target;
  const thread = st.thread ?? st.idle!;
  return yield* runOnCpu(c, cpu, thread, function* (ap: Ctx): KGen<number> {
    const bringup = target > st.state;
    const ret = yield* invokeRange(ap, cpu, st, bringup, target);
    if (ret !== 0) yield* rollback(ap, cpu, st, bringup, prev);
    return ret;
  });
}

/**
 * Models `bringup_cpu()` (CPUHP_BRINGUP_CPU startup, on the control CPU):
 * `__cpu_up` kicks the CPU, which runs its STARTING states and reaches
 * CPUHP_AP_ONLINE_IDLE on its own; then the ONLINE states run in its hotplug
 * thread (`bringup_wait_for_ap` → `cpuhp_kick_ap`).
 */
const bringupCpu = kfunc(
  { name: "bringup_cpu", file: "kernel/cpu.c", size: 0x150 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const s = hp(c.k);
    const st = s.cpus[cpu]!;
    if (s.arch === null) throw new Error("cpu_up: no architecture hooks installed");
    const ret = yield* s.arch.cpuUp(c, cpu, st.idle!);
    if (ret !== 0) return ret;
    // bringup_wait_for_ap: the AP reports CPUHP_AP_ONLINE_IDLE.
    yield* waitUntil(c.cpu, () => st.state === CPUHP.AP_ONLINE_IDLE, st);
    if (!cpuOnline(c.k, cpu)) return -ECANCELED;
    if (st.target <= CPUHP.AP_ONLINE_IDLE) return 0;
    return yield* cpuhpKickAp(c, cpu, st, st.target);
  },
);

/**
 * Models `notify_cpu_starting()` and `cpuhp_online_idle()` on the incoming CPU
 * (called from the arch's start_secondary in its idle task): the STARTING
 * states up to CPUHP_AP_ONLINE, online, then CPUHP_AP_ONLINE_IDLE.
 */
export const notifyCpuStarting = kfunc(
  { name: "notify_cpu_starting", file: "kernel/cpu.c", size: 0xb0 },
  function* (c: Ctx, cpu: number): KGen<void> {
    const st = cpuhpState(c.k, cpu);
    const target = Math.min(st.target, CPUHP.AP_ONLINE);
    // STARTING callbacks must not fail (WARN_ON_ONCE in the kernel).
    for (;;) {
      const ret = yield* invokeRange(c, cpu, st, true, target);
      if (ret === 0) break;
    }
  },
);

/** Models `cpuhp_online_idle()`: the incoming CPU reached its idle loop. */
export function cpuhpOnlineIdle(k: Kernel, cpu: number): void {
  const st = cpuhpState(k, cpu);
  if (st.state < CPUHP.AP_ONLINE) return;
  st.state = CPUHP.AP_ONLINE_IDLE;
}

/**
 * Models `take_cpu_down()` (on the dying CPU, under stop_machine): disable it
 * in the arch, run the STARTING teardowns, then it reports idle-dead.
 */
const takeCpuDown = kfunc(
  { name: "take_cpu_down", file: "kernel/cpu.c", size: 0xd0 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const s = hp(c.k);
    const st = s.cpus[cpu]!;
    const err = yield* s.arch!.cpuDisable(c);
    if (err < 0) return err;
    yield* invokeRange(c, cpu, st, false, Math.max(st.target, CPUHP.AP_OFFLINE));
    // cpuhp_report_idle_dead from the idle loop.
    st.state = CPUHP.AP_IDLE_DEAD;
    return 0;
  },
);

/** Models `takedown_cpu()` (CPUHP_TEARDOWN_CPU teardown, on the control CPU). */
const takedownCpu = kfunc(
  { name: "takedown_cpu", file: "kernel/cpu.c", size: 0x1a0 },
  function* (c: Ctx, cpu: number): KGen<number> {
    const s = hp(c.k);
    const st = s.cpus[cpu]!;
    // stop_machine_cpuslocked(take_cpu_down, cpumask_of(cpu)).
    const err = yield* runOnCpu(c, cpu, st.idle!, (ap) => takeCpuDown(ap, cpu));
    if (err !== 0) return err;
    yield* s.arch!.cpuDie(c, cpu);
    return 0;
  },
);

/** Models `_cpu_up()`. */
const _cpuUp = kfunc(
  { name: "_cpu_up", file: "kernel/cpu.c", size: 0x240 },
  function* (c: Ctx, cpu: number, target: number): KGen<number> {
    const st = cpuhpState(c.k, cpu);
    if (st.state >= target) return 0;
    if (st.state === CPUHP.OFFLINE && st.idle === null) st.idle = forkIdle(c.k, cpu);
    const prev = st.state;
    st.target = target;
    // A CPU already in the ONLINE section only needs its thread kicked.
    if (st.state > CPUHP.BRINGUP_CPU) return yield* cpuhpKickAp(c, cpu, st, target);
    const ret = yield* invokeRange(c, cpu, st, true, Math.min(target, CPUHP.BRINGUP_CPU));
    if (ret !== 0 && st.state <= CPUHP.BRINGUP_CPU) {
      // can_rollback_cpu(): only before the CPU runs on its own.
      yield* rollback(c, cpu, st, true, prev);
    }
    return ret;
  },
);

/**
 * Models `cpu_up(cpu, CPUHP_ONLINE)` (add_cpu): bring a present, offline CPU
 * online. Returns 0 or -errno; a failing ONLINE-section callback leaves the
 * CPU at CPUHP_AP_ONLINE_IDLE (online but not active), as in the kernel.
 */
export const cpuUp = kfunc(
  { name: "cpu_up", file: "kernel/cpu.c", size: 0x120 },
  function* (c: Ctx, cpu: number, target: number = CPUHP.ONLINE): KGen<number> {
    const s = hp(c.k);
    if (cpu < 0 || cpu >= s.cpus.length || s.present[cpu] !== 1) return -EINVAL;
    yield* spinLock(c, s.mapsLock);
    const ret = yield* _cpuUp(c, cpu, target);
    yield* spinUnlock(c, s.mapsLock);
    return ret;
  },
);

/** Models `_cpu_down()`. */
const _cpuDown = kfunc(
  { name: "_cpu_down", file: "kernel/cpu.c", size: 0x300 },
  function* (c: Ctx, cpu: number, target: number): KGen<number> {
    const s = hp(c.k);
    if (s.onlineCount === 1) return -EBUSY;
    const st = s.cpus[cpu]!;
    const prev = st.state;
    st.target = target;
    if (st.state > CPUHP.TEARDOWN_CPU) {
      const ret = yield* cpuhpKickAp(c, cpu, st, Math.max(target, CPUHP.TEARDOWN_CPU));
      if (ret !== 0) return ret;
      if (st.state > CPUHP.TEARDOWN_CPU) return 0;
      st.target = target;
    }
    const ret = yield* invokeRange(c, cpu, st, false, target);
    if (ret !== 0 && st.state < prev && st.state === CPUHP.TEARDOWN_CPU) {
      yield* cpuhpKickAp(c, cpu, st, prev);
    }
    return ret;
  },
);

/**
 * Models `cpu_down(cpu)` (remove_cpu): take an online CPU offline. The last
 * online CPU cannot go (-EBUSY).
 */
export const cpuDown = kfunc(
  { name: "cpu_down", file: "kernel/cpu.c", size: 0x100 },
  function* (c: Ctx, cpu: number, target: number = CPUHP.OFFLINE): KGen<number> {
    const s = hp(c.k);
    if (cpu < 0 || cpu >= s.cpus.length || s.present[cpu] !== 1) return -EINVAL;
    if (!cpuOnline(c.k, cpu)) return 0;
    yield* spinLock(c, s.mapsLock);
    const ret = yield* _cpuDown(c, cpu, target);
    yield* spinUnlock(c, s.mapsLock);
    return ret;
  },
);

/** Models `cpuhp_reserve_state()`: the first free dynamic slot, or -ENOSPC. */
function cpuhpReserveState(s: HotplugState, state: number): number {
  let end: number;
  if (state === CPUHP.AP_ONLINE_DYN) end = CPUHP.AP_ONLINE_DYN_END;
  else if (state === CPUHP.BP_PREPARE_DYN) end = CPUHP.BP_PREPARE_DYN_END;
  else return -EINVAL;
  for (let i = state; i <= end; i++) if (s.steps[i]!.name === null) return i;
  // SIMPLIFICATION: the kernel WARNs "No more dynamic states available for CPU hotplug" here.
  return -ENOSPC;
}

/** Models `cpuhp_issue_call()`: one CPU's callback for a state being installed or removed. */
function* cpuhpIssueCall(c: Ctx, cpu: number, state: number, bringup: boolean): KGen<number> {
  const s = hp(c.k);
  const st = s.cpus[cpu]!;
  if (cpuhpIsApState(state)) {
    // cpuhp_invoke_ap_callback: nothing for an offline CPU; without hotplug
    // threads yet, directly in the caller's context.
    if (!cpuOnline(c.k, cpu)) return 0;
    if (st.thread === null || !s.threads) return yield* cpuhpInvokeCallback(c, cpu, state, bringup);
    return yield* runOnCpu(c, cpu, st.thread, (ap) => cpuhpInvokeCallback(ap, cpu, state, bringup));
  }
  return yield* cpuhpInvokeCallback(c, cpu, state, bringup);
}

/**
 * Models `__cpuhp_setup_state(state, name, invoke=true, startup, teardown)`
 * (`cpuhp_setup_state`): install the callbacks (a dynamic slot for
 * CPUHP_AP_ONLINE_DYN / CPUHP_BP_PREPARE_DYN) and run `startup` for every
 * present CPU already at or past the state, each on its CPU. If one fails,
 * `teardown` runs on the CPUs before it that ran startup
 * (`cpuhp_rollback_install`), the state is uninstalled and the error returned.
 * Returns the dynamic state number (> 0) for a dynamic request, else 0.
 */
export const cpuhpSetupState = kfunc(
  { name: "__cpuhp_setup_state_cpuslocked", file: "kernel/cpu.c", size: 0x2a0 },
  function* (
    c: Ctx,
    state: number,
    name: string,
    startup: CpuhpCallback | null,
    teardown: CpuhpCallback | null,
  ): KGen<number> {
    const s = hp(c.k);
    yield* spinLock(c, s.stateLock);
    const dynamic = state === CPUHP.AP_ONLINE_DYN || state === CPUHP.BP_PREPARE_DYN;
    let ret = 0;
    if (dynamic) {
      const slot = cpuhpReserveState(s, state);
      if (slot < 0) ret = slot;
      else state = slot;
    } else if (state < 0 || state >= s.steps.length) {
      ret = -EINVAL;
    } else if (
      s.steps[state]!.name !== null &&
      (s.steps[state]!.startup || s.steps[state]!.teardown)
    ) {
      ret = -EBUSY;
    }
    if (ret === 0) {
      s.steps[state] = cpuhpStepOf(name, startup, teardown);
      if (startup !== null) {
        for (let cpu = 0; cpu < s.cpus.length; cpu++) {
          if (s.present[cpu] !== 1 || s.cpus[cpu]!.state < state) continue;
          ret = yield* cpuhpIssueCall(c, cpu, state, true);
          if (ret !== 0) {
            if (teardown !== null) yield* cpuhpRollbackInstall(c, cpu, state);
            s.steps[state] = cpuhpStepOf(null, null, null);
            break;
          }
        }
      }
    }
    yield* spinUnlock(c, s.stateLock);
    if (ret === 0 && dynamic) return state;
    return ret;
  },
);

/** Models `cpuhp_rollback_install()`: teardown on the CPUs below `failedCpu` that ran startup. */
function* cpuhpRollbackInstall(c: Ctx, failedCpu: number, state: number): KGen<void> {
  const s = hp(c.k);
  for (let cpu = 0; cpu < failedCpu; cpu++) {
    if (s.present[cpu] !== 1 || s.cpus[cpu]!.state < state) continue;
    yield* cpuhpIssueCall(c, cpu, state, false);
  }
}

/**
 * Models `__cpuhp_remove_state(state, invoke=true)` (`cpuhp_remove_state`):
 * run teardown on every CPU at or past the state, then uninstall it.
 */
export const cpuhpRemoveState = kfunc(
  { name: "__cpuhp_remove_state_cpuslocked", file: "kernel/cpu.c", size: 0x1c0 },
  function* (c: Ctx, state: number): KGen<void> {
    const s = hp(c.k);
    yield* spinLock(c, s.stateLock);
    const step = s.steps[state];
    if (step !== undefined && step.teardown !== null) {
      for (let cpu = 0; cpu < s.cpus.length; cpu++) {
        if (s.present[cpu] !== 1 || s.cpus[cpu]!.state < state) continue;
        yield* cpuhpIssueCall(c, cpu, state, false);
      }
    }
    if (step !== undefined) s.steps[state] = cpuhpStepOf(null, null, null);
    yield* spinUnlock(c, s.stateLock);
  },
);

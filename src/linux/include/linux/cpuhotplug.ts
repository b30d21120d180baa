/**
 * `enum cpuhp_state` (include/linux/cpuhotplug.h, v6.2): a subset with the
 * kernel's order and section boundaries. The PREPARE section (up to
 * CPUHP_BRINGUP_CPU) runs on a control CPU, the STARTING section
 * (CPUHP_AP_OFFLINE .. CPUHP_AP_ONLINE) on the incoming/dying CPU with
 * interrupts off, the ONLINE section (after CPUHP_AP_ONLINE_IDLE) on the CPU
 * in its hotplug thread.
 *
 * SIMPLIFICATION: states of subsystems the model lacks are left out, so the
 * numeric values differ from a real build's (they depend on its config too).
 */
export const CPUHP = {
  INVALID: -1,
  OFFLINE: 0,
  CREATE_THREADS: 1,
  WORKQUEUE_PREP: 2,
  RCUTREE_PREP: 3,
  TIMERS_PREPARE: 4,
  BP_PREPARE_DYN: 5,
  BP_PREPARE_DYN_END: 25,
  BRINGUP_CPU: 26,
  AP_IDLE_DEAD: 27,
  AP_OFFLINE: 28,
  AP_SCHED_STARTING: 29,
  AP_RCUTREE_DYING: 30,
  AP_ONLINE: 31,
  TEARDOWN_CPU: 32,
  AP_ONLINE_IDLE: 33,
  AP_SMPBOOT_THREADS: 34,
  AP_WORKQUEUE_ONLINE: 35,
  AP_RCUTREE_ONLINE: 36,
  /** The first of the dynamic online states `cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, ...)` allocates. */
  AP_ONLINE_DYN: 37,
  /** CPUHP_AP_ONLINE_DYN + 30 at v6.2: 31 dynamic slots, both ends included. */
  AP_ONLINE_DYN_END: 67,
  AP_ACTIVE: 68,
  ONLINE: 69,
} as const;
export type CpuhpState = number;

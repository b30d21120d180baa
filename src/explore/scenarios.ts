/**
 * The built-in scenarios (docs/scenarios.md describes the format). Targets
 * are words of do_one_initcall's text: modelled kernel text, present on
 * every configuration, never executed by the model itself.
 */
import { parseScenario, type Scenario } from "./scenario.ts";

const T = "do_one_initcall";

const BUILTIN = [
  {
    name: "boot",
    description:
      "boot: poking_init, the code-patching selftests and kprobes registration, every CPU that comes up",
    boot: true,
  },
  {
    name: "concurrent-patch",
    description: "every CPU patches a word of its own, then all patch the same word",
    minCpus: 2,
    threads: [
      {
        cpu: "each",
        actions: [
          { patch: `${T}+0x40`, insn: "0x60000000", stride: 4 },
          { patch: `${T}+0x80`, insn: "0x7fe00008" },
        ],
      },
    ],
  },
  {
    name: "patch-same-word",
    description:
      "every CPU patches the same word with the same instruction (CPUs 1.. play one role)",
    minCpus: 2,
    threads: [{ cpu: "each", actions: [{ patch: `${T}+0x80`, insn: "0x60000000" }] }],
  },
  {
    name: "patch-in-irq",
    description: "CPU 0 patches; an interrupt on CPU 0 patches another word in its handler",
    minCpus: 1,
    threads: [{ cpu: 0, actions: [{ patch: `${T}+0x40`, insn: "0x60000000" }] }],
    irq: { cpu: 0, actions: [{ patch: `${T}+0x44`, insn: "0x7fe00008" }] },
  },
  {
    name: "patch-vs-hotplug",
    description: "CPU 1 patches while CPU 0 takes CPU 1 down and brings it back up",
    minCpus: 2,
    threads: [
      { cpu: 0, actions: [{ "cpu-down": 1 }, { "cpu-up": 1 }] },
      { cpu: 1, actions: [{ patch: `${T}+0x40`, insn: "0x60000000" }] },
      { cpu: 2, actions: [{ patch: `${T}+0x48`, insn: "0x60000000" }] },
      { cpu: 3, actions: [{ patch: `${T}+0x50`, insn: "0x60000000" }] },
    ],
  },
  {
    name: "execute-vs-patch",
    description:
      "CPU 0 patches a word and a prefixed pair while CPU 1 executes them through its icache",
    minCpus: 2,
    threads: [
      {
        cpu: 0,
        actions: [
          { patch: `${T}+0x40`, insn: "0x7fe00008" },
          { patch: `${T}+0x60`, insn: "0x06000000:0x38600000" },
        ],
      },
      {
        cpu: 1,
        actions: [
          { execute: `${T}+0x40` },
          { execute: `${T}+0x40` },
          { execute: `${T}+0x60` },
          { execute: `${T}+0x60` },
        ],
      },
    ],
  },
  {
    name: "jump-label-vs-execute",
    description:
      "CPU 0 enables a static key and runs the compiled function behind it, while CPUs 1.. run it, enable the key too (back once it is on) and run it again",
    minCpus: 2,
    requires: ["JUMP_LABEL"],
    threads: [
      {
        cpu: 0,
        actions: [
          { "static-key-enable": "textpoke_false_key" },
          { call: "static_branch_demo", args: [1] },
        ],
      },
      ...[1, 2, 3].map((cpu) => ({
        cpu,
        actions: [
          { call: "static_branch_demo", args: [1] },
          // Returns at once if the key is on, else waits for jump_label_mutex.
          { "static-key-enable": "textpoke_false_key" },
          { call: "static_branch_demo", args: [1] },
        ],
      })),
    ],
  },
  {
    name: "ftrace-enable",
    description:
      "CPU 0 starts the function tracer on ftrace_demo_leaf (its mcount site nop → bl ftrace_caller, ftrace_call → the tracer) while CPU 1 calls it",
    minCpus: 2,
    requires: ["FUNCTION_TRACER"],
    threads: [
      { cpu: 0, actions: [{ "ftrace-enable": "ftrace_demo_leaf" }] },
      // One call of the leaf: exhaustive on 2 CPUs (7,813 executions); a call of
      // ftrace_demo_caller (two traced calls) is past 100,000.
      { cpu: 1, actions: [{ call: "ftrace_demo_leaf", args: [2] }] },
    ],
  },
  {
    name: "prefixed-vs-execute",
    description:
      "CPU 0 patches a prefixed instruction of POWER10-compiled code (paddi) while CPUs 1.. execute it",
    minCpus: 2,
    threads: [
      // paddi r3,r3,0x12345678 (GCC's, at prefixed_demo+0xc) → paddi r3,r3,1.
      { cpu: 0, actions: [{ patch: "prefixed_demo+0xc", insn: "0x06000000:0x38630001" }] },
      ...[1, 2, 3].map((cpu) => ({
        cpu,
        actions: [{ execute: "prefixed_demo+0xc" }, { execute: "prefixed_demo+0xc" }],
      })),
    ],
  },
  {
    name: "kprobe-hit",
    description:
      "register a kprobe on compiled code (crc32_le), run it so the probe fires, unregister it",
    minCpus: 1,
    requires: ["KPROBES"],
    threads: [
      {
        cpu: 0,
        actions: [{ kprobe: "crc32_le" }, { call: "crc32_le", args: [0, "crc32_le", 16] }],
      },
    ],
  },
  {
    name: "kretprobe-vs-hotplug",
    description:
      "CPU 1 registers a kretprobe on crc32_le, calls it and unregisters it while CPU 2 calls it too and CPU 0 takes CPU 2 down and back up",
    minCpus: 3,
    requires: ["KPROBES"],
    threads: [
      { cpu: 0, actions: [{ "cpu-down": 2 }, { "cpu-up": 2 }] },
      {
        cpu: 1,
        actions: [{ kretprobe: "crc32_le" }, { call: "crc32_le", args: [0, "crc32_le", 16] }],
      },
      // One byte (the probed word's first, trap or not): the schedules grow about
      // fourfold per byte this call checksums while the probe is armed and disarmed.
      { cpu: 2, actions: [{ call: "crc32_le", args: [0, "crc32_le", 1] }] },
    ],
  },
  {
    name: "module-text",
    description: "load a module, patch its text, unload it",
    minCpus: 1,
    requires: ["MODULES"],
    threads: [
      {
        cpu: 0,
        actions: [
          { "module-load": "textpoke_demo" },
          // li r9,1 → li r9,2: the exit function still runs, storing another value.
          { patch: "textpoke_demo:cleanup_module+0x8", insn: "0x39200002" },
          { "module-unload": "textpoke_demo" },
        ],
      },
    ],
  },
] as const;

/** The built-in scenarios for a machine of `cpus` CPUs. */
export function builtinScenarios(cpus: number): Scenario[] {
  return BUILTIN.map((s) => parseScenario(s, "built-in", cpus));
}

/** A built-in scenario by name, or undefined. */
export function builtinScenario(name: string, cpus: number): Scenario | undefined {
  return builtinScenarios(cpus).find((s) => s.name === name);
}

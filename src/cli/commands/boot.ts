/** `textpoke boot`: boot the simulated kernel and print its log. */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { boot } from "../../api/boot.ts";
import { parseCount } from "../../api/parse.ts";
import { EXIT, UserError } from "../../util/user-error.ts";
import { loadVariant } from "../load-variant.ts";
import type { Io } from "../main.ts";
import { collect, readConfigFile } from "./config-input.ts";

/** `--module` value: a path (has a `/` or ends in `.o`/`.ko`) is read; anything else is a built-in name. */
function moduleArg(arg: string): string | { name: string; bytes: Uint8Array } {
  if (!arg.includes("/") && !/\.k?o$/.test(arg)) return arg;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(arg));
  } catch (e) {
    throw new UserError(`--module: cannot read '${arg}': ${(e as Error).message}`);
  }
  return { name: basename(arg).replace(/\.k?o$/, ""), bytes };
}

/** Silent corruptions reported one per line; past that, a count. */
const MAX_REPORTS = 5;

export function bootCommand(io: Io, setStatus: (s: number) => void) {
  return new Command("boot")
    .description(
      "boot the simulated ppc64le PowerNV kernel and print its dmesg (exit 1 if it panics)",
    )
    .option("--config <file>", "a .config file; symbols it does not set keep textpoke's defaults")
    .option(
      "--set <CONFIG_X=V>",
      "set one symbol (repeatable), e.g. --set CONFIG_DEBUG_VM=y",
      collect,
      [] as string[],
    )
    .option("--cpus <n>", "number of CPUs, 1..CONFIG_NR_CPUS", "2")
    .option(
      "--mmu <radix|hash>",
      "the MMU the kernel uses (hash adds disable_radix to the command line)",
    )
    .option(
      "--variant <commit|alias|file>",
      "code-patching variant: a built-in commit or alias (see `textpoke variants`) or a module file",
      "980411a4d1bb",
    )
    .option("--seed <n>", "seed of the run's random numbers", "0")
    .option("--hotplug <n>", "cycle every secondary CPU down and up N times before /init", "0")
    .option(
      "--kprobe <symbol[+offset]>",
      "plant a kprobe (the kprobe_example sample's handlers) right after init_kprobes; each hit prints in dmesg, the hit counts on stderr (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--kretprobe <symbol>",
      "plant a return probe (the kretprobe_example sample's handlers) on a function right after init_kprobes; each return prints its value and duration in dmesg, the counts on stderr (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--module <name|file.o>",
      "load a module late in boot (a late initcall, as init's modprobe would): a built-in one by name (textpoke_demo) or a ppc64le relocatable object with a .stubs section (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--static-key <NAME=on|off>",
      "static_key_enable/static_key_disable a static key of the kernel from an early initcall (patching its jump-label sites); its sites' instructions on stderr (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--ftrace <function>",
      "trace a function with the function tracer from boot (ftrace=function ftrace_filter=...; needs --set CONFIG_FUNCTION_TRACER=y); the trace file is printed after the log (repeatable)",
      collect,
      [] as string[],
    )
    .addHelpText(
      "after",
      "\nExamples:\n  textpoke boot\n  textpoke boot --cpus 4 --mmu hash\n  textpoke boot --set CONFIG_DEBUG_VM=y --seed 7\n  textpoke boot --kprobe crc32_le --kprobe crc32_le+0x88\n  textpoke boot --kretprobe crc32_le\n  textpoke boot --module textpoke_demo\n  textpoke boot --static-key textpoke_false_key=on\n  textpoke boot --variant c28c15b6d28a --set CONFIG_DEBUG_VM=y   (the seed oops)\n",
    )
    .action(async (opts) => {
      const variant = await loadVariant(opts.variant);
      const configText = readConfigFile(opts.config);
      if (opts.mmu !== undefined && opts.mmu !== "radix" && opts.mmu !== "hash") {
        throw new UserError(`bad --mmu '${opts.mmu}': expected radix or hash`);
      }
      const cpus = parseCount(opts.cpus, "--cpus", 0, Number.MAX_SAFE_INTEGER);
      const r = boot({
        ...(configText !== undefined ? { configText } : {}),
        sets: opts.set,
        cpus,
        ...(opts.mmu !== undefined ? { mmu: opts.mmu as "radix" | "hash" } : {}),
        seed: parseCount(opts.seed, "--seed", 0, Number.MAX_SAFE_INTEGER),
        hotplug: parseCount(opts.hotplug, "--hotplug", 0, 1_000_000),
        variant,
        kprobes: opts.kprobe,
        ftrace: opts.ftrace,
        kretprobes: opts.kretprobe,
        modules: opts.module.map(moduleArg),
        staticKeys: opts.staticKey,
      });
      io.out(r.dmesg);
      // /sys/kernel/tracing/trace, after the log and an empty line.
      if (opts.ftrace.length !== 0 && r.trace !== null) io.out(`\n${r.trace}`);
      let probeFailed = false;
      for (const p of r.kprobes) {
        if (p.ret === 0) {
          const hits = `${p.hits} hit${p.hits === 1 ? "" : "s"}`;
          io.err(
            `textpoke: kprobe ${p.spec} at 0x${p.addr.toString(16)}: ${hits}, ${p.nmissed} missed\n`,
          );
          if (p.modelled && p.hits === 0) {
            io.err(
              `textpoke: note: ${p.spec.split("+")[0]} is modelled by the simulator, not run as machine code, so a probe on it never fires; probe a function of the compiled kernel objects (e.g. crc32_le)\n`,
            );
          }
        } else {
          probeFailed = true;
          io.err(
            p.ret === null
              ? `textpoke: kprobe ${p.spec} was not registered (the boot stopped first)\n`
              : `textpoke: kprobe ${p.spec} not registered: register_kprobe returned ${p.ret}\n`,
          );
        }
      }
      for (const p of r.kretprobes) {
        if (p.ret === 0) {
          io.err(
            `textpoke: kretprobe ${p.symbol} at 0x${p.addr.toString(16)}: ${p.entries} entered, ${p.returns} returned, ${p.nmissed} missed\n`,
          );
          if (p.modelled && p.entries === 0) {
            io.err(
              `textpoke: note: ${p.symbol} is modelled by the simulator, not run as machine code, so a probe on it never fires; probe a function of the compiled kernel objects (e.g. crc32_le)\n`,
            );
          }
        } else {
          probeFailed = true;
          io.err(
            p.ret === null
              ? `textpoke: kretprobe ${p.symbol} was not registered (the boot stopped first)\n`
              : `textpoke: kretprobe ${p.symbol} not registered: register_kretprobe returned ${p.ret}\n`,
          );
        }
      }
      for (const m of r.modules) {
        if (m.ret === 0) continue;
        probeFailed = true;
        io.err(
          m.ret === null
            ? `textpoke: module ${m.name} was not loaded (the boot stopped first)\n`
            : `textpoke: module ${m.name} not loaded: load_module returned ${m.ret}\n`,
        );
      }
      for (const key of r.staticKeys) {
        const sites = key.sites.map((s) => `${s.where}: ${s.insn}`);
        io.err(
          `textpoke: static key ${key.name}: ${key.enabled ? "enabled" : "disabled"}; ${sites.length} site${sites.length === 1 ? "" : "s"}: ${sites.join("; ")}\n`,
        );
      }
      // Silent in the kernel (no oops, nothing in the dmesg): said here.
      for (const s of r.simReports.slice(0, MAX_REPORTS)) {
        io.err(
          `textpoke: the kernel corrupted memory silently: ${s.kind} on CPU ${s.cpu}: ${s.message}\n`,
        );
      }
      if (r.simReports.length > MAX_REPORTS)
        io.err(`textpoke: ... and ${r.simReports.length - MAX_REPORTS} more such reports\n`);
      if (r.exitCode !== 0) {
        // A panic is in the dmesg; anything else that stopped the boot is not.
        if (r.kernel.systemState !== "panic" && r.run.status !== "done")
          io.err(`textpoke: boot stopped (${r.run.status}) after ${r.run.steps} steps\n`);
        setStatus(EXIT.FAILED);
      } else if (probeFailed) {
        // The kernel refused a requested probe (its -EINVAL/-ENOENT path, in dmesg).
        setStatus(EXIT.FAILED);
      }
    });
}

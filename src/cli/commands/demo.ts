/**
 * `textpoke demo`: the seed in one command — the kernel at c28c15b6d28a
 * oopses at boot with CONFIG_DEBUG_VM, the fix 980411a4d1bb boots.
 */
import { Command } from "@commander-js/extra-typings";
import { boot } from "../../api/boot.ts";
import { findVariant } from "../../api/variants.ts";
import { EXIT } from "../../util/user-error.ts";
import type { Io } from "../main.ts";

const SETS = ["CONFIG_DEBUG_VM=y"];

export function demoCommand(io: Io, setStatus: (s: number) => void) {
  return new Command("demo")
    .description(
      "boot the buggy c28c15b6d28a and the fixed 980411a4d1bb with CONFIG_DEBUG_VM (the seed)",
    )
    .action(() => {
      const bug = boot({ sets: SETS, cpus: 2, variant: findVariant("c28c15b6d28a") });
      const fix = boot({ sets: SETS, cpus: 2, variant: findVariant("980411a4d1bb") });
      const bugLines = bug.dmesg.trimEnd().split("\n");
      const cut = bugLines.findIndex((l) => l.includes("[ cut here ]"));
      io.out("$ textpoke boot --variant c28c15b6d28a --set CONFIG_DEBUG_VM=y --cpus 2\n");
      io.out(`${bugLines.slice(Math.max(0, cut - 3)).join("\n")}\n`);
      io.out(`(exit ${bug.exitCode})\n\n`);
      io.out("$ textpoke boot --variant 980411a4d1bb --set CONFIG_DEBUG_VM=y --cpus 2\n");
      const fixLines = fix.dmesg.trimEnd().split("\n");
      io.out(`...\n${fixLines.slice(-6).join("\n")}\n(exit ${fix.exitCode})\n\n`);
      io.out(
        "What you saw: at c28c15b6d28a patch_instruction() clears the PTE of the per-CPU patching mm\n" +
          "without holding its lock, so DEBUG_VM's assert_pte_locked() BUGs when kprobes first patch\n" +
          "text at boot; 980411a4d1bb takes the lock with get_locked_pte() and the kernel boots.\n",
      );
      const asExpected = bug.exitCode === 1 && fix.exitCode === 0;
      setStatus(asExpected ? EXIT.OK : EXIT.FAILED);
    });
}

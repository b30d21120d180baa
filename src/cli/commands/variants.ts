/** `textpoke variants`: the built-in code-patching variants. */
import { Command } from "@commander-js/extra-typings";
import { BUILTIN_VARIANTS, DEFAULT_VARIANT } from "../../api/variants.ts";
import type { Io } from "../main.ts";

export function variantsCommand(io: Io) {
  return new Command("variants")
    .description("list the built-in code-patching variants (kernel commits) for --variant")
    .action(() => {
      for (const v of BUILTIN_VARIANTS) {
        const names = [v.commit, ...v.aliases].join(", ");
        const mark = v === DEFAULT_VARIANT ? "  (default)" : "";
        io.out(
          `${v.commit}  ${v.subject}${mark}\n    --variant ${names.replaceAll(", ", " | ")}\n`,
        );
      }
    });
}

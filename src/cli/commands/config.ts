/** `textpoke config`: print the resolved .config. */
import { Command } from "@commander-js/extra-typings";
import { resolvedConfigText } from "../../api/config.ts";
import type { Io } from "../main.ts";
import { collect, readConfigFile } from "./config-input.ts";

export function configCommand(io: Io, _setStatus: (s: number) => void) {
  return new Command("config")
    .description("print the resolved kernel configuration (.config) after --config and --set")
    .option("--config <file>", "a .config file; symbols it does not set keep textpoke's defaults")
    .option(
      "--set <CONFIG_X=V>",
      "set one symbol (repeatable), e.g. --set CONFIG_DEBUG_VM=y",
      collect,
      [] as string[],
    )
    .action((opts) => {
      const configText = readConfigFile(opts.config);
      io.out(
        resolvedConfigText({ ...(configText !== undefined ? { configText } : {}), sets: opts.set }),
      );
    });
}

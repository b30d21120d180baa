/**
 * The entry point for `textpoke config`, `--config FILE` and `--set CONFIG_X=V`:
 * textpoke's defconfig, then the user's .config text, then the overrides in
 * order, resolved and checked. The caller reads files; everything here takes
 * text and returns a KernelConfig or throws a one-line UserError.
 */
import { UserError } from "../../../util/user-error.ts";
import { assignmentError, parseSetting, readConfig } from "./confdata.ts";
import { TEXTPOKE_DEFCONFIG } from "./defconfig.ts";
import { KernelConfig } from "./kernel-config.ts";
import { type Layer, resolveConfig } from "./resolve.ts";
import { SUPPORTED } from "./supported.ts";
import { CHOICES } from "./symbols.ts";

export interface ConfigInput {
  /** The text of a .config file (`--config FILE`). Symbols it does not name keep textpoke's defaults. */
  readonly configText?: string;
  /** `--set` arguments, each `CONFIG_X=V` with a .config value (`CONFIG_X=n` to switch one off). */
  readonly sets?: readonly string[];
}

/** Resolve a configuration; throws UserError with a one-line message on bad input. */
export function loadKernelConfig(input: ConfigInput = {}): KernelConfig {
  const layers: Layer[] = [
    { assignments: readConfig(TEXTPOKE_DEFCONFIG, "defconfig"), strict: false },
  ];
  if (input.configText !== undefined) {
    layers.push({ assignments: readConfig(input.configText, "file"), strict: true });
  }
  if (input.sets?.length) {
    layers.push({ assignments: input.sets.map(parseSetting), strict: true });
  }
  const resolved = resolveConfig(layers);
  const cfg = new KernelConfig(resolved);
  for (const { symbol, why } of SUPPORTED) {
    const v = resolved.values.get(symbol);
    if (v && "tri" in v && v.tri === 2) continue;
    const message = `${symbol} must be y: ${why}`;
    // Blame the last user line that set the symbol or another member of its choice.
    const related: readonly string[] = CHOICES.find((c) => c.members.includes(symbol))?.members ?? [
      symbol,
    ];
    const origin = layers
      .filter((l) => l.strict)
      .flatMap((l) => l.assignments)
      .filter((a) => related.includes(a.name))
      .pop()?.origin;
    throw origin
      ? assignmentError(origin, message)
      : new UserError(`bad configuration: ${message}`);
  }
  return cfg;
}

/** `textpoke config`: the resolved .config for a configuration request. */
import { loadKernelConfig } from "../linux/scripts/kconfig/load-config.ts";

export interface ConfigRequest {
  readonly configText?: string;
  readonly sets?: readonly string[];
}

/** The resolved configuration as .config text; bad input throws UserError. */
export function resolvedConfigText(req: ConfigRequest = {}): string {
  return loadKernelConfig({
    ...(req.configText !== undefined ? { configText: req.configText } : {}),
    ...(req.sets !== undefined ? { sets: req.sets } : {}),
  }).toText();
}

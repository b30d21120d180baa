/** The configuration options shared by `boot` and `config`: --config FILE and --set CONFIG_X=V. */
import { readFileSync } from "node:fs";
import { UserError } from "../../util/user-error.ts";

/** Commander collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Read `--config FILE`; an unreadable file is a one-line UserError. */
export function readConfigFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(
      `cannot read --config '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
}

/** The checker's invariants, in the order docs/invariants.md gives them. */
import { aliasPrivate } from "./alias-private.ts";
import type { Invariant } from "./invariant.ts";
import { lockDiscipline } from "./lock-discipline.ts";
import { noLeak } from "./no-leak.ts";
import { noOops } from "./no-oops.ts";
import { noStaleAlias } from "./no-stale-alias.ts";
import { memorySafety } from "./sim-reports.ts";

export const INVARIANTS: readonly Invariant[] = [
  lockDiscipline,
  aliasPrivate,
  noStaleAlias,
  noLeak,
  noOops,
  memorySafety,
];

export function invariantNames(): string[] {
  return INVARIANTS.map((i) => i.name);
}

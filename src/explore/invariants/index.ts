/**
 * The checker's invariants, in the order docs/invariants.md gives them.
 * Where two see the same step, the first in this list reports it: the
 * specific ones come before no-leak and no-oops, which see consequences.
 */
import { aliasBounds } from "./alias-bounds.ts";
import { aliasPrivate } from "./alias-private.ts";
import { icacheCoherent } from "./icache-coherent.ts";
import type { Invariant } from "./invariant.ts";
import { liveTarget } from "./live-target.ts";
import { lockDiscipline } from "./lock-discipline.ts";
import { mightSleep } from "./might-sleep.ts";
import { noLeak } from "./no-leak.ts";
import { noOops } from "./no-oops.ts";
import { noReentry } from "./no-reentry.ts";
import { noStaleAlias } from "./no-stale-alias.ts";
import { noTornPrefixed } from "./no-torn-prefixed.ts";
import { patchEffect } from "./patch-effect.ts";
import { memorySafety } from "./sim-reports.ts";
import { textWx } from "./text-wx.ts";

export const INVARIANTS: readonly Invariant[] = [
  lockDiscipline,
  aliasPrivate,
  noStaleAlias,
  textWx,
  aliasBounds,
  liveTarget,
  noReentry,
  noTornPrefixed,
  icacheCoherent,
  patchEffect,
  mightSleep,
  noLeak,
  noOops,
  memorySafety,
];

export function invariantNames(): string[] {
  return INVARIANTS.map((i) => i.name);
}

/**
 * Replay tokens: one execution as a short, copy-pasteable line —
 * `tp1.` and the base64url of a compact JSON array: textpoke version,
 * variant (a built-in's commit, or a module's path and content hash),
 * configuration (`--set`s, and a `--config` file's path and hash), CPUs,
 * MMU, scenario (a built-in's name, or a file's path and hash), seed,
 * injected failures, step bound, and the schedule as its deviations from
 * the default policy. A token made by another version, or naming a module
 * or file whose content changed, is refused.
 */
import { UserError } from "../util/user-error.ts";

export interface FileRef {
  readonly path: string;
  /** Hex digest of the file's content (see `contentHash`). */
  readonly hash: string;
}

export interface ReplaySpec {
  readonly version: string;
  readonly variant: string | FileRef;
  readonly sets: readonly string[];
  readonly config: FileRef | null;
  readonly cpus: number;
  readonly mmu: "radix" | "hash";
  readonly scenario: string | FileRef;
  readonly seed: number;
  readonly inject: { readonly alloc: boolean; readonly cpuhp: boolean };
  readonly maxSteps: number;
  /** Decision index → value, where the schedule leaves the default policy. */
  readonly deviations: readonly (readonly [number, number])[];
}

const PREFIX = "tp1.";

function b64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function unb64url(s: string): string {
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** FNV-1a (64-bit) of the bytes, as 16 hex digits: enough to tell a changed file. */
export function contentHash(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let h = 0xcbf29ce484222325n;
  for (const b of data) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  }
  return h.toString(16).padStart(16, "0");
}

const ref = (r: string | FileRef) => (typeof r === "string" ? r : [r.path, r.hash]);

export function encodeToken(s: ReplaySpec): string {
  const flat = [
    s.version,
    ref(s.variant),
    s.sets,
    s.config === null ? 0 : [s.config.path, s.config.hash],
    s.cpus,
    s.mmu === "hash" ? 1 : 0,
    ref(s.scenario),
    s.seed,
    (s.inject.alloc ? 1 : 0) | (s.inject.cpuhp ? 2 : 0),
    s.maxSteps,
    s.deviations.flat(),
  ];
  return PREFIX + b64url(JSON.stringify(flat));
}

function bad(why: string): never {
  throw new UserError(`bad replay token: ${why}`);
}

function fileRef(v: unknown, what: string): string | FileRef {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string")
    return { path: v[0], hash: v[1] };
  return bad(`${what} is malformed`);
}

const isInt = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Decode a token; `version` is this textpoke's (a token of another version is refused). */
export function decodeToken(token: string, version: string): ReplaySpec {
  const t = token.trim();
  if (!t.startsWith(PREFIX)) bad(`expected it to start with '${PREFIX}'`);
  let flat: unknown;
  try {
    flat = JSON.parse(unb64url(t.slice(PREFIX.length)));
  } catch {
    bad("it is not one this textpoke wrote (truncated or mistyped?)");
  }
  if (!Array.isArray(flat) || flat.length !== 11) bad("wrong shape");
  const [v, variant, sets, config, cpus, mmu, scenario, seed, inject, maxSteps, devs] = flat;
  if (typeof v !== "string") bad("no version");
  if (v !== version) bad(`made by textpoke ${v}, this is ${version}`);
  if (!Array.isArray(sets) || sets.some((x) => typeof x !== "string"))
    bad("settings are malformed");
  if (!isInt(cpus) || cpus < 1 || !isInt(seed) || !isInt(inject) || !isInt(maxSteps))
    bad("a number is malformed");
  if (!Array.isArray(devs) || devs.length % 2 !== 0 || devs.some((x) => !isInt(x)))
    bad("schedule is malformed");
  const deviations: [number, number][] = [];
  for (let i = 0; i < devs.length; i += 2)
    deviations.push([devs[i] as number, devs[i + 1] as number]);
  return {
    version: v,
    variant: fileRef(variant, "variant"),
    sets: sets as string[],
    config: config === 0 ? null : (fileRef(config, "config") as FileRef),
    cpus,
    mmu: mmu === 1 ? "hash" : "radix",
    scenario: fileRef(scenario, "scenario"),
    seed,
    inject: { alloc: (inject & 1) !== 0, cpuhp: (inject & 2) !== 0 },
    maxSteps,
    deviations,
  };
}

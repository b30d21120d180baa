/**
 * Resolution of a configuration: merge the assignments, compute every
 * symbol's value and check that each value the user asked for is the one it
 * gets. Models scripts/kconfig/symbol.c (sym_calc_value, sym_calc_visibility,
 * sym_calc_choice) for the symbols in symbols.ts.
 *
 * Where the kernel silently adjusts a .config (olddefconfig ignores a value
 * whose dependencies are unmet, clamps a number into its range, lets a
 * `select` override an explicit n), textpoke refuses with a one-line
 * UserError instead, as its plan asks: "Unknown symbol, bad value or violated
 * dependency: one-line error". Assignments from textpoke's own defconfig are
 * the exception: like a kernel defconfig they are suggestions that yield
 * silently to the user's settings.
 */
import { UserError } from "../../../util/user-error.ts";
import {
  type Assignment,
  assignmentError,
  type Origin,
  type RawValue,
  type Value,
} from "./confdata.ts";
import { type Expr, evalExpr, exprSymbols, parseExpr, type Tri } from "./expr.ts";
import {
  CHOICES,
  type ChoiceDef,
  isSymbolName,
  SYMBOLS,
  type SymbolDef,
  type SymbolName,
} from "./symbols.ts";

/** One source of assignments, applied in order; later layers override earlier ones. */
export interface Layer {
  readonly assignments: readonly Assignment[];
  /** User input (a .config file, --set): checked strictly. False for textpoke's defconfig. */
  readonly strict: boolean;
}

export interface Resolved {
  /** Every symbol's value; absent for a non-bool symbol that has none (unmet dependencies). */
  readonly values: ReadonlyMap<SymbolName, Value>;
  /** The symbols .config output lists (conf_write's SYMBOL_WRITE). */
  readonly written: ReadonlySet<SymbolName>;
}

interface UserValue {
  readonly value: Value;
  readonly origin: Origin;
  readonly strict: boolean;
  /** Position in the input (layers in order, lines in order), for reporting in input order. */
  readonly seq: number;
}

const TRI_TEXT = ["n", "m", "y"] as const;

const exprCache = new Map<string, Expr>();
function expr(text: string): Expr {
  let e = exprCache.get(text);
  if (!e) {
    e = parseExpr(text);
    exprCache.set(text, e);
  }
  return e;
}

const CHOICE_OF = new Map<SymbolName, ChoiceDef>(
  CHOICES.flatMap((c) => c.members.map((m) => [m, c] as const)),
);

/** selectedBy[X] = every `select X [if cond]` in the table, with the selecting symbol. */
const SELECTED_BY = new Map<string, { by: SymbolName; if?: string }[]>();
for (const [by, def] of Object.entries(SYMBOLS) as [SymbolName, SymbolDef][]) {
  for (const s of def.selects ?? []) {
    const list = SELECTED_BY.get(s.symbol) ?? [];
    list.push(s.if === undefined ? { by } : { by, if: s.if });
    SELECTED_BY.set(s.symbol, list);
  }
}

const TYPE_RULE: Readonly<Record<SymbolDef["type"], string>> = {
  bool: "is a bool (y or n)",
  tristate: "is a tristate (y, m or n)",
  int: "is an int (a decimal number)",
  hex: "is a hex number (like 0x1f)",
  string: 'is a string (in double quotes, like "text")',
};

/** Check a raw value against the symbol's type (sym_string_valid). */
function typedValue(name: SymbolName, raw: RawValue, origin: Origin): Value {
  const def = SYMBOLS[name] as SymbolDef;
  const bad = (): UserError => assignmentError(origin, `${name} ${TYPE_RULE[def.type]}`);
  switch (def.type) {
    case "bool":
      if (raw.form === "not-set") return { type: "bool", tri: 0 };
      if (raw.form === "tristate" && raw.tri !== 1) return { type: "bool", tri: raw.tri };
      throw bad();
    case "tristate":
      if (raw.form === "not-set") return { type: "tristate", tri: 0 };
      if (raw.form === "tristate") return { type: "tristate", tri: raw.tri };
      throw bad();
    case "int":
      if (raw.form === "int") return { type: "int", int: raw.int };
      throw bad();
    case "hex":
      if (raw.form === "hex") return { type: "hex", hex: raw.hex, text: raw.text.toLowerCase() };
      if (raw.form === "int" && raw.int >= 0) {
        return { type: "hex", hex: BigInt(raw.int), text: `0x${raw.int.toString(16)}` };
      }
      throw bad();
    case "string":
      if (raw.form === "string") return { type: "string", str: raw.str };
      throw bad();
  }
}

function literal(def: SymbolDef, text: string): Value {
  switch (def.type) {
    case "int":
      return { type: "int", int: Number(text) };
    case "hex":
      return { type: "hex", hex: BigInt(text), text };
    case "string":
      return { type: "string", str: text };
    default:
      throw new Error(`literal default for ${def.type}`);
  }
}

function sameValue(a: Value, b: Value): boolean {
  switch (a.type) {
    case "bool":
    case "tristate":
      return (b.type === "bool" || b.type === "tristate") && a.tri === b.tri;
    case "int":
      return b.type === "int" && a.int === b.int;
    case "hex":
      return b.type === "hex" && a.hex === b.hex;
    case "string":
      return b.type === "string" && a.str === b.str;
  }
}

function valueText(v: Value): string {
  switch (v.type) {
    case "bool":
    case "tristate":
      return TRI_TEXT[v.tri];
    case "int":
      return String(v.int);
    case "hex":
      return v.text;
    case "string":
      return v.str;
  }
}

/** Merge the layers into one user value per symbol (conf_read: the last assignment wins). */
function merge(layers: readonly Layer[]): Map<SymbolName, UserValue> {
  const merged = new Map<SymbolName, UserValue>();
  let seq = 0;
  for (const layer of layers) {
    const chosenHere = new Map<ChoiceDef, Assignment>();
    for (const a of layer.assignments) {
      if (!isSymbolName(a.name)) {
        throw assignmentError(
          a.origin,
          `unknown symbol ${a.name} (not in textpoke's Kconfig model)`,
        );
      }
      const value = typedValue(a.name, a.value, a.origin);
      const choice = CHOICE_OF.get(a.name);
      if (choice && value.type === "bool" && value.tri === 2) {
        const earlier = chosenHere.get(choice);
        if (earlier && earlier.name !== a.name) {
          throw assignmentError(
            a.origin,
            `${earlier.name} and ${a.name} are both y, but "${choice.prompt}" is a choice: exactly one of ${choice.members.join(", ")} is y`,
          );
        }
        chosenHere.set(choice, a);
        // A later layer's choice replaces an earlier layer's (a --set overrides the file).
        for (const m of choice.members) {
          const old = merged.get(m);
          if (m !== a.name && old?.value.type === "bool" && old.value.tri === 2) merged.delete(m);
        }
      }
      merged.set(a.name, { value, origin: a.origin, strict: layer.strict, seq: seq++ });
    }
  }
  return merged;
}

/** The value computation for one merged input (sym_calc_value, lazily and memoised). */
class Calculator {
  private readonly memo = new Map<SymbolName, Value | null>();
  private readonly busy = new Set<SymbolName>();
  private readonly chosenMemo = new Map<ChoiceDef, SymbolName | null>();

  private readonly user: ReadonlyMap<SymbolName, UserValue>;

  constructor(user: ReadonlyMap<SymbolName, UserValue>) {
    this.user = user;
  }

  readonly env = {
    tri: (name: string): Tri => {
      const v = this.value(this.known(name));
      return v && (v.type === "bool" || v.type === "tristate") ? v.tri : 0;
    },
    text: (name: string): string => {
      const v = this.value(this.known(name));
      return v ? valueText(v) : "";
    },
  };

  private known(name: string): SymbolName {
    if (!isSymbolName(name)) throw new Error(`Kconfig table refers to unknown symbol ${name}`);
    return name;
  }

  eval(text: string | undefined): Tri {
    return text === undefined ? 2 : evalExpr(expr(text), this.env);
  }

  /** Direct dependencies: the symbol's `depends on` and, for a choice member, the choice's. */
  depText(name: SymbolName): string | undefined {
    const own = (SYMBOLS[name] as SymbolDef).depends;
    const choice = CHOICE_OF.get(name)?.depends;
    if (own && choice) return `${choice} && ${own}`;
    return own ?? choice;
  }

  dep(name: SymbolName): Tri {
    return this.eval(this.depText(name));
  }

  /** Prompt visibility (sym_calc_visibility): 0 when the user cannot set the symbol now. */
  visible(name: SymbolName): Tri {
    const def = SYMBOLS[name] as SymbolDef;
    if (def.prompt === undefined) return 0;
    return Math.min(this.dep(name), this.eval(def.promptIf)) as Tri;
  }

  /** The strongest `select` of this symbol that is active (the kernel's rev_dep). */
  rev(name: SymbolName): Tri {
    let r: Tri = 0;
    for (const s of SELECTED_BY.get(name) ?? []) {
      r = Math.max(r, Math.min(this.env.tri(s.by), this.eval(s.if))) as Tri;
    }
    return r;
  }

  activeSelectors(name: SymbolName): string[] {
    return (SELECTED_BY.get(name) ?? [])
      .filter((s) => Math.min(this.env.tri(s.by), this.eval(s.if)) > 0)
      .map((s) => (s.if ? `${s.by} (select ${name} if ${s.if})` : s.by));
  }

  /** The first `default` whose condition holds, if the symbol's dependencies hold. */
  activeDefault(name: SymbolName): { value: string } | undefined {
    const def = SYMBOLS[name] as SymbolDef;
    if (this.dep(name) === 0) return undefined;
    return def.defaults?.find((d) => this.eval(d.if) > 0);
  }

  /** The y member of a choice (sym_calc_choice), or null if none can be (see the neither check). */
  chosen(choice: ChoiceDef): SymbolName | null {
    const memo = this.chosenMemo.get(choice);
    if (memo !== undefined) return memo;
    const vis = choice.members.filter((m) => this.dep(m) > 0);
    const isUser = (m: SymbolName, tri: Tri, strictOnly = false): boolean => {
      const u = this.user.get(m);
      return !!u && u.value.type === "bool" && u.value.tri === tri && (!strictOnly || u.strict);
    };
    const defaults = choice.defaults.filter((d) => this.eval(d.if) > 0).map((d) => d.member);
    const pick = (notN: (m: SymbolName) => boolean): SymbolName | undefined =>
      vis.find((m) => isUser(m, 2)) ??
      defaults.find((m) => vis.includes(m) && notN(m)) ??
      vis.find((m) => notN(m));
    const result =
      pick((m) => !isUser(m, 0)) ??
      (vis.some((m) => isUser(m, 0, true)) ? undefined : pick(() => true)) ??
      null;
    this.chosenMemo.set(choice, result);
    return result;
  }

  value(name: SymbolName): Value | null {
    const memo = this.memo.get(name);
    if (memo !== undefined) return memo;
    if (this.busy.has(name)) throw new Error(`Kconfig dependency loop through ${name}`);
    this.busy.add(name);
    const v = this.compute(name);
    this.busy.delete(name);
    this.memo.set(name, v);
    return v;
  }

  private compute(name: SymbolName): Value | null {
    const def = SYMBOLS[name] as SymbolDef;
    const user = this.user.get(name);
    const vis = this.visible(name);
    if (def.type === "bool" || def.type === "tristate") {
      let tri: Tri;
      const choice = CHOICE_OF.get(name);
      if (choice) {
        tri = this.chosen(choice) === name ? 2 : 0;
      } else {
        if (vis > 0 && user && (user.value.type === "bool" || user.value.type === "tristate")) {
          tri = Math.min(user.value.tri, vis) as Tri;
        } else {
          const d = this.activeDefault(name);
          tri = d ? (Math.min(this.eval(d.value), this.dep(name)) as Tri) : 0;
        }
        tri = Math.max(tri, this.rev(name)) as Tri;
      }
      // A bool has no m; a tristate's m means y without loadable modules (sym_calc_value).
      if (tri === 1 && (def.type === "bool" || this.env.tri("MODULES") === 0)) tri = 2;
      return { type: def.type, tri };
    }
    if (vis > 0 && user) return user.value;
    const d = this.activeDefault(name);
    if (d) return literal(def, d.value);
    return vis > 0 && def.type === "string" ? { type: "string", str: "" } : null;
  }

  /** Whether conf_write lists the symbol (SYMBOL_WRITE). */
  written(name: SymbolName): boolean {
    const def = SYMBOLS[name] as SymbolDef;
    if (this.value(name) === null) return false;
    if (CHOICE_OF.has(name)) return this.dep(name) > 0;
    const bool = def.type === "bool" || def.type === "tristate";
    return this.visible(name) > 0 || (bool && this.rev(name) > 0) || !!this.activeDefault(name);
  }

  /** "DEBUG_KERNEL=n, SMP=y": the current values of the symbols an expression names. */
  valuesIn(text: string): string {
    return exprSymbols(expr(text))
      .map((s) => `${s}=${this.env.text(s) || '""'}`)
      .join(", ");
  }
}

/** Why the user's value for a symbol is not the value it gets: one line, naming the rule. */
function explain(calc: Calculator, name: SymbolName, want: Value, got: Value | null): string {
  const def = SYMBOLS[name] as SymbolDef;
  const gotText = got ? valueText(got) : "unset";
  if (def.prompt === undefined) {
    const from = def.defaults?.map((d) => (d.if ? `${d.value} if ${d.if}` : d.value)).join("; ");
    const sel = calc.activeSelectors(name);
    const how = sel.length ? `selected by ${sel.join(", ")}` : (from ?? "n");
    return `${name} is derived (${how}, ${def.source}) and cannot be set; here it is ${gotText}`;
  }
  const depText = calc.depText(name);
  if (depText !== undefined && calc.dep(name) === 0) {
    return `${name} depends on ${depText}, which is not met (${calc.valuesIn(depText)})`;
  }
  if (def.promptIf !== undefined && calc.eval(def.promptIf) === 0) {
    return `${name} can be set only if ${def.promptIf}, which is not met (${calc.valuesIn(def.promptIf)}); here it is ${gotText}`;
  }
  if (got && want.type !== "int" && "tri" in want && "tri" in got && want.tri < got.tri) {
    const sel = calc.activeSelectors(name);
    if (sel.length) {
      return `${name} cannot be ${TRI_TEXT[want.tri]}: it is selected by ${sel.join(", ")}`;
    }
  }
  if (def.type === "tristate" && "tri" in want && want.tri === 1) {
    return `${name}=m needs MODULES=y (a module cannot be built without loadable module support)`;
  }
  return `${name} resolves to ${gotText} (${def.source})`;
}

/**
 * Resolve the layers into values. Throws UserError (one line) for an unknown
 * symbol, a value of the wrong type, an int out of its range, a value the
 * symbol cannot take because of its dependencies, its prompt condition or a
 * `select`, a derived symbol set to anything but its derived value, and a
 * choice with two members or no member y.
 */
export function resolveConfig(layers: readonly Layer[]): Resolved {
  const user = merge(layers);
  const calc = new Calculator(user);
  const names = Object.keys(SYMBOLS) as SymbolName[];
  const values = new Map<SymbolName, Value>();
  for (const n of names) {
    const v = calc.value(n);
    if (v) values.set(n, v);
  }

  const strict = [...user].filter(([, u]) => u.strict).sort((a, b) => a[1].seq - b[1].seq);
  for (const [name, u] of strict) {
    const got = values.get(name) ?? null;
    if (!got || !sameValue(u.value, got)) {
      const choice = CHOICE_OF.get(name);
      if (choice && calc.dep(name) > 0 && calc.chosen(choice) === null) continue; // below
      throw assignmentError(u.origin, explain(calc, name, u.value, got));
    }
    const range = (SYMBOLS[name] as SymbolDef).range;
    if (range && got.type === "int" && calc.eval(range.if) > 0) {
      if (got.int < range.min || got.int > range.max) {
        const rule = `range ${range.min} ${range.max}${range.if ? ` if ${range.if}` : ""}`;
        throw assignmentError(u.origin, `${name}=${got.int} is out of range (${rule})`);
      }
    }
  }

  for (const choice of CHOICES) {
    const vis = choice.members.filter((m) => calc.dep(m) > 0);
    if (vis.length === 0 || calc.chosen(choice) !== null) continue;
    const last = strict.filter(([m]) => choice.members.includes(m)).pop();
    const message = `"${choice.prompt}" is a choice: exactly one of ${vis.join(", ")} must be y, and none is`;
    throw last ? assignmentError(last[1].origin, message) : new UserError(message);
  }

  const written = new Set(names.filter((n) => calc.written(n)));
  return { values, written };
}

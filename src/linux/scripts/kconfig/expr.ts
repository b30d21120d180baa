/**
 * Kconfig dependency expressions (models scripts/kconfig/expr.c and the
 * expression grammar of scripts/kconfig/parser.y): `!`, `&&`, `||`,
 * parentheses, `=`, `!=`, `<`, `<=`, `>`, `>=`, symbol names and the constants
 * y/m/n, numbers and quoted strings. The symbol table keeps each rule in the
 * kernel's own text, so an error message can quote it as the kernel writes it.
 */

/** Kconfig tristate logic: n = 0, m = 1, y = 2 (expr.h `enum tristate`). */
export type Tri = 0 | 1 | 2;

export type Expr =
  | { readonly op: "sym"; readonly name: string }
  | { readonly op: "const"; readonly text: string }
  | { readonly op: "not"; readonly a: Expr }
  | { readonly op: "and" | "or"; readonly a: Expr; readonly b: Expr }
  | {
      readonly op: "cmp";
      readonly rel: "=" | "!=" | "<" | "<=" | ">" | ">=";
      readonly a: Expr;
      readonly b: Expr;
    };

/** What an expression needs from the symbol table while it is evaluated. */
export interface ExprEnv {
  /** The tristate value of a bool/tristate symbol; 0 for other types. */
  tri(name: string): Tri;
  /** The value of a symbol as .config text without quotes ("y", "2048", "0x10", "abc"). */
  text(name: string): string;
}

const TOKEN = /\s*(\|\||&&|!=|<=|>=|[!()=<>]|"(?:[^"\\]|\\.)*"|[A-Za-z0-9_]+)/y;

/** Parse one expression; throws Error (a table bug, not user input) on bad syntax. */
export function parseExpr(text: string): Expr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(start))) break;
      throw new Error(`bad Kconfig expression '${text}' at ${start}`);
    }
    tokens.push(m[1]!);
  }
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`bad Kconfig expression '${text}': unexpected end`);
    return t;
  };
  const or = (): Expr => {
    let e = and();
    while (peek() === "||") {
      i++;
      e = { op: "or", a: e, b: and() };
    }
    return e;
  };
  const and = (): Expr => {
    let e = unary();
    while (peek() === "&&") {
      i++;
      e = { op: "and", a: e, b: unary() };
    }
    return e;
  };
  const unary = (): Expr => {
    if (peek() === "!") {
      i++;
      return { op: "not", a: unary() };
    }
    return comparison();
  };
  const comparison = (): Expr => {
    const a = primary();
    const rel = peek();
    if (rel === "=" || rel === "!=" || rel === "<" || rel === "<=" || rel === ">" || rel === ">=") {
      i++;
      return { op: "cmp", rel, a, b: primary() };
    }
    return a;
  };
  const primary = (): Expr => {
    const t = next();
    if (t === "(") {
      const e = or();
      if (next() !== ")") throw new Error(`bad Kconfig expression '${text}': missing ')'`);
      return e;
    }
    if (t.startsWith('"')) return { op: "const", text: t.slice(1, -1).replace(/\\(.)/g, "$1") };
    if (/^[a-z]$/.test(t) || /^(?:0x[0-9a-fA-F]+|-?[0-9]+)$/.test(t))
      return { op: "const", text: t };
    if (/^[A-Za-z0-9_]+$/.test(t)) return { op: "sym", name: t };
    throw new Error(`bad Kconfig expression '${text}': unexpected '${t}'`);
  };
  const e = or();
  if (i !== tokens.length)
    throw new Error(`bad Kconfig expression '${text}': trailing '${peek()}'`);
  return e;
}

const TRI_OF: Readonly<Record<string, Tri>> = { n: 0, m: 1, y: 2 };

function textOf(e: Expr, env: ExprEnv): string {
  if (e.op === "sym") return env.text(e.name);
  if (e.op === "const") return e.text;
  return ["n", "m", "y"][evalExpr(e, env)]!;
}

/** Numeric value of .config text as expr.c compares it (decimal or 0x hex); undefined if neither. */
function numberOf(text: string): bigint | undefined {
  if (/^-?[0-9]+$/.test(text)) return BigInt(text);
  if (/^0x[0-9a-fA-F]+$/i.test(text)) return BigInt(text);
  return undefined;
}

/** Evaluate to a tristate (expr.c `expr_calc_value`): && is min, || is max, ! is 2 - x. */
export function evalExpr(e: Expr, env: ExprEnv): Tri {
  switch (e.op) {
    case "sym":
      return env.tri(e.name);
    case "const":
      return TRI_OF[e.text] ?? 0;
    case "not":
      return (2 - evalExpr(e.a, env)) as Tri;
    case "and":
      return Math.min(evalExpr(e.a, env), evalExpr(e.b, env)) as Tri;
    case "or":
      return Math.max(evalExpr(e.a, env), evalExpr(e.b, env)) as Tri;
    case "cmp": {
      const a = textOf(e.a, env);
      const b = textOf(e.b, env);
      const na = numberOf(a);
      const nb = numberOf(b);
      // Numbers compare as numbers, anything else as strings (expr.c expr_calc_value).
      const c =
        na !== undefined && nb !== undefined
          ? na < nb
            ? -1
            : na > nb
              ? 1
              : 0
          : a < b
            ? -1
            : a > b
              ? 1
              : 0;
      const ok = {
        "=": c === 0,
        "!=": c !== 0,
        "<": c < 0,
        "<=": c <= 0,
        ">": c > 0,
        ">=": c >= 0,
      }[e.rel];
      return ok ? 2 : 0;
    }
  }
}

/** Every symbol name an expression mentions, in order of appearance, without repeats. */
export function exprSymbols(e: Expr): string[] {
  const out: string[] = [];
  const walk = (x: Expr): void => {
    if (x.op === "sym") {
      if (!out.includes(x.name)) out.push(x.name);
    } else if (x.op === "not") walk(x.a);
    else if (x.op === "and" || x.op === "or" || x.op === "cmp") {
      walk(x.a);
      walk(x.b);
    }
  };
  walk(e);
  return out;
}

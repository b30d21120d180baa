/**
 * Reading and writing .config text (models scripts/kconfig/confdata.c:
 * conf_read_simple, conf_set_sym_val, conf_write). Reading is syntax only:
 * whether a value suits its symbol is decided by resolve.ts, which knows the
 * symbol's type.
 */
import { UserError } from "../../../util/user-error.ts";
import type { Tri } from "./expr.ts";
import { MENUS, type SymbolName } from "./symbols.ts";

/** A value as written after `CONFIG_X=`, classified by its form only. */
export type RawValue =
  | { readonly form: "tristate"; readonly tri: Tri }
  | { readonly form: "not-set" }
  | { readonly form: "int"; readonly int: number }
  | { readonly form: "hex"; readonly hex: bigint; readonly text: string }
  | { readonly form: "string"; readonly str: string }
  | { readonly form: "other"; readonly text: string };

/** Where an assignment came from, for the one-line error message. */
export type Origin =
  | { readonly where: "file"; readonly line: number; readonly text: string }
  | { readonly where: "set"; readonly text: string }
  | { readonly where: "defconfig"; readonly line: number; readonly text: string };

export interface Assignment {
  /** The symbol name without the CONFIG_ prefix. */
  readonly name: string;
  readonly value: RawValue;
  readonly origin: Origin;
}

/** A resolved, typed symbol value. */
export type Value =
  | { readonly type: "bool" | "tristate"; readonly tri: Tri }
  | { readonly type: "int"; readonly int: number }
  | { readonly type: "hex"; readonly hex: bigint; readonly text: string }
  | { readonly type: "string"; readonly str: string };

/** The prefix of every error about one assignment: `bad .config line 12: 'CONFIG_SMP=maybe'`. */
export function originLabel(origin: Origin): string {
  switch (origin.where) {
    case "file":
      return `bad .config line ${origin.line}: '${origin.text}'`;
    case "set":
      return `bad --set '${origin.text}'`;
    case "defconfig":
      return `bad textpoke defconfig line ${origin.line}: '${origin.text}'`;
  }
}

export function assignmentError(origin: Origin, message: string): UserError {
  return new UserError(`${originLabel(origin)}: ${message}`);
}

const TRI_LETTER: Readonly<Record<string, Tri>> = { n: 0, m: 1, y: 2 };
const ASSIGN = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Classify the text after `=` (conf_set_sym_val accepts the same forms). */
export function parseRawValue(text: string, origin: Origin): RawValue {
  const tri = TRI_LETTER[text];
  if (tri !== undefined) return { form: "tristate", tri };
  if (/^-?(?:0|[1-9][0-9]*)$/.test(text)) {
    const int = Number(text);
    if (Number.isSafeInteger(int)) return { form: "int", int };
    throw assignmentError(origin, "number too large");
  }
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) {
    const hex = BigInt(text);
    if (hex >= 1n << 64n) throw assignmentError(origin, "hex value wider than 64 bits");
    return { form: "hex", hex, text };
  }
  if (text.startsWith('"')) {
    let str = "";
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\\" && i + 1 < text.length) {
        str += text[++i];
      } else if (c === '"') {
        if (i !== text.length - 1) throw assignmentError(origin, "text after the closing quote");
        return { form: "string", str };
      } else {
        str += c;
      }
    }
    throw assignmentError(origin, 'unterminated string (missing closing ")');
  }
  return { form: "other", text };
}

/** Parse one `CONFIG_X=V` or `# CONFIG_X is not set` line; undefined for comments and blanks. */
function parseLine(line: string, origin: Origin): Assignment | undefined {
  const text = line.replace(/\s+$/, "");
  if (text.trim() === "") return undefined;
  const notSet = NOT_SET.exec(text);
  if (notSet) return { name: notSet[1]!, value: { form: "not-set" }, origin };
  if (text.trimStart().startsWith("#")) return undefined;
  const m = ASSIGN.exec(text);
  if (!m) {
    throw assignmentError(
      origin,
      "expected CONFIG_NAME=VALUE, '# CONFIG_NAME is not set', a comment or a blank line",
    );
  }
  return { name: m[1]!, value: parseRawValue(m[2]!, origin), origin };
}

/**
 * Read .config text into assignments in file order (conf_read_simple). A
 * symbol assigned twice keeps both entries; the later one wins when merged.
 */
export function readConfig(text: string, where: "file" | "defconfig" = "file"): Assignment[] {
  const out: Assignment[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const a = parseLine(line, { where, line: i + 1, text: line.replace(/\s+$/, "") });
    if (a) out.push(a);
  }
  return out;
}

/** Parse a command-line override `CONFIG_X=V` (same value syntax as a .config line). */
export function parseSetting(text: string): Assignment {
  const origin: Origin = { where: "set", text };
  const m = ASSIGN.exec(text);
  if (!m) throw assignmentError(origin, "expected CONFIG_NAME=VALUE");
  return { name: m[1]!, value: parseRawValue(m[2]!, origin), origin };
}

function escapeString(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** One .config line for a value, as conf_write prints it. */
export function formatValue(name: string, value: Value): string {
  switch (value.type) {
    case "bool":
    case "tristate":
      return value.tri === 0 ? `# CONFIG_${name} is not set` : `CONFIG_${name}=${"nmy"[value.tri]}`;
    case "int":
      return `CONFIG_${name}=${value.int}`;
    case "hex":
      return `CONFIG_${name}=${value.text}`;
    case "string":
      return `CONFIG_${name}="${escapeString(value.str)}"`;
  }
}

/** The kernel release the modelled Kconfig describes (the seed's era). */
export const KERNEL_RELEASE = "6.2.0-rc1";

/**
 * Write a resolved configuration as .config text (conf_write): the header,
 * then each menu as `#`/`# title`/`#`, its written symbols in MENUS order and
 * `# end of title`. `lookup` returns undefined for a symbol that is not written.
 */
export function writeConfig(lookup: (name: SymbolName) => Value | undefined): string {
  const out = [
    "#",
    "# Automatically generated file; DO NOT EDIT.",
    `# Linux/powerpc ${KERNEL_RELEASE} Kernel Configuration`,
    "#",
    "# textpoke: only the symbols textpoke models are listed.",
  ];
  for (const menu of MENUS) {
    out.push("", "#", `# ${menu.title}`, "#");
    for (const name of menu.symbols) {
      const v = lookup(name);
      if (v) out.push(formatValue(name, v));
    }
    out.push(`# end of ${menu.title}`);
  }
  return `${out.join("\n")}\n`;
}

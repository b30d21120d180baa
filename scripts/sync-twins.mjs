// Plain-function twins of the model's generator functions.
//
// Kernel and machine code is written once, as generator functions that yield
// before every shared-state operation, so the machine can interleave CPUs.
// When a CPU runs with nothing to interleave, resuming a chain of generators
// at every step is pure overhead: this transform gives every module-scope
// generator function a plain twin (`fn.sync`) in which
//   yield* f(args)   becomes  (f.sync ?? __tpF(f))(args)  (f's twin, or f driven),
//                             or f$tpSync(args) when f is a generator declared
//                             in this module, given its twin here, and bound
//                             nowhere else in it (a direct call V8 can inline)
//   yield* o.m(args) becomes  (o.m.sync ?? __tpF(o.m)).call(o, args), or
//                             __tpCM(o, "m", args) when o is not a name
//                             (the same, `this` kept)
//   yield* expr      becomes  __tpD(expr)                (drive any generator)
//   yield op         becomes  __tpY(op)                  (a step boundary taken
//                                                         by the machine inline)
// The runtime side is src/util/sync-twins.ts; the machine decides when a
// twin may run (Machine.runSync). Original code keeps its line numbers: the
// twins are appended at the end of the module, the helper import shares the
// first line. Generators not at module scope (closures) get no twin: calls
// to them are driven, which is correct, only slower.
import { dirname, relative } from "node:path";
import { parse } from "acorn";

const RUNTIME = new URL("../src/util/sync-twins.ts", import.meta.url).pathname;

/** The import specifier of the twins' runtime from the module at `path`. */
export function runtimeSpecifier(path) {
  const rel = relative(dirname(path), RUNTIME);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

const HELPERS = ["__tpY", "__tpD", "__tpF", "__tpCM", "__tpT"];

/** Node types that may sit between Program and a module-scope generator. */
const MODULE_SCOPE_PATH = new Set([
  "Program",
  "ExportNamedDeclaration",
  "ExportDefaultDeclaration",
  "VariableDeclaration",
  "VariableDeclarator",
  "ExpressionStatement",
  "CallExpression",
  "NewExpression",
  "ObjectExpression",
  "Property",
  "ArrayExpression",
  "ConditionalExpression",
  "LogicalExpression",
  "AssignmentExpression",
  "SequenceExpression",
  "ParenthesizedExpression",
  "SpreadElement",
  "ChainExpression",
]);

function isFunction(n) {
  return (
    n.type === "FunctionDeclaration" ||
    n.type === "FunctionExpression" ||
    n.type === "ArrowFunctionExpression"
  );
}

/** Visit every node with its ancestors (parents first). */
function walk(node, visit, ancestors = []) {
  visit(node, ancestors);
  ancestors.push(node);
  for (const key of Object.keys(node)) {
    if (key === "type" || key === "start" || key === "end") continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") walk(c, visit, ancestors);
    } else if (v && typeof v.type === "string") walk(v, visit, ancestors);
  }
  ancestors.pop();
}

/**
 * Rewrite `src`'s text between `start` and `end` for a twin body: the yield
 * expressions of the function `owner` (not of nested functions) replaced as
 * the file comment says; everything else copied.
 */
function rewriteRange(src, start, end, yields, direct) {
  let out = "";
  let pos = start;
  for (const y of yields) {
    if (y.start < pos || y.end > end) continue;
    out += src.slice(pos, y.start) + rewriteYield(src, y, yields, direct);
    pos = y.end;
  }
  return out + src.slice(pos, end);
}

function inner(src, node, yields, direct) {
  const nested = yields.filter((y) => y.start >= node.start && y.end <= node.end);
  return rewriteRange(src, node.start, node.end, nested, direct);
}

function rewriteYield(src, y, yields, direct) {
  const arg = y.argument;
  if (!y.delegate) return arg ? `__tpY(${inner(src, arg, yields, direct)})` : "__tpY()";
  if (arg.type === "CallExpression" && !arg.optional) {
    const args = arg.arguments.length
      ? rewriteRange(src, arg.arguments[0].start, arg.arguments.at(-1).end, yields, direct)
      : "";
    const callee = arg.callee;
    if (callee.type === "Identifier") {
      if (direct.has(callee.name)) return `${callee.name}$tpSync(${args})`;
      // `.sync` is read at the call site, where its inline cache stays monomorphic.
      return `(${callee.name}.sync ?? __tpF(${callee.name}))(${args})`;
    }
    if (callee.type === "MemberExpression" && !callee.optional) {
      const obj = inner(src, callee.object, yields, direct);
      const simple = callee.object.type === "Identifier" || callee.object.type === "ThisExpression";
      if (!callee.computed && simple) {
        const fn = `${obj}.${callee.property.name}`;
        return `(${fn}.sync ?? __tpF(${fn})).call(${obj}${args ? `, ${args}` : ""})`;
      }
      const key = callee.computed
        ? inner(src, callee.property, yields, direct)
        : JSON.stringify(callee.property.name);
      return `__tpCM(${obj}, ${key}${args ? `, ${args}` : ""})`;
    }
    if (callee.type !== "Super") return `__tpF(${inner(src, callee, yields, direct)})(${args})`;
  }
  return `__tpD(${inner(src, arg, yields, direct)})`;
}

/** Identifiers a pattern (parameter, declarator, catch clause) binds. */
function patternNames(p, out) {
  if (!p) return;
  if (p.type === "Identifier") out.push(p.name);
  else if (p.type === "ObjectPattern")
    for (const q of p.properties) patternNames(q.type === "RestElement" ? q : q.value, out);
  else if (p.type === "ArrayPattern") for (const q of p.elements) patternNames(q, out);
  else if (p.type === "RestElement") patternNames(p.argument, out);
  else if (p.type === "AssignmentPattern") patternNames(p.left, out);
}

/**
 * The names of `gens` (module-scope generator declarations) that a twin may
 * call directly: each name is bound once in the module (no parameter,
 * variable, class, import or other function of that name anywhere, so no
 * scope can shadow it) and never assigned to.
 */
function directlyCallable(ast, gens) {
  const bound = new Map();
  const count = (name) => bound.set(name, (bound.get(name) ?? 0) + 1);
  const assigned = new Set();
  walk(ast, (n) => {
    if (isFunction(n)) {
      if (n.id) count(n.id.name);
      const names = [];
      for (const p of n.params) patternNames(p, names);
      names.forEach(count);
    } else if (n.type === "VariableDeclarator" || n.type === "CatchClause") {
      const names = [];
      patternNames(n.type === "VariableDeclarator" ? n.id : n.param, names);
      names.forEach(count);
    } else if (n.type === "ClassDeclaration" || n.type === "ClassExpression") {
      if (n.id) count(n.id.name);
    } else if (
      n.type === "ImportSpecifier" ||
      n.type === "ImportDefaultSpecifier" ||
      n.type === "ImportNamespaceSpecifier"
    ) {
      count(n.local.name);
    } else if (n.type === "AssignmentExpression" || n.type === "UpdateExpression") {
      const target = n.type === "AssignmentExpression" ? n.left : n.argument;
      if (target.type === "Identifier") assigned.add(target.name);
    }
  });
  const direct = new Set();
  for (const g of gens) {
    if (g.type !== "FunctionDeclaration" || !g.id) continue;
    const name = g.id.name;
    if (bound.get(name) === 1 && !assigned.has(name)) direct.add(name);
  }
  return direct;
}

/**
 * The module with twins, or null when it has no module-scope generator.
 * `runtime` is the import specifier of src/util/sync-twins.ts.
 */
export function addSyncTwins(src, runtime) {
  if (!src.includes("function*")) return null;
  const ast = parse(src, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true });
  for (const h of HELPERS) {
    if (new RegExp(`\\b${h}\\b`).test(src)) throw new Error(`sync twins: ${h} already used`);
  }
  const gens = [];
  /** yield expressions, by the function they belong to. */
  const yieldsOf = new Map();
  walk(ast, (n, anc) => {
    if (
      (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") &&
      n.generator &&
      !n.async
    ) {
      const moduleScope = anc.every((a) => MODULE_SCOPE_PATH.has(a.type));
      const methodValue =
        anc.at(-1)?.type === "Property" && (anc.at(-1).method || anc.at(-1).kind !== "init");
      if (moduleScope && !methodValue) gens.push(n);
    }
    if (n.type === "YieldExpression") {
      const owner = [...anc].reverse().find(isFunction);
      if (owner) {
        const list = yieldsOf.get(owner) ?? [];
        list.push(n);
        yieldsOf.set(owner, list);
      }
    }
  });
  if (gens.length === 0) return null;

  const direct = directlyCallable(ast, gens);
  const edits = []; // [pos, text] insertions into the original text
  const appended = [];
  let n = 0;
  for (const g of gens) {
    const yields = (yieldsOf.get(g) ?? []).sort((a, b) => a.start - b.start);
    const params = g.params.length ? src.slice(g.params[0].start, g.params.at(-1).end) : "";
    const body = rewriteRange(src, g.body.start, g.body.end, yields, direct);
    if (g.type === "FunctionDeclaration") {
      if (!g.id) continue; // export default function* () — not used by the model
      const twin = `${g.id.name}$tpSync`;
      appended.push(`function ${twin}(${params}) ${body}`, `${g.id.name}.sync = ${twin};`);
    } else {
      if (g.id) continue; // a named expression may call itself by a name the twin cannot see
      const twin = `__tpSync${n++}`;
      appended.push(`function ${twin}(${params}) ${body}`);
      edits.push([g.start, "__tpT("], [g.end, `, ${twin})`]);
    }
  }
  if (appended.length === 0) return null;

  edits.sort((a, b) => a[0] - b[0]);
  let out = "";
  let pos = 0;
  for (const [at, text] of edits) {
    out += src.slice(pos, at) + text;
    pos = at;
  }
  out += src.slice(pos);
  // Twins go before a trailing source-map comment, which must stay last.
  const mapAt = out.search(/\n\/\/# sourceMappingURL=[^\n]*\s*$/);
  const tail = mapAt >= 0 ? out.slice(mapAt) : "";
  const head = mapAt >= 0 ? out.slice(0, mapAt) : out;
  const imp = `import { ${HELPERS.join(", ")} } from ${JSON.stringify(runtime)}; `;
  const firstLineEnd = head.startsWith("#!") ? head.indexOf("\n") + 1 : 0;
  return (
    head.slice(0, firstLineEnd) +
    imp +
    head.slice(firstLineEnd) +
    `\n// sync twins (scripts/sync-twins.mjs)\n${appended.join("\n")}\n` +
    tail
  );
}

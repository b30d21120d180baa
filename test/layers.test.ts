// The layer rule (architecture.md §2): imports only go down
// util → trace → isa → elf → machine → linux (and linux-user beside it, neither importing
// the other) → variants → explore → api → cli,
// and nothing below cli imports node: modules or npm packages (the core runs in browsers).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const root = resolve(new URL("..", import.meta.url).pathname);
const LAYERS = [
  "util",
  "trace",
  "isa",
  "elf",
  "machine",
  "linux",
  "variants",
  "explore",
  "api",
  "cli",
];
/** Layers that share a rank with another: user-mode Linux emulation sits beside the kernel model. */
const SAME_RANK: Record<string, string> = { "linux-user": "linux" };

function rankOf(layer: string): number {
  return LAYERS.indexOf(SAME_RANK[layer] ?? layer);
}

function layerOf(file: string): string | undefined {
  const rel = relative(join(root, "src"), file);
  if (rel.startsWith("..")) return undefined;
  return rel.split("/")[0];
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith(".ts") ? [p] : [];
  });
}

/** Every module specifier imported or re-exported by a source text. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[^.\w])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^import\s*["']([^"']+)["']/gm;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sources(join(root, "src"))) {
    const from = layerOf(file)!;
    const rank = rankOf(from);
    if (rank < 0) {
      found.push(`${relative(root, file)}: not in a known layer`);
      continue;
    }
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) {
        if (from !== "cli")
          found.push(
            `${relative(root, file)}: imports '${spec}' (only src/cli may import node: or npm modules)`,
          );
        continue;
      }
      const to = layerOf(resolve(dirname(file), spec));
      if (to === undefined) {
        // The CLI may read the package manifest (its version); nothing else reaches outside src/.
        if (from === "cli" && spec.endsWith("/package.json")) continue;
        found.push(`${relative(root, file)}: imports '${spec}' from outside src/`);
        continue;
      }
      if (rankOf(to) > rank || (to !== from && rankOf(to) === rank))
        found.push(`${relative(root, file)}: ${from} imports higher layer ${to} ('${spec}')`);
    }
  }
  return found;
}

describe("layer rule", () => {
  it("finds the imports of every statement form", () => {
    const text = `import a from "./a.ts";\nimport type { B } from "../b.ts";\nexport { c } from "./c.ts";\nconst d = await import("./d.ts");\nimport "./e.ts";\n`;
    assert.deepEqual(importsOf(text), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"]);
  });

  it("every module under src/ imports only its own or lower layers, and only cli uses node:/npm", () => {
    assert.deepEqual(violations(), []);
  });
});

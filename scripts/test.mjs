#!/usr/bin/env node
// The whole test suite: type check, lint (with the layer rules), then every
// test/**/*.test.ts under node:test. Fails when no test file is found, so a
// broken glob can never pass silently.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;

function run(label, cmd, args) {
  process.stderr.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    process.stderr.write(`test: ${label} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const filter = process.argv.slice(2);
const all = findTests(join(root, "test"));
const files = filter.length ? all.filter((f) => filter.some((s) => f.includes(s))) : all;
if (files.length === 0) {
  process.stderr.write("test: no test files found under test/ — refusing to pass\n");
  process.exit(1);
}

// The oracles (binutils, gcc, qemu-user for ppc64le) are installed when missing.
run("oracles (scripts/install-oracles.sh)", "bash", ["scripts/install-oracles.sh"]);
if (!filter.length) {
  run("typecheck (tsc --noEmit)", "npx", ["tsc", "--noEmit", "-p", "."]);
  run("lint (biome check)", "npx", ["biome", "check", "."]);
}
run(`node:test (${files.length} files)`, process.execPath, [
  "--import",
  "./scripts/register.mjs",
  "--test",
  "--test-reporter=spec",
  "--test-concurrency=2",
  ...files,
]);

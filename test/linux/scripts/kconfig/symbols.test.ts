// Consistency of the Kconfig table: every rule parses and names known
// symbols, and the .config order lists every symbol exactly once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readConfig } from "../../../../src/linux/scripts/kconfig/confdata.ts";
import { TEXTPOKE_DEFCONFIG } from "../../../../src/linux/scripts/kconfig/defconfig.ts";
import { exprSymbols, parseExpr } from "../../../../src/linux/scripts/kconfig/expr.ts";
import { resolveConfig } from "../../../../src/linux/scripts/kconfig/resolve.ts";
import {
  CHOICES,
  isSymbolName,
  MENUS,
  SYMBOLS,
  type SymbolDef,
} from "../../../../src/linux/scripts/kconfig/symbols.ts";

describe("the Kconfig table", () => {
  it("has rules that parse and name only known symbols", () => {
    const rules: string[] = [];
    for (const def of Object.values(SYMBOLS) as SymbolDef[]) {
      for (const r of [def.depends, def.promptIf, def.range?.if]) if (r) rules.push(r);
      for (const d of def.defaults ?? []) {
        if (d.if) rules.push(d.if);
        if (def.type === "bool" || def.type === "tristate") rules.push(d.value);
      }
      for (const s of def.selects ?? []) {
        assert.ok(isSymbolName(s.symbol), `select of unknown ${s.symbol}`);
        if (s.if) rules.push(s.if);
      }
    }
    for (const c of CHOICES) {
      if (c.depends) rules.push(c.depends);
      for (const d of c.defaults) if (d.if) rules.push(d.if);
    }
    for (const r of rules) {
      for (const s of exprSymbols(parseExpr(r))) assert.ok(isSymbolName(s), `${r}: unknown ${s}`);
    }
  });

  it("lists every symbol in exactly one menu", () => {
    const listed = MENUS.flatMap((m) => m.symbols);
    assert.equal(new Set(listed).size, listed.length, "a symbol is listed twice");
    assert.deepEqual([...listed].sort(), Object.keys(SYMBOLS).sort());
  });

  it("has only bool members in choices, each with a prompt", () => {
    for (const c of CHOICES) {
      for (const m of c.members) {
        const def = SYMBOLS[m] as SymbolDef;
        assert.equal(def.type, "bool", m);
        assert.ok(def.prompt, m);
      }
    }
  });

  it("has a defconfig that is itself a valid user .config", () => {
    const r = resolveConfig([{ assignments: readConfig(TEXTPOKE_DEFCONFIG), strict: true }]);
    assert.equal(r.values.get("NR_CPUS")?.type, "int");
  });
});

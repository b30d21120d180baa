// .config reading and writing (scripts/kconfig/confdata.c). The line forms and
// the output style are the kernel's: `CONFIG_X=y|m|n|<decimal>|0x<hex>|"<string>"`,
// `# CONFIG_X is not set`, comments, blank lines; strings escape `"` and `\` with `\`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatValue,
  parseSetting,
  readConfig,
} from "../../../../src/linux/scripts/kconfig/confdata.ts";
import { UserError } from "../../../../src/util/user-error.ts";

describe("readConfig", () => {
  it("classifies each value form", () => {
    const text = [
      "CONFIG_A=y",
      "CONFIG_B=m",
      "CONFIG_C=n",
      "CONFIG_D=2048",
      "CONFIG_E=-3",
      "CONFIG_F=0x5deadbeef0000000",
      'CONFIG_G="-textpoke"',
      'CONFIG_H="say \\"hi\\" \\\\ bye"',
      "# CONFIG_I is not set",
      "CONFIG_J=maybe",
    ].join("\n");
    const got = readConfig(text).map((a) => [a.name, a.value]);
    assert.deepEqual(got, [
      ["A", { form: "tristate", tri: 2 }],
      ["B", { form: "tristate", tri: 1 }],
      ["C", { form: "tristate", tri: 0 }],
      ["D", { form: "int", int: 2048 }],
      ["E", { form: "int", int: -3 }],
      ["F", { form: "hex", hex: 0x5deadbeef0000000n, text: "0x5deadbeef0000000" }],
      ["G", { form: "string", str: "-textpoke" }],
      ["H", { form: "string", str: 'say "hi" \\ bye' }],
      ["I", { form: "not-set" }],
      ["J", { form: "other", text: "maybe" }],
    ]);
  });

  it("skips comments and blank lines and records line numbers", () => {
    const text = "#\n# General setup\n#\n\n   \nCONFIG_SMP=y\r\n# end of General setup\n";
    const got = readConfig(text);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.origin, { where: "file", line: 6, text: "CONFIG_SMP=y" });
  });

  it("rejects a malformed line with its number and text", () => {
    assert.throws(
      () => readConfig("CONFIG_SMP=y\nSMP=y\n"),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          "bad .config line 2: 'SMP=y': expected CONFIG_NAME=VALUE, '# CONFIG_NAME is not set', a comment or a blank line",
    );
  });

  it("rejects an unterminated string", () => {
    assert.throws(
      () => readConfig('CONFIG_LOCALVERSION="abc'),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          `bad .config line 1: 'CONFIG_LOCALVERSION="abc': unterminated string (missing closing ")`,
    );
  });
});

describe("parseSetting", () => {
  it("parses a --set override with the same value syntax", () => {
    const a = parseSetting("CONFIG_NR_CPUS=64");
    assert.equal(a.name, "NR_CPUS");
    assert.deepEqual(a.value, { form: "int", int: 64 });
  });

  it("rejects an override without CONFIG_", () => {
    assert.throws(
      () => parseSetting("NR_CPUS=64"),
      (e: unknown) =>
        e instanceof UserError &&
        e.message === "bad --set 'NR_CPUS=64': expected CONFIG_NAME=VALUE",
    );
  });
});

describe("formatValue", () => {
  it("prints values as conf_write does", () => {
    assert.equal(formatValue("SMP", { type: "bool", tri: 2 }), "CONFIG_SMP=y");
    assert.equal(formatValue("DEBUG_VM", { type: "bool", tri: 0 }), "# CONFIG_DEBUG_VM is not set");
    assert.equal(formatValue("OPAL_PRD", { type: "tristate", tri: 1 }), "CONFIG_OPAL_PRD=m");
    assert.equal(formatValue("NR_CPUS", { type: "int", int: 2048 }), "CONFIG_NR_CPUS=2048");
    assert.equal(
      formatValue("ILLEGAL_POINTER_VALUE", { type: "hex", hex: 1n, text: "0x1" }),
      "CONFIG_ILLEGAL_POINTER_VALUE=0x1",
    );
    assert.equal(
      formatValue("LOCALVERSION", { type: "string", str: 'a"b\\c' }),
      'CONFIG_LOCALVERSION="a\\"b\\\\c"',
    );
  });
});

// Numbers and strings: the grammar marks a unit or an escape invalid exactly when the compiler's
// literal decoder rejects it, so the editor shows the same mistakes `mmc check` reports.
import { describe, expect, it } from "vitest";
import {
  BYTE_SUFFIXES,
  SCALE_SUFFIXES,
  decodeNumber,
  decodeString,
} from "../../src/syntax/literals.js";
import { hasScope, tokenize } from "./tm-engine.js";

async function scopesOfLine(line: string): Promise<string[][]> {
  const [tokens = []] = await tokenize(line);
  return tokens.map((t) => t.scopes);
}

async function marksInvalid(line: string, scope: string): Promise<boolean> {
  return (await scopesOfLine(line)).some((scopes) => hasScope(scopes, scope));
}

describe("number units", () => {
  it.each(Object.keys(SCALE_SUFFIXES))("scopes the scale suffix `%s` as a unit", async (unit) => {
    const [tokens = []] = await tokenize(`x: 3.5${unit}`);
    expect(tokens.find((t) => t.text === "3.5")?.scopes).toContain("constant.numeric.decimal.mm");
    expect(tokens.find((t) => t.text === unit)?.scopes).toContain("keyword.other.unit.scale.mm");
  });

  it.each(Object.keys(BYTE_SUFFIXES))("scopes the byte suffix `%s` as a unit", async (unit) => {
    const [tokens = []] = await tokenize(`x: 80${unit}`);
    expect(tokens.find((t) => t.text === unit)?.scopes).toContain("keyword.other.unit.bytes.mm");
  });

  it.each(["45%", "3.2B", "80GiB", "124M", "512MiB", "1T"])(
    "`%s` is one number: the unit is nested inside `constant.numeric`, so themes colour it whole",
    async (literal) => {
      const [tokens = []] = await tokenize(`x: ${literal}`);
      const parts = tokens.filter((t) => t.start >= 3);
      expect(parts.map((t) => t.text).join("")).toBe(literal);
      for (const t of parts) expect(t.scopes[1], t.text).toBe("constant.numeric.decimal.mm");
      const unit = parts[parts.length - 1]!;
      expect(unit.scopes).toHaveLength(3);
      expect(unit.scopes[2]).toMatch(/^keyword\.other\.unit\.(scale|bytes|percent)\.mm$/);
    },
  );

  it("keeps an unknown unit out of the number's scope, marked invalid", async () => {
    const [tokens = []] = await tokenize("x: 12Mx");
    expect(tokens.find((t) => t.text === "12")?.scopes).toEqual([
      "source.mm",
      "constant.numeric.decimal.mm",
    ]);
    expect(tokens.find((t) => t.text === "Mx")?.scopes).toEqual([
      "source.mm",
      "invalid.illegal.unit.mm",
    ]);
  });

  const candidates = [
    "45%",
    "2K",
    "124M",
    "3.2B",
    "1T",
    "80GiB",
    "512MiB",
    "1KB",
    "3e-3",
    "1E+5",
    "1_000",
    "12Mx",
    "3k",
    "2m",
    "80GIB",
    "80Gib",
    "1Kib",
    "5b",
    "2M%",
    "1KiBs",
    "3e",
    "7px",
    "1T_",
  ];
  it.each(candidates)(
    "`%s`: invalid in the editor exactly when the compiler rejects it",
    async (text) => {
      expect(await marksInvalid(`x: ${text}`, "invalid")).toBe(!decodeNumber(text).ok);
    },
  );
});

describe("string escapes", () => {
  const printable = Array.from({ length: 0x7f - 0x20 }, (_, k) => String.fromCharCode(0x20 + k));
  const unicode = [
    "u{1F600}",
    "u{10FFFF}",
    "u{110000}",
    "u{0}",
    "u{}",
    "u{0010FFFF}",
    "u00e9",
    "u12",
    "uZZZZ",
  ];

  it.each([...printable, ...unicode])(
    "`\\%s`: invalid exactly when the compiler rejects it",
    async (escape) => {
      const literal = `"a\\${escape}b"`;
      const rejected = decodeString(literal).problems.length > 0;
      expect(await marksInvalid(`x: ${literal}`, "invalid.illegal.unknown-escape")).toBe(rejected);
      const valid = await marksInvalid(`x: ${literal}`, "constant.character.escape");
      expect(valid).toBe(!rejected);
    },
  );

  it("keeps the whole literal, escapes included, inside the string scope", async () => {
    const [tokens = []] = await tokenize('x: "a \\"b\\" \\u{1F600} \\q c"');
    const fromQuote = tokens.slice(tokens.findIndex((t) => t.text === '"'));
    expect(fromQuote.length).toBeGreaterThan(5);
    expect(fromQuote.filter((t) => !hasScope(t.scopes, "string.quoted.double"))).toEqual([]);
  });
});

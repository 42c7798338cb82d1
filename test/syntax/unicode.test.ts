// The syntax stage's Unicode rules: direction overrides anywhere are MM1007, a Latin word with a
// Cyrillic or Greek look-alike in a string is MM1008 (a word wholly in one script is not), a
// look-alike in a name is named by MM1001; whole numbers past 2^53 - 1 are MM1005; and a file
// of junk stops at a bounded number of syntax errors.
import { describe, expect, test } from "vitest";
import { parseText, MAX_SYNTAX_DIAGNOSTICS } from "../../src/syntax/parse.js";
import { decodeNumber } from "../../src/syntax/literals.js";
import { BIDI_NAMES, findMixedScript } from "../../src/syntax/unicode.js";

const codes = (text: string) => parseText(text).diagnostics.map((d) => d.code);

describe("MM1007: characters that change the direction of text", () => {
  test.each([...BIDI_NAMES.keys()].map((c) => [c.toString(16), c]))(
    "U+%s in a comment, a string and the code",
    (_, code) => {
      const ch = String.fromCodePoint(code);
      const inComment = parseText(`// a ${ch} b\n`).diagnostics;
      expect(inComment.map((d) => d.code)).toEqual(["MM1007"]);
      expect(inComment[0]!.message).toContain("present in a comment");
      expect(inComment[0]!.labels[0]!.message).toContain(BIDI_NAMES.get(code)!);
      const inString = parseText(`data D { text: 100% jsonl("a${ch}.jsonl") }\n`).diagnostics;
      expect(inString.map((d) => d.code)).toEqual(["MM1007"]);
      expect(inString[0]!.message).toContain("present in a string");
      // Outside comments and strings it is reported once, as MM1007 (not also MM1001).
      expect(codes(`model A${ch} { }\n`).filter((c) => c === "MM1007")).toHaveLength(1);
      expect(codes(`model A${ch} { }\n`)).not.toContain("MM1001");
    },
  );

  test("several on one line are one diagnostic with a label on each", () => {
    const ds = parseText("// \u202e x \u2066 y \u2069\n").diagnostics;
    expect(ds).toHaveLength(1);
    expect(ds[0]!.labels).toHaveLength(3);
  });

  test("doc comments and block comments count as comments", () => {
    expect(parseText("/// \u202e\n").diagnostics[0]!.message).toContain("comment");
    expect(parseText("/* \u202e */\n").diagnostics[0]!.message).toContain("comment");
  });

  test("an escape in a string is visible, so it is fine", () => {
    expect(codes('data D { text: 100% jsonl("a\\u{202e}.jsonl") }\n')).toEqual([]);
  });
});

describe("MM1008: mixed scripts in a string", () => {
  test("a Latin word with a Cyrillic look-alike is found, with the look-alike's offset", () => {
    expect(findMixedScript("data/d\u0430ta")).toEqual({ offset: 6, code: 0x430 });
    expect(findMixedScript("\u0391lpha")).toEqual({ offset: 0, code: 0x391 });
  });

  test("words wholly in one script, and scripts apart in separate words, are not mixed", () => {
    expect(findMixedScript("\u0442\u0435\u043a\u0441\u0442")).toBeUndefined(); // текст
    expect(findMixedScript("\u03bb\u03cc\u03b3\u03bf\u03c2")).toBeUndefined(); // λόγος
    expect(findMixedScript("data \u0442\u0435\u043a\u0441\u0442")).toBeUndefined();
    expect(findMixedScript("plain ascii")).toBeUndefined();
  });

  test("a Cyrillic letter with no Latin look-alike is not a spoof", () => {
    expect(findMixedScript("data\u0436")).toBeUndefined(); // ж
  });

  test("in a spec, a warning naming the character", () => {
    const ds = parseText('data D { text: 100% jsonl("d\u0430ta.jsonl") }\n').diagnostics;
    expect(ds.map((d) => [d.code, d.severity])).toEqual([["MM1008", "warning"]]);
    expect(ds[0]!.message).toContain("U+0430 CYRILLIC SMALL LETTER A looks like `a`");
  });
});

describe("look-alikes in names", () => {
  test("a Cyrillic letter in a name is an unexpected character that says what it looks like", () => {
    const ds = parseText("model \u041codel { }\n").diagnostics;
    expect(ds[0]!.code).toBe("MM1001");
    expect(ds[0]!.labels[0]!.message).toBe("U+041C CYRILLIC CAPITAL LETTER EM looks like `M`");
    expect(ds[0]!.help).toBe("retype it as the Latin `M`");
  });
});

describe("whole numbers mmc cannot read exactly", () => {
  test("2^53 - 1 is read, 2^53 and a 100-digit number are errors", () => {
    expect(decodeNumber("9007199254740991")).toEqual({
      ok: true,
      value: { value: 9007199254740991, unit: "none" },
    });
    expect(decodeNumber("9007199254740992").ok).toBe(false);
    expect(decodeNumber("9".repeat(100)).ok).toBe(false);
    expect(decodeNumber("9000000000000T").ok).toBe(false);
  });

  test("reals may be large and inexact; their range is the field's business", () => {
    expect(decodeNumber("1e20").ok).toBe(true);
    expect(decodeNumber("12345678901234567890.5").ok).toBe(true);
    expect(decodeNumber("1e400").ok).toBe(false);
  });
});

describe("junk files", () => {
  test("500,000 stray characters give a bounded list, never a stack overflow", () => {
    const ds = parseText("@ ".repeat(500_000)).diagnostics;
    expect(ds).toHaveLength(MAX_SYNTAX_DIAGNOSTICS);
    expect(ds[0]!.notes.join(" ")).toContain("mmc stopped after 100 syntax errors");
  });
});

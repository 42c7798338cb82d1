// The report's escaping functions against hostile strings: HTML (element text and attributes),
// Markdown table cells and the terminal.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { clip, escapeHtml, escapeMarkdown, terminalSafe } from "../../src/report/escape.js";
import { HOSTILE } from "./fixtures.js";

/** An independent decoder for the five entities escapeHtml writes. */
function decodeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) =>
    name === "amp" ? "&" : name === "lt" ? "<" : name === "gt" ? ">" : name === "quot" ? '"' : "'",
  );
}

describe("escapeHtml", () => {
  test.each(HOSTILE)("%j has no markup left", (s) => {
    const out = escapeHtml(s);
    expect(out).not.toMatch(/[<>"']/);
    expect(out).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
    expect(decodeHtml(out)).toBe(s);
  });

  test("escapes exactly the five characters", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
    expect(escapeHtml("&amp;")).toBe("&amp;amp;");
    expect(escapeHtml("plain text, 1.5 ★")).toBe("plain text, 1.5 ★");
  });

  test("any string round-trips and has no markup characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const out = escapeHtml(s);
        return !/[<>"']/.test(out) && decodeHtml(out) === s;
      }),
    );
  });
});

/** Table cells of one Markdown row: split at `|` not preceded by a backslash. */
function cells(row: string): string[] {
  return row.slice(1, -1).split(/(?<!\\)\|/);
}

describe("escapeMarkdown", () => {
  test.each(HOSTILE)("%j stays one table cell with no HTML", (s) => {
    const out = escapeMarkdown(s);
    expect(out).not.toMatch(/[<>\n\r]/);
    expect(cells(`| a | ${out} | b |`)).toHaveLength(3);
  });

  test("escapes emphasis, code, links and pipes", () => {
    expect(escapeMarkdown("*a* _b_ `c` [d] | ~e~ \\")).toBe(
      "\\*a\\* \\_b\\_ \\`c\\` \\[d\\] \\| \\~e\\~ \\\\",
    );
    expect(escapeMarkdown("AvgPool { tokens: 16 }")).toBe("AvgPool { tokens: 16 }");
  });

  test("any string stays one cell", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const out = escapeMarkdown(s);
        return !/[<>\n\r]/.test(out) && cells(`| ${out} |`).length === 1;
      }),
    );
  });
});

describe("terminalSafe", () => {
  test("control characters are shown, not sent", () => {
    expect(terminalSafe("\u001b[31mred\r\u009b")).toBe("\\u001b[31mred\\u000d\\u009b");
    expect(terminalSafe("runs/tiny ★")).toBe("runs/tiny ★");
  });
  test("no string keeps a control character", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        (s) => !/[\u0000-\u001f\u007f-\u009f]/.test(terminalSafe(s)),
      ),
    );
  });
});

test("clip shortens by characters, not UTF-16 units", () => {
  expect(clip("abcdef", 4)).toBe("abc…");
  expect(clip("abc", 4)).toBe("abc");
  expect(clip("😀😀😀😀😀", 3)).toBe("😀😀…");
});

// The renderers never send raw control characters or a whole long line to the terminal: source
// lines are cut to a window around the span with the carets under the right character, and
// escapes, overrides and invisible characters are shown as `\x1b` / `\u{202e}`.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { diagnostic } from "../../src/diagnostics/diagnostic.js";
import { renderRich, renderShort } from "../../src/diagnostics/render.js";
import {
  WINDOW_COLUMNS,
  columnWidth,
  escapeControls,
  hasUnsafe,
  safeMessage,
} from "../../src/diagnostics/terminal-text.js";
import { SourceFile } from "../../src/source/source-file.js";

function render(text: string, start: number, end: number, message = "bad"): string {
  const src = new SourceFile("f.mm", text);
  const d = diagnostic({ code: "MM1001", message, span: src.span(start, end), label: "here" });
  return renderRich(d, (f) => (f === "f.mm" ? src : undefined), { color: false });
}

/** The printed source line and the marker line under it (the first ones in the output). */
function snippet(out: string): { line: string; marker: string } {
  const lines = out.split("\n");
  const i = lines.findIndex((l) => /^\d+ \| /.test(l));
  const prefix = /^\d+ \| /.exec(lines[i]!)![0].length;
  return { line: lines[i]!.slice(prefix), marker: lines[i + 1]!.slice(prefix) };
}

/** Terminal columns of a displayed string (what the carets are counted in). */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += columnWidth(ch.codePointAt(0) ?? 0);
  return w;
}

/** The displayed string from display column `col` on. */
function fromColumn(s: string, col: number): string {
  let w = 0;
  let i = 0;
  for (const ch of s) {
    if (w >= col) break;
    w += columnWidth(ch.codePointAt(0) ?? 0);
    i += ch.length;
  }
  return s.slice(i);
}

function shown(ch: string): string {
  return ch === "\t" ? " " : escapeControls(ch);
}

describe("long lines", () => {
  test("a 1 MB line shows only a window around the span, with the carets under it", () => {
    const text = "x ".repeat(500_000) + "BAD" + " y".repeat(500_000);
    const start = 1_000_000;
    const out = render(text, start, start + 3);
    expect(out.length).toBeLessThan(1000);
    const { line, marker } = snippet(out);
    expect(line.startsWith("...")).toBe(true);
    expect(line.endsWith("...")).toBe(true);
    expect(width(line)).toBeLessThanOrEqual(WINDOW_COLUMNS);
    expect(marker.indexOf("^^^")).toBe(line.indexOf("BAD"));
    expect(marker).toMatch(/^ *\^\^\^ here$/);
  });

  test("a short line is shown whole", () => {
    const text = "model A { llm: X }";
    const { line, marker } = snippet(render(text, 15, 16));
    expect(line).toBe(text);
    expect(marker).toBe(`${" ".repeat(15)}^ here`);
  });

  test("a span longer than the window is underlined to the window's end", () => {
    const text = `a: "${"z".repeat(5000)}"`;
    const { line, marker } = snippet(render(text, 3, text.length));
    expect(marker.replace(/ here$/, "").trimStart().length).toBe(width(line) - 3 - "...".length);
  });
});

describe("control characters", () => {
  test("ANSI and OSC escape sequences in a source line and a message are shown escaped", () => {
    const text = 'x: "\x1b]0;pwned\x07\x1b[31mred"';
    const out = render(text, 3, text.length, "found `\x1b[2J`");
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(out).toContain("\\x1b]0;pwned\\x07\\x1b[31mred");
    expect(out).toContain("found `\\x1b[2J`");
    const { line, marker } = snippet(out);
    expect(marker.indexOf("^")).toBe(line.indexOf('"'));
  });

  test("direction overrides, C1 controls and file names are escaped in every format", () => {
    const src = new SourceFile("evil\x1b[31m.mm", "a\u202eb\u0085c");
    const d = diagnostic({ code: "MM1007", message: "m \u202e", span: src.span(1, 2) });
    const lookup = () => src;
    for (const out of [renderRich(d, lookup, { color: false }), renderShort(d, lookup)]) {
      expect(out).not.toMatch(/[\u202e\u0085\x1b]/);
      expect(out).toContain("evil\\x1b[31m.mm");
      expect(out).toContain("\\u{202e}");
    }
  });

  const alphabet = fc.constantFrom(
    "a",
    "Z",
    " ",
    "\t",
    "\x1b",
    "\x07",
    "\x7f",
    "\u0085",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "é",
    "界",
    "😀",
    "\u0301",
  );

  test("for any line and span: nothing unsafe is printed and the caret sits on the span's first character", () => {
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 400 }),
        fc.nat(),
        fc.nat({ max: 50 }),
        (chars, a, len) => {
          const text = chars.join("");
          const offsets: number[] = [];
          let o = 0;
          for (const c of chars) {
            offsets.push(o);
            o += c.length;
          }
          const k = a % chars.length;
          const start = offsets[k]!;
          const end = offsets[Math.min(chars.length - 1, k + len)]! + 1;
          const out = render(text, start, end);
          for (const l of out.split("\n")) expect(hasUnsafe(l)).toBe(false);
          const { line, marker } = snippet(out);
          const caret = marker.indexOf("^");
          expect(caret).toBeGreaterThanOrEqual(0);
          expect(width(line)).toBeLessThanOrEqual(WINDOW_COLUMNS);
          // The displayed text at the caret's column starts with the span's first character.
          // A combining mark has no width: it shares the column of the character before it.
          if (chars[k] !== "\u0301") {
            const at = fromColumn(line, caret).replace(/^\u0301+/, "");
            expect(at.startsWith(shown(chars[k]!))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("messages", () => {
  test("a 1 MB name in backticks is shortened, both ends kept", () => {
    const name = "n".repeat(1_000_000) + "END";
    const m = safeMessage(`unknown name \`${name}\``);
    expect(m.length).toBeLessThan(200);
    expect(m).toMatch(/^unknown name `n+\.\.\.n*END`$/);
  });

  test("no message line is longer than 1,000 characters", () => {
    expect(safeMessage("word ".repeat(100_000)).length).toBeLessThanOrEqual(1000);
  });
});

// The layout rules of docs/language.md ("Formatting"), one case each: input, expected output.
import { describe, expect, test } from "vitest";
import { formatSource } from "../../src/format/format.js";

function fmt(text: string, width?: number): string {
  const r = formatSource(text, "case.mm", width === undefined ? {} : { width });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.text;
}

/** Cases are written as arrays of lines, so the expected layout reads as it prints. */
const lines = (...ls: string[]): string => `${ls.join("\n")}\n`;

describe("spacing", () => {
  test("one space after `:` and `,`, around `=` and comparisons; none inside [ ] and ( )", () => {
    expect(
      fmt("model   X=Base{a:1,b:[ 1 ,2 ],c:f( x ,y:2 ),d:Image [3,4],budget{params<=1M}}"),
    ).toBe(
      lines(
        "model X = Base { a: 1, b: [1, 2], c: f(x, y: 2), d: Image[3, 4], budget { params <= 1M } }",
      ),
    );
  });

  test("numbers, units, percentages, ratios and strings are printed as written", () => {
    const text = lines(
      'train t { a: 1_000, b: 3E-3, c: 0.10, d: 45%, e: 45:45:10, f: "\\u{1F600}\\t", g: - 2, h: 80GiB }',
    );
    expect(fmt(text)).toBe(text.replace("- 2", "-2"));
  });

  test("empty brackets are closed up", () => {
    expect(
      fmt(
        'connector P = MLPProjector {  }\ntrain t { a: [ ], b: f( ) }\nimport {  } from "std/llm"',
      ),
    ).toBe(
      lines(
        "connector P = MLPProjector {}",
        "train t { a: [], b: f() }",
        'import {} from "std/llm"',
      ),
    );
  });

  test("two spaces of indentation per level, tabs and trailing white space removed", () => {
    expect(fmt("model X {\n\ta: 1   \n\t\tb: Foo {\n c: 2\n}\n}")).toBe(
      lines("model X {", "  a: 1", "  b: Foo {", "    c: 2", "  }", "}"),
    );
  });
});

describe("line breaks", () => {
  test("a body written on one line stays on one line when it fits", () => {
    expect(fmt("model TinyText { llm: TinyLM }")).toBe(lines("model TinyText { llm: TinyLM }"));
  });

  test("a body written over several lines stays broken, even when it would fit", () => {
    expect(fmt("model X {\n  a: 1 }")).toBe(lines("model X {", "  a: 1", "}"));
    expect(fmt("model X { a: 1,\n b: 2 }")).toBe(lines("model X {", "  a: 1", "  b: 2", "}"));
  });

  test("fields keep the lines they were written on; no comma ends a line of a body", () => {
    const text = lines(
      "llm L = Decoder {",
      "  vocab: 260, width: 128,",
      "  norm: rms, context: 256,",
      "}",
    );
    expect(fmt(text)).toBe(
      lines("llm L = Decoder {", "  vocab: 260, width: 128", "  norm: rms, context: 256", "}"),
    );
  });

  test("a one-line body that does not fit is broken, its fields filled onto lines", () => {
    expect(fmt("encoder E = ViT { patch: 16, width: 768, depth: 12, heads: 12 }", 40)).toBe(
      lines("encoder E = ViT {", "  patch: 16, width: 768, depth: 12", "  heads: 12", "}"),
    );
  });

  test("only the outermost pair that does not fit is broken", () => {
    expect(fmt("train t { opt: AdamW { lr: 3e-3, betas: [0.9, 0.95] } }", 50)).toBe(
      lines("train t {", "  opt: AdamW { lr: 3e-3, betas: [0.9, 0.95] }", "}"),
    );
  });

  test("a broken list or argument list ends every line with a comma", () => {
    expect(fmt("sweep s { vary x: [Aaaa { t: 1 }, Bbbb { t: 2 }, Cccc { t: 3 }] }", 40)).toBe(
      lines(
        "sweep s {",
        "  vary x: [",
        "    Aaaa { t: 1 }, Bbbb { t: 2 },",
        "    Cccc { t: 3 },",
        "  ]",
        "}",
      ),
    );
    expect(fmt('data d {\n  text: 10% jsonl(\n    "t.jsonl", field: "text")\n}')).toBe(
      lines("data d {", "  text: 10% jsonl(", '    "t.jsonl", field: "text",', "  )", "}"),
    );
  });

  test("an item over several lines has its lines to itself", () => {
    expect(fmt("model M {\n  a: 1, llm: D {\n    w: 2\n  }, b: 3\n}")).toBe(
      lines("model M {", "  a: 1", "  llm: D {", "    w: 2", "  }", "  b: 3", "}"),
    );
  });

  test("declarations and imports each start a line", () => {
    expect(
      fmt('import { A } from "std/llm" import { B, C } from "std/encoders" model X {} model Y {}'),
    ).toBe(
      lines(
        'import { A } from "std/llm"',
        'import { B, C } from "std/encoders"',
        "model X {}",
        "model Y {}",
      ),
    );
  });

  test("a long import is broken like a list", () => {
    expect(fmt('import { Alpha, Beta, Gamma } from "std/llm"', 20)).toBe(
      lines("import {", "  Alpha, Beta,", "  Gamma,", '} from "std/llm"'),
    );
  });
});

describe("blank lines", () => {
  test("kept where written, at most one, none at the start or end of a block or file", () => {
    const text = "\n\n// head\n\n\n\nmodel X {\n\n  a: 1\n\n\n  b: 2\n\n}\nmodel Y {}\n\n\n";
    expect(fmt(text)).toBe(
      lines("// head", "", "model X {", "  a: 1", "", "  b: 2", "}", "model Y {}"),
    );
  });

  test("line endings become LF and the file ends with one newline", () => {
    expect(fmt("model X {\r\n  a: 1\r\n}")).toBe(lines("model X {", "  a: 1", "}"));
    expect(fmt("")).toBe("");
    expect(fmt("\n\n  \n")).toBe("");
  });
});

describe("alignment", () => {
  test("weighted sources on consecutive lines are a table: values start in one column", () => {
    const text = lines(
      "data D {",
      '  caption: 45% webdataset("c.tar")',
      '  interleaved: 45% jsonl("i.jsonl")',
      '  text: 10% jsonl("t.jsonl", field: "text")',
      "  images_per_sequence: 2",
      "}",
    );
    expect(fmt(text)).toBe(
      lines(
        "data D {",
        '  caption:     45% webdataset("c.tar")',
        '  interleaved: 45% jsonl("i.jsonl")',
        '  text:        10% jsonl("t.jsonl", field: "text")',
        "  images_per_sequence: 2",
        "}",
      ),
    );
  });

  test("a blank line or a comment line ends the table; other fields are not aligned", () => {
    const text = lines(
      "data D {",
      '  caption:     45% webdataset("c.tar")',
      "",
      '  text:    10% jsonl("t.jsonl")',
      "  // own line",
      '  interleaved:    45% jsonl("i.jsonl")',
      "  a:    1",
      "}",
    );
    expect(fmt(text)).toBe(
      lines(
        "data D {",
        '  caption: 45% webdataset("c.tar")',
        "",
        '  text: 10% jsonl("t.jsonl")',
        "  // own line",
        '  interleaved: 45% jsonl("i.jsonl")',
        "  a: 1",
        "}",
      ),
    );
  });
});

describe("comments", () => {
  test("an end-of-line comment keeps its column, or moves right of code that reaches it", () => {
    const text = lines(
      "model M {",
      "  vision: ViT{patch:8}     // a",
      "  connector: AvgPool { tokens: 16 }    // b",
      "  llm:L // c",
      "}",
    );
    expect(fmt(text)).toBe(
      lines(
        "model M {",
        "  vision: ViT { patch: 8 } // a",
        "  connector: AvgPool { tokens: 16 }    // b",
        "  llm: L // c",
        "}",
      ),
    );
  });

  test("the column counts from the line's indentation, so re-indenting keeps alignment", () => {
    expect(fmt("model M {\n      a: 1   // x\n      bb: 2  // y\n}")).toBe(
      lines("model M {", "  a: 1   // x", "  bb: 2  // y", "}"),
    );
  });

  test("a comment that would pass the line width at its column moves next to the code", () => {
    expect(fmt("model M {\n  a: 1                    // a long comment\n}", 30)).toBe(
      lines("model M {", "  a: 1 // a long comment", "}"),
    );
  });

  test("own-line comments stay above what they preceded, at its indentation", () => {
    const text =
      "/// doc\nmodel M {\n        // about a\n  a: 1\n    // about b\n      b: 2\n  // at the end\n}\n";
    expect(fmt(text)).toBe(
      lines(
        "/// doc",
        "model M {",
        "  // about a",
        "  a: 1",
        "  // about b",
        "  b: 2",
        "  // at the end",
        "}",
      ),
    );
  });

  test("a comment breaks the bracket pair it is in; block comments stay inside their line", () => {
    expect(fmt("train t { a: 1, /* why */ b: 2 }")).toBe(
      lines("train t {", "  a: 1, /* why */ b: 2", "}"),
    );
    expect(fmt("train t { a: [1, // one\n 2] }")).toBe(
      lines("train t {", "  a: [", "    1, // one", "    2,", "  ]", "}"),
    );
  });

  test("a comment after an opening bracket stays on its line", () => {
    expect(fmt("model M { // the model\n  a: 1\n}")).toBe(
      lines("model M { // the model", "  a: 1", "}"),
    );
  });

  test("a line comment between two tokens of one value ends the line; the value continues", () => {
    expect(fmt("model M {\n  a: Foo // why\n    { x: 1 }\n}")).toBe(
      lines("model M {", "  a: Foo // why", "    { x: 1 }", "}"),
    );
  });

  test("block comments over several lines are kept as written", () => {
    const text = "/* one\n   two */\nmodel M {\n    /* three\n       four */\n  a: 1\n}\n";
    expect(fmt(text)).toBe(
      lines("/* one", "   two */", "model M {", "  /* three", "       four */", "  a: 1", "}"),
    );
  });

  test("trailing white space after a line comment is dropped", () => {
    expect(fmt("// note   \nmodel M {}")).toBe(lines("// note", "model M {}"));
  });
});

test("a file with syntax errors is not formatted: its diagnostics come back", () => {
  const r = formatSource("model M { a: 1 ", "bad.mm");
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.diagnostics.map((d) => d.code)).toEqual(["MM1102"]);
  const unit = formatSource("train t { steps: 3Mx }", "bad.mm");
  expect(!unit.ok && unit.diagnostics.map((d) => d.code)).toEqual(["MM1005"]);
});

test("a reserved word can be a field name", () => {
  expect(fmt("train t {model:Tiny,data:D}")).toBe(lines("train t { model: Tiny, data: D }"));
});

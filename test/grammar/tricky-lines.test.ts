// Expected scopes for the lines a regex grammar most easily gets wrong: units, ratios, escapes,
// comments in odd places, dotted paths, budgets, and recovery from unfinished input.
import { describe, expect, it } from "vitest";
import { hasScope, tokenize, type TokenizedLine } from "./tm-engine.js";

/** `[fragment, scope]`: every character of the fragment must carry the scope (or one below it). */
type Expectation = [fragment: string, scope: string];

/**
 * Checks fragments left to right through a document; `!scope` means the fragment must NOT carry it,
 * and a fragment equal to the one before it is the same place checked again.
 * Returns the mismatches so a failure names every wrong fragment at once.
 */
async function mismatches(text: string, expectations: Expectation[]): Promise<string[]> {
  const lines: TokenizedLine[] = await tokenize(text);
  const rows = text.split("\n");
  const problems: string[] = [];
  let row = 0;
  let from = 0;
  let previous = "";
  for (const [fragment, scope] of expectations) {
    if (fragment === previous) from -= fragment.length;
    previous = fragment;
    let column = rows[row]?.indexOf(fragment, from) ?? -1;
    while (column < 0 && row + 1 < rows.length) {
      row += 1;
      column = rows[row]?.indexOf(fragment) ?? -1;
    }
    if (column < 0) throw new Error(`fragment \`${fragment}\` not found`);
    const negated = scope.startsWith("!");
    const want = negated ? scope.slice(1) : scope;
    for (let k = 0; k < fragment.length; k++) {
      const token = lines[row]?.find(
        (t) => column + k >= t.start && column + k < t.start + t.text.length,
      );
      const scopes = token?.scopes ?? [];
      if (hasScope(scopes, want) === negated) {
        problems.push(
          `\`${fragment}\` char ${k}: wanted ${scope}, has [${scopes.slice(1).join(" ")}]`,
        );
        break;
      }
    }
    from = column + fragment.length;
  }
  return problems;
}

const cases: [title: string, text: string, expectations: Expectation[]][] = [
  [
    "byte sizes and scale suffixes in a budget",
    "budget {\n  train_memory <= 80GiB\n  params.vision < 3.2B\n  active_params >= 124M\n}",
    [
      ["budget", "keyword.other"],
      ["train_memory", "variable.other.property"],
      ["<=", "keyword.operator.comparison"],
      ["80", "constant.numeric"],
      ["GiB", "keyword.other.unit.bytes"],
      ["params", "variable.other.property"],
      [".", "punctuation.accessor"],
      ["vision", "variable.other.property"],
      ["<", "keyword.operator.comparison"],
      ["3.2", "constant.numeric"],
      ["B", "keyword.other.unit.scale"],
      [">=", "keyword.operator.comparison"],
      ["124", "constant.numeric"],
      ["M", "keyword.other.unit.scale"],
    ],
  ],
  [
    "every comparison operator",
    "budget { a == 1 b > 2 c >= 3 d < 4 e <= 5 }",
    [
      ["==", "keyword.operator.comparison"],
      [">", "keyword.operator.comparison"],
      [">=", "keyword.operator.comparison"],
      ["<", "keyword.operator.comparison"],
      ["<=", "keyword.operator.comparison"],
    ],
  ],
  [
    "percentages, exponents and byte sizes as values",
    "x { final: 45%, lr: 3e-3, eps: 1E+8, mem: 512MiB, big: 2TB, n: 1_000 }",
    [
      ["45", "constant.numeric"],
      ["%", "keyword.other.unit.percent"],
      ["3e-3", "constant.numeric"],
      ["3e-3", "!keyword.operator"],
      ["1E+8", "constant.numeric"],
      ["512", "constant.numeric"],
      ["MiB", "keyword.other.unit.bytes"],
      ["2", "constant.numeric"],
      ["TB", "keyword.other.unit.bytes"],
      ["1_000", "constant.numeric"],
    ],
  ],
  [
    "an unknown unit is marked, as the compiler will reject it",
    "x: 12Mx",
    [
      ["12", "constant.numeric"],
      ["Mx", "invalid.illegal.unit"],
    ],
  ],
  [
    "a ratio is one number with separators, not a field",
    "mixture: 45:45:10",
    [
      ["mixture", "variable.other.property"],
      ["45", "constant.numeric.ratio"],
      [":", "punctuation.separator.ratio"],
      ["45:10", "constant.numeric.ratio"],
    ],
  ],
  [
    "strings with escaped quotes end at the right quote",
    'note: "a \\"b\\" c", next: 1',
    [
      ['"a ', "string.quoted.double"],
      ['\\"', "constant.character.escape"],
      ["b", "string.quoted.double"],
      ['\\"', "constant.character.escape"],
      [' c"', "string.quoted.double"],
      ["next", "variable.other.property"],
      ["next", "!string"],
      ["1", "constant.numeric"],
    ],
  ],
  [
    "an unterminated string stops at the end of its line",
    'dir: "runs/x\nmodel Tiny {',
    [
      ['"runs/x', "string.quoted.double"],
      ["model", "storage.type"],
      ["Tiny", "entity.name.type"],
    ],
  ],
  [
    "comments inside a list, and a keyword inside a comment",
    "sources: [\n  a, // model data\n  /* budget */ b,\n  // train\n  c,\n]",
    [
      ["a", "variable.other"],
      ["// model data", "comment.line.double-slash"],
      ["/* budget */", "comment.block"],
      ["b", "variable.other"],
      ["// train", "comment.line.double-slash"],
      ["c", "!comment"],
      ["]", "punctuation.section.brackets"],
    ],
  ],
  [
    "a block comment over several lines",
    "/* model X {\n   budget { params <= 1B }\n*/ model Y {}",
    [
      ["/* model X {", "comment.block"],
      ["   budget { params <= 1B }", "comment.block"],
      ["*/", "comment.block"],
      ["model", "storage.type.model"],
      ["Y", "entity.name.type.model"],
    ],
  ],
  [
    "doc comments, with inline code",
    "/// The `tiny` one.\nmodel Tiny {}",
    [
      ["///", "comment.line.documentation"],
      [" The ", "comment.line.documentation"],
      ["`tiny`", "markup.inline.raw"],
      ["model", "storage.type.model"],
    ],
  ],
  [
    "a variant with dotted field paths",
    "model Tiny144 = Tiny { connector.tokens: 144, llm.moe.top_k: 1 }",
    [
      ["model", "storage.type.model"],
      ["Tiny144", "entity.name.type.model"],
      ["=", "keyword.operator.assignment"],
      ["Tiny", "entity.other.inherited-class"],
      ["connector", "variable.other.property"],
      [".", "punctuation.accessor"],
      ["tokens", "variable.other.property"],
      ["llm", "variable.other.property"],
      ["moe", "variable.other.property"],
      ["top_k", "variable.other.property"],
    ],
  ],
  [
    "presets, component kinds and type application",
    "encoder ViT_L14 = ViT { patch: 14 }\nmodel M { image: Image[3, 64, 64], vision: ViT_L14 }",
    [
      ["encoder", "storage.type.preset"],
      ["ViT_L14", "entity.name.type.preset"],
      ["ViT", "support.class.component"],
      ["patch", "variable.other.property"],
      ["Image", "support.class"],
      ["[", "punctuation.section.brackets"],
      ["64", "constant.numeric"],
      ["ViT_L14", "entity.name.type"],
    ],
  ],
  [
    "nested records and calls",
    "llm: Decoder { mlp: swiglu(688), moe: MoE { experts: 4, opts: { a: { b: true } } } }",
    [
      ["llm", "variable.other.property"],
      ["Decoder", "support.class.component"],
      ["swiglu", "support.function"],
      ["moe", "variable.other.property"],
      ["MoE", "support.class.component"],
      ["opts", "variable.other.property"],
      ["a", "variable.other.property"],
      ["b", "variable.other.property"],
      ["true", "constant.language.boolean"],
    ],
  ],
  [
    "imports and call arguments",
    'import { Decoder, MoE } from "std/llm"\ndata D { text: 10% jsonl("t.jsonl", field: "text") }',
    [
      ["import", "keyword.control.import"],
      ["Decoder", "support.class"],
      ["from", "keyword.control.import"],
      ['"std/llm"', "string.quoted.double"],
      ["data", "storage.type.data"],
      ["D", "entity.name.type.data"],
      ["jsonl", "support.function"],
      ["field", "variable.other.property"],
    ],
  ],
  [
    "a sweep: keyword, dotted axis and a base with overrides",
    "sweep s {\n  base: tiny { steps: 200 }\n  vary model.connector: [AvgPool { tokens: 16 }]\n  report: [loss, params]\n}",
    [
      ["sweep", "storage.type.sweep"],
      ["s", "entity.name.function.sweep"],
      ["base", "variable.other.property"],
      ["tiny", "entity.name.type"],
      ["vary", "keyword.other"],
      ["model", "variable.other.property"],
      ["connector", "variable.other.property"],
      ["AvgPool", "support.class.component"],
      ["params", "variable.other"],
      ["params", "!keyword"],
    ],
  ],
  [
    "a train run names its model and data with keyword-spelled fields",
    "train run {\n  model: Tiny\n  data: Synthetic\n}",
    [
      ["train", "storage.type.train"],
      ["run", "entity.name.function.train"],
      ["model", "variable.other.property"],
      ["Tiny", "entity.name.type"],
      ["data", "variable.other.property"],
      ["data", "!storage"],
    ],
  ],
  [
    "an unfinished budget does not swallow the next declaration",
    "model A {\n  budget\n}\nmodel B {}",
    [
      ["budget", "keyword.other.budget"],
      ["}", "punctuation.section.braces"],
      ["model", "storage.type.model"],
      ["B", "entity.name.type.model"],
    ],
  ],
  [
    "a character the lexer rejects is marked",
    "x: 1; y: @",
    [
      [";", "invalid.illegal.character"],
      ["@", "invalid.illegal.character"],
    ],
  ],
];

describe("scopes for tricky lines", () => {
  it.each(cases)("%s", async (_title, text, expectations) => {
    expect(await mismatches(text, expectations)).toEqual([]);
  });

  it("notices a wrong expectation (the checker can fail)", async () => {
    expect(await mismatches("x: 80GiB", [["GiB", "constant.character.escape"]])).toHaveLength(1);
  });
});

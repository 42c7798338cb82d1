// The VS Code extension manifest, language configuration and snippets: paths resolve, ids agree
// with the grammar, the editing regexes behave, and every snippet inserts valid, highlighted .mm.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/source/source-file.js";
import { parseSource } from "../../src/syntax/parse.js";
import { disagreements, invalidScopes } from "./lexer-agreement.js";
import { expandSnippet } from "./snippet-text.js";
import { hasScope, REPO_ROOT, scopesAt, tokenize } from "./tm-engine.js";

const GRAMMAR_DIR = join(REPO_ROOT, "grammar");
const readJson = (path: string): unknown =>
  JSON.parse(readFileSync(join(GRAMMAR_DIR, path), "utf8"));

interface Manifest {
  name: string;
  version: string;
  publisher: string;
  engines: { vscode: string };
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    snippets: { language: string; path: string }[];
  };
}
interface LanguageConfiguration {
  comments: { lineComment: string; blockComment: [string, string] };
  brackets: [string, string][];
  autoClosingPairs: { open: string; close: string }[];
  surroundingPairs: [string, string][];
  folding: { markers: { start: string; end: string } };
  indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
  onEnterRules: { beforeText: string; action: { appendText?: string } }[];
  wordPattern: string;
}
interface Snippet {
  prefix: string;
  description: string;
  body: string[];
}

const manifest = readJson("package.json") as Manifest;
const config = readJson("language-configuration.json") as LanguageConfiguration;
const snippets = readJson("snippets.json") as Record<string, Snippet>;

describe("extension manifest", () => {
  it("contributes the mm language for .mm files with the grammar and snippets", () => {
    const [language] = manifest.contributes.languages;
    expect(language?.id).toBe("mm");
    expect(language?.extensions).toEqual([".mm"]);
    const [grammar] = manifest.contributes.grammars;
    expect(grammar).toMatchObject({ language: "mm", scopeName: "source.mm" });
    expect(manifest.contributes.snippets).toEqual([{ language: "mm", path: "./snippets.json" }]);
  });

  it("points only at files that exist, and the grammar file declares the same scope name", () => {
    const paths = [
      ...manifest.contributes.languages.map((l) => l.configuration),
      ...manifest.contributes.grammars.map((g) => g.path),
      ...manifest.contributes.snippets.map((s) => s.path),
    ];
    for (const path of paths) expect(existsSync(join(GRAMMAR_DIR, path)), path).toBe(true);
    const grammar = readJson(manifest.contributes.grammars[0]?.path ?? "") as { scopeName: string };
    expect(grammar.scopeName).toBe(manifest.contributes.grammars[0]?.scopeName);
  });

  it("has what VS Code needs to install it, at the project's version", () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(manifest.version).toBe(root.version);
    expect(manifest.publisher).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(manifest.engines.vscode).toMatch(/^\^1\.\d+\.\d+$/);
  });
});

describe("language configuration", () => {
  it("uses the comment markers the lexer knows", async () => {
    expect(config.comments).toEqual({ lineComment: "//", blockComment: ["/*", "*/"] });
    const lines = await tokenize(
      `${config.comments.lineComment} x\n${config.comments.blockComment.join(" x ")}`,
    );
    expect(hasScope(scopesAt(lines, 0, 0), "comment.line")).toBe(true);
    expect(hasScope(scopesAt(lines, 1, 0), "comment.block")).toBe(true);
  });

  it("pairs every bracket the lexer has, and quotes", () => {
    const pairs = [
      ["{", "}"],
      ["[", "]"],
      ["(", ")"],
    ];
    expect(config.brackets).toEqual(pairs);
    expect(config.surroundingPairs).toEqual([...pairs, ['"', '"']]);
    const closing = config.autoClosingPairs.map((p) => [p.open, p.close]);
    for (const pair of [...pairs, ['"', '"']]) expect(closing).toContainEqual(pair);
  });

  it("indents after an unclosed bracket and outdents on a closing one", () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
    for (const line of [
      "model Tiny {",
      "  llm: Decoder {  // the LLM",
      "  vary x: [",
      "  a: { b: 1 }, c: {",
    ]) {
      expect(increase.test(line), line).toBe(true);
    }
    for (const line of ["  vision: ViT { patch: 8 }", "// model {", '  dir: "{"', "  x: [1, 2]"]) {
      expect(increase.test(line), line).toBe(false);
    }
    expect(decrease.test("  }")).toBe(true);
    expect(decrease.test("  ],")).toBe(true);
    expect(decrease.test("  x: 1 }")).toBe(false);
  });

  it("continues doc comments on Enter", () => {
    const rule = config.onEnterRules.find((r) =>
      new RegExp(r.beforeText).test("  /// The tiny model"),
    );
    expect(rule?.action.appendText).toBe("/// ");
  });

  it("folds on region markers", () => {
    expect(new RegExp(config.folding.markers.start).test("// #region encoders")).toBe(true);
    expect(new RegExp(config.folding.markers.end).test("  // #endregion")).toBe(true);
  });

  it("treats a number with its unit, a ratio and a snake_case name as one word each", () => {
    const word = new RegExp(`^(?:${config.wordPattern})$`);
    for (const w of ["80GiB", "3.2B", "45%", "3e-3", "45:45:10", "kv_heads", "ViT_L14"]) {
      expect(word.test(w), w).toBe(true);
    }
    for (const w of ["a.b", "x:", "1 2"]) expect(word.test(w), w).toBe(false);
  });
});

describe("snippets", () => {
  it("cover model, data, train and sweep", () => {
    const prefixes = Object.values(snippets).map((s) => s.prefix);
    for (const p of ["model", "data", "train", "sweep"]) expect(prefixes).toContain(p);
  });

  it.each(Object.entries(snippets))(
    "`%s` inserts text the parser and grammar accept",
    async (name, snippet) => {
      const text = expandSnippet(snippet.body);
      // A budget block lives inside a model; every other snippet is a whole declaration.
      const file = snippet.prefix === "budget" ? `model M {\n${text}\n}` : text;
      expect(parseSource(new SourceFile(`${name}.mm`, file)).diagnostics).toEqual([]);
      const lines = await tokenize(text);
      expect(disagreements(text, lines)).toEqual([]);
      expect(invalidScopes(lines)).toEqual([]);
      const first = text.trimStart().split(/\s/)[0] ?? "";
      const scopes = scopesAt(lines, 0, text.indexOf(first));
      expect(hasScope(scopes, "storage") || hasScope(scopes, "keyword"), first).toBe(true);
    },
  );

  it("expands placeholders, escapes and choices like VS Code", () => {
    expect(expandSnippet(["a ${1:x} $1 ${2|<=,<|} ${3:{ b: 1 \\}}$0"])).toBe("a x x <= { b: 1 }");
  });
});

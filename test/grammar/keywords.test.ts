// The grammar's keywords are exactly the lexer's KEYWORDS, and each is scoped as a keyword only
// where the parser reads it as one (a keyword spelled as a field name is a name).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KEYWORDS, PRESET_KEYWORDS } from "../../src/syntax/tokens.js";
import { disagreements } from "./lexer-agreement.js";
import { GRAMMAR_PATH, hasScope, scopesAt, tokenize } from "./tm-engine.js";

interface Rule {
  match?: string;
  begin?: string;
  name?: string;
}
interface Grammar {
  repository: Record<string, { patterns?: Rule[] } & Rule>;
}

const grammar = JSON.parse(readFileSync(GRAMMAR_PATH, "utf8")) as Grammar;

/** The words of every `(?:a|b|c)` alternation in a set of rules. */
function alternationWords(rules: Rule[]): string[] {
  const words: string[] = [];
  for (const rule of rules) {
    for (const source of [rule.match, rule.begin]) {
      for (const [, group] of (source ?? "").matchAll(/\((?:\?:)?([a-z]+(?:\|[a-z]+)*)\)/g)) {
        words.push(...(group ?? "").split("|"));
      }
    }
  }
  return words;
}

const keywordRules = [
  ...(grammar.repository["keywords"]?.patterns ?? []),
  grammar.repository["budget"] ?? {},
];

/** Scopes at the last occurrence of `word` in a one-line document. */
async function scopesOf(line: string, word: string): Promise<string[]> {
  const column = line.lastIndexOf(word);
  if (column < 0) throw new Error(`\`${word}\` not in \`${line}\``);
  return scopesAt(await tokenize(line), 0, column);
}

describe("grammar keywords", () => {
  it("lists exactly the lexer's KEYWORDS", () => {
    const words = alternationWords(keywordRules);
    expect(new Set(words).size).toBe(words.length);
    expect([...words].sort()).toEqual([...KEYWORDS].sort());
  });

  it("opens a preset declaration with exactly the lexer's PRESET_KEYWORDS", () => {
    const declarations = grammar.repository["declarations"]?.patterns ?? [];
    const presetRule = declarations.find((r) => r.match?.includes("encoder"));
    expect(alternationWords(presetRule ? [presetRule] : []).sort()).toEqual(
      [...PRESET_KEYWORDS].sort(),
    );
    for (const word of alternationWords(declarations)) expect(KEYWORDS).toContain(word);
  });

  it.each([...KEYWORDS])("scopes `%s` as a keyword where it is one", async (word) => {
    const scopes = await scopesOf(`${word} Name`, word);
    expect(["keyword", "storage", "constant.language"].some((p) => hasScope(scopes, p))).toBe(true);
    expect(hasScope(scopes, "variable")).toBe(false);
  });

  it.each([...KEYWORDS])(
    "scopes `%s` as a name when it is a field or path segment",
    async (word) => {
      for (const line of [`${word}: 1`, `${word}.tokens: 1`, `vary model.${word}: [1]`]) {
        const scopes = await scopesOf(line, word);
        expect(hasScope(scopes, "variable.other.property"), line).toBe(true);
        expect(hasScope(scopes, "keyword") || hasScope(scopes, "storage"), line).toBe(false);
      }
    },
  );

  it.each(["models", "dataset", "trainer", "budgets", "import_path", "vary_x", "falsey", "_model"])(
    "does not scope `%s`, which only starts like a keyword",
    async (word) => {
      const scopes = await scopesOf(`x: ${word}`, word);
      expect(hasScope(scopes, "keyword") || hasScope(scopes, "storage")).toBe(false);
    },
  );
});

describe("the lexer cross-check", () => {
  it("reports a keyword whose keyword scope is missing", async () => {
    const text = "model Tiny {\n  data: D\n}\n";
    const lines = await tokenize(text);
    expect(disagreements(text, lines)).toEqual([]);
    const stripped = lines.map((tokens) =>
      tokens.map((t) => ({ ...t, scopes: t.scopes.filter((s) => !s.startsWith("storage")) })),
    );
    expect(disagreements(text, stripped)).toEqual([expect.stringContaining("`model` (Kw_model)")]);
  });

  it("reports a comment the grammar does not see", async () => {
    const text = "// note\nmodel Tiny {}\n";
    const lines = await tokenize(text);
    const uncommented = lines.map((tokens) =>
      tokens.map((t) => ({ ...t, scopes: t.scopes.filter((s) => !s.startsWith("comment")) })),
    );
    expect(disagreements(text, uncommented)).toEqual([
      expect.stringContaining("skipped by the lexer"),
    ]);
  });
});

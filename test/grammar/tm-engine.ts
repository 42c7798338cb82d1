// Loads grammar/mm.tmLanguage.json into the real TextMate engine (vscode-textmate + oniguruma),
// so the tests see exactly the scopes VS Code would assign.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GRAMMAR_PATH = `${REPO_ROOT}grammar/mm.tmLanguage.json`;

/** One token of one line: its text, where it starts (0-based column) and its scope stack. */
export interface ScopedToken {
  text: string;
  start: number;
  scopes: string[];
}

export type TokenizedLine = ScopedToken[];

let loaded: Promise<textmate.IGrammar> | undefined;

async function loadGrammar(): Promise<textmate.IGrammar> {
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === "source.mm"
        ? textmate.parseRawGrammar(readFileSync(GRAMMAR_PATH, "utf8"), GRAMMAR_PATH)
        : null,
  });
  const grammar = await registry.loadGrammar("source.mm");
  if (!grammar) throw new Error("grammar source.mm did not load");
  return grammar;
}

/** The grammar, loaded once per test file (the WASM engine is process-wide). */
export function mmGrammar(): Promise<textmate.IGrammar> {
  loaded ??= loadGrammar();
  return loaded;
}

/** Tokenizes a whole document line by line, carrying the rule stack like an editor does. */
export async function tokenize(text: string): Promise<TokenizedLine[]> {
  const grammar = await mmGrammar();
  let stack = textmate.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => ({
      text: line.slice(t.startIndex, t.endIndex),
      start: t.startIndex,
      scopes: t.scopes,
    }));
  });
}

/** The scope stack at a 0-based line and column (empty when the column is past the line's tokens). */
export function scopesAt(lines: TokenizedLine[], line: number, column: number): string[] {
  const tokens = lines[line] ?? [];
  const hit = tokens.find((t) => column >= t.start && column < t.start + t.text.length);
  return hit ? hit.scopes : [];
}

/** True when some scope in the stack equals `prefix` or starts with `prefix.`. */
export function hasScope(scopes: readonly string[], prefix: string): boolean {
  return scopes.some((s) => s === prefix || s.startsWith(`${prefix}.`));
}

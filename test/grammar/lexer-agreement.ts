// Cross-checks the TextMate grammar against the compiler's own lexer on a whole document:
// every token class the lexer finds must get the matching scope, and whatever the lexer skips
// that is not white space must be a comment.
import { Lexer, type IToken } from "chevrotain";
import { BYTE_SUFFIXES, SCALE_SUFFIXES } from "../../src/syntax/literals.js";
import { ALL_TOKENS, KEYWORDS } from "../../src/syntax/tokens.js";
import { hasScope, scopesAt, type TokenizedLine } from "./tm-engine.js";

const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);
const lexer = new Lexer(ALL_TOKENS, { positionTracking: "full" });

/** The units the compiler decodes; any other trailing letters must be scoped an invalid unit. */
const UNITS: ReadonlySet<string> = new Set([
  ...Object.keys(SCALE_SUFFIXES),
  ...Object.keys(BYTE_SUFFIXES),
  "%",
]);

const PUNCTUATION: Record<string, string> = {
  LCurly: "punctuation",
  RCurly: "punctuation",
  LBracket: "punctuation.section.brackets",
  RBracket: "punctuation.section.brackets",
  LParen: "punctuation.section.parens",
  RParen: "punctuation.section.parens",
  Comma: "punctuation.separator.comma",
  Colon: "punctuation.separator.key-value",
  Dot: "punctuation.accessor",
  LessEq: "keyword.operator.comparison",
  GreaterEq: "keyword.operator.comparison",
  EqEq: "keyword.operator.comparison",
  Less: "keyword.operator.comparison",
  Greater: "keyword.operator.comparison",
  Equals: "keyword.operator.assignment",
  Minus: "keyword.operator.arithmetic",
};

/** A keyword spelled as a field name or path segment (`model: X`, `vary model.connector`) is a name. */
function usedAsName(tokens: readonly IToken[], index: number): boolean {
  const next = tokens[index + 1]?.tokenType.name;
  const previous = tokens[index - 1]?.tokenType.name;
  return next === "Colon" || next === "Dot" || previous === "Dot";
}

export type LexedDocument = ReturnType<Lexer["tokenize"]>;

export function lexDocument(text: string): LexedDocument {
  return lexer.tokenize(text);
}

/** Returns one line per disagreement between the lexer and the grammar; empty when they agree. */
export function disagreements(text: string, lines: TokenizedLine[]): string[] {
  const lexed = lexDocument(text);
  const problems = lexed.errors.map((e) => `lexer error at ${e.line}:${e.column}: ${e.message}`);
  const at = (t: IToken, offset = 0): string[] =>
    scopesAt(lines, (t.startLine ?? 1) - 1, (t.startColumn ?? 1) - 1 + offset);
  const report = (t: IToken, want: string, got: string[]): void => {
    problems.push(
      `${t.startLine}:${t.startColumn} \`${t.image}\` (${t.tokenType.name}) wants ${want}, has [${got.slice(1).join(" ")}]`,
    );
  };

  const tokens = lexed.tokens;
  tokens.forEach((t, i) => {
    const kind = t.tokenType.name;
    const scopes = at(t);
    if (KEYWORD_SET.has(t.image) && kind.startsWith("Kw_")) {
      if (usedAsName(tokens, i)) {
        if (!hasScope(scopes, "variable.other.property")) report(t, "a property scope", scopes);
      } else if (
        !["keyword", "storage", "constant.language.boolean"].some((p) => hasScope(scopes, p))
      ) {
        report(t, "a keyword, storage or boolean scope", scopes);
      }
    } else if (kind === "Identifier") {
      if (hasScope(scopes, "keyword") || hasScope(scopes, "storage"))
        report(t, "a non-keyword scope", scopes);
      if (
        tokens[i + 1]?.tokenType.name === "Colon" &&
        !hasScope(scopes, "variable.other.property")
      ) {
        report(t, "a property scope", scopes);
      }
    } else if (kind === "StringLiteral") {
      for (let k = 0; k < t.image.length; k++) {
        if (!hasScope(at(t, k), "string.quoted.double")) {
          report(t, `a string scope at character ${k}`, at(t, k));
          break;
        }
      }
    } else if (kind === "Ratio") {
      if (!hasScope(scopes, "constant.numeric.ratio")) report(t, "a ratio scope", scopes);
    } else if (kind === "NumberLiteral") {
      if (!hasScope(scopes, "constant.numeric")) report(t, "a numeric scope", scopes);
      const suffix = /[A-Za-z%][A-Za-z0-9_%]*$/.exec(
        t.image.replace(/^\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?/, ""),
      );
      if (suffix) {
        const unitScopes = at(t, t.image.length - suffix[0].length);
        const want = UNITS.has(suffix[0]) ? "keyword.other.unit" : "invalid.illegal.unit";
        if (!hasScope(unitScopes, want)) report(t, want, unitScopes);
      }
    } else if (PUNCTUATION[kind] && !hasScope(scopes, PUNCTUATION[kind])) {
      report(t, PUNCTUATION[kind], scopes);
    }
  });

  for (const doc of lexed.groups["docs"] ?? []) {
    if (!hasScope(at(doc), "comment.line.documentation"))
      report(doc, "a doc-comment scope", at(doc));
  }

  // Characters no token covers are white space or skipped comments.
  const covered = new Set<string>();
  for (const t of [...tokens, ...(lexed.groups["docs"] ?? [])]) {
    for (let k = 0; k < t.image.length; k++)
      covered.add(`${t.startLine}:${(t.startColumn ?? 0) + k}`);
  }
  text.split(/\r?\n/).forEach((line, row) => {
    for (let col = 0; col < line.length; col++) {
      if (/\s/.test(line[col] ?? "") || covered.has(`${row + 1}:${col + 1}`)) continue;
      const scopes = scopesAt(lines, row, col);
      if (!hasScope(scopes, "comment")) {
        problems.push(
          `${row + 1}:${col + 1} \`${line[col]}\` is skipped by the lexer but scoped [${scopes.slice(1).join(" ")}]`,
        );
        break;
      }
    }
  });
  return problems;
}

/** Every scope that marks an error; a file the lexer accepts should have none. */
export function invalidScopes(lines: TokenizedLine[]): string[] {
  const found: string[] = [];
  lines.forEach((tokens, row) => {
    for (const t of tokens) {
      if (hasScope(t.scopes, "invalid")) found.push(`${row + 1}:${t.start + 1} \`${t.text}\``);
    }
  });
  return found;
}

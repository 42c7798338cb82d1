// Syntax error messages in our own words, replacing chevrotain's defaults.
// The grammar rule names map to what a user would call the thing they were writing.
import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";

const RULE_WORDS: Record<string, string> = {
  file: "a declaration",
  declaration:
    "a declaration (`import`, `model`, `data`, `train`, `sweep`, or a preset such as `encoder`)",
  importDecl: "an import",
  presetDecl: "a component preset",
  modelDecl: "a `model`",
  blockDecl: "a declaration",
  body: "a field",
  member: "a field (`name: value`)",
  field: "a field",
  path: "a field name",
  budgetBlock: "a budget bound",
  bound: "a budget bound such as `params <= 20M`",
  varyEntry: "a `vary` axis",
  value: "a value (a number, string, name, list or `{ ... }` record)",
  call: "a call",
  reference: "a name",
  args: "an argument",
  argument: "an argument",
  list: "a list item",
};

export function describeToken(token: IToken): string {
  if (token.tokenType.name === "EOF") return "the end of the file";
  const image = token.image.length > 24 ? `${token.image.slice(0, 24)}…` : token.image;
  return `\`${image}\``;
}

function label(t: TokenType): string {
  if (t.name === "AnyName" || t.name === "Identifier") return "a name";
  if (t.name === "Compare") return "a comparison (`<=`, `<`, `>=`, `>`, `==`)";
  return t.LABEL ?? `\`${t.name}\``;
}

function ruleWord(ruleName: string): string {
  return RULE_WORDS[ruleName] ?? "more input";
}

export const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${label(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${ruleWord("declaration")}, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    const found = actual[0];
    return `expected ${ruleWord(ruleName)}, found ${found ? describeToken(found) : "nothing"}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    const found = actual[0];
    return `expected ${ruleWord(ruleName)}, found ${found ? describeToken(found) : "nothing"}`;
  },
};

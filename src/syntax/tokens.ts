// The token vocabulary of `.mm`: one chevrotain token type per lexical class.
// The TextMate grammar in grammar/ must agree with KEYWORDS (a test checks it).
import { createToken, Lexer, type TokenType } from "chevrotain";

/** Every token that cannot start a top-level declaration (for top-level error recovery). */
export const Stray = createToken({ name: "Stray", pattern: Lexer.NA });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

/** Every name-like token (identifiers and keywords): a field name may be a keyword (`model: Tiny`). */
export const AnyName = createToken({ name: "AnyName", pattern: Lexer.NA });
Identifier.CATEGORIES = [AnyName, Stray];

function keyword(word: string, startsDeclaration = false): TokenType {
  return createToken({
    name: `Kw_${word}`,
    label: `\`${word}\``,
    pattern: new RegExp(`${word}(?![A-Za-z0-9_])`),
    longer_alt: Identifier,
    categories: startsDeclaration ? [AnyName] : [AnyName, Stray],
  });
}

export const Import = keyword("import", true);
export const From = keyword("from");
export const Encoder = keyword("encoder", true);
export const Connector = keyword("connector", true);
export const Llm = keyword("llm", true);
export const Moe = keyword("moe", true);
export const Model = keyword("model", true);
export const Data = keyword("data", true);
export const Train = keyword("train", true);
export const Sweep = keyword("sweep", true);
export const Budget = keyword("budget");
export const Vary = keyword("vary");
export const True = keyword("true");
export const False = keyword("false");

/** Keywords that open a component preset declaration: `encoder ViT_L14 = ViT { ... }`. */
export const PRESET_KEYWORDS = ["encoder", "connector", "llm", "moe"] as const;
export type PresetKeyword = (typeof PRESET_KEYWORDS)[number];

/** All reserved words of the language, in one list (shared with the TextMate grammar test). */
export const KEYWORDS = [
  "import",
  "from",
  ...PRESET_KEYWORDS,
  "model",
  "data",
  "train",
  "sweep",
  "budget",
  "vary",
  "true",
  "false",
] as const;

export const DocComment = createToken({
  name: "DocComment",
  pattern: /\/\/\/[^\n\r]*/,
  group: "docs",
});
// Comments go to their own group (not skipped) so the syntax stage can tell that a character
// it reports, such as a direction override, is inside one.
export const LineComment = createToken({
  name: "LineComment",
  pattern: /\/\/[^\n\r]*/,
  group: "comments",
});
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/**
 * A string literal with escapes. The lexer accepts any backslash escape; the AST step decodes
 * them and reports unknown ones, so a bad escape gives a precise error instead of a lexer stop.
 */
export const StringLiteral = createToken({
  name: "StringLiteral",
  label: "a string",
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  categories: [Stray],
});

/**
 * A string with no closing quote on its line. The parser accepts it as a string (so one mistake
 * gives one error) and the AST step reports it.
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  label: "a string",
  pattern: /"(?:[^"\\\n\r]|\\.)*/,
  categories: [StringLiteral],
});

// An unclosed block comment: reported by the syntax stage, invisible to the parser.
export const UnterminatedComment = createToken({
  name: "UnterminatedComment",
  pattern: /\/\*[\s\S]*/,
  group: "errors",
  line_breaks: true,
});

/** `45:45:10`: two or more numbers joined by colons with no spaces. */
export const Ratio = createToken({
  name: "Ratio",
  label: "a ratio",
  pattern: /\d[\d_]*(?:\.\d+)?(?::\d[\d_]*(?:\.\d+)?)+/,
  categories: [Stray],
});

/**
 * A number with an optional unit: `3`, `3e-3`, `124M`, `3.2B`, `45%`, `80GiB`. Any trailing letters
 * are lexed with the number and checked in the AST step, so `12Mx` is one clear error.
 */
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  label: "a number",
  pattern: /\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[A-Za-z][A-Za-z0-9_]*)?%?/,
  categories: [Stray],
});

export const LCurly = createToken({
  name: "LCurly",
  pattern: /{/,
  label: "`{`",
  categories: [Stray],
});
export const RCurly = createToken({
  name: "RCurly",
  pattern: /}/,
  label: "`}`",
  categories: [Stray],
});
export const LBracket = createToken({
  name: "LBracket",
  pattern: /\[/,
  label: "`[`",
  categories: [Stray],
});
export const RBracket = createToken({
  name: "RBracket",
  pattern: /]/,
  label: "`]`",
  categories: [Stray],
});
export const LParen = createToken({
  name: "LParen",
  pattern: /\(/,
  label: "`(`",
  categories: [Stray],
});
export const RParen = createToken({
  name: "RParen",
  pattern: /\)/,
  label: "`)`",
  categories: [Stray],
});
export const Comma = createToken({
  name: "Comma",
  pattern: /,/,
  label: "`,`",
  categories: [Stray],
});
export const Colon = createToken({
  name: "Colon",
  pattern: /:/,
  label: "`:`",
  categories: [Stray],
});
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`", categories: [Stray] });
export const Minus = createToken({
  name: "Minus",
  pattern: /-/,
  label: "`-`",
  categories: [Stray],
});

/** Comparison operators, used in `budget` blocks. */
export const Compare = createToken({
  name: "Compare",
  pattern: Lexer.NA,
  label: "a comparison",
  categories: [Stray],
});
export const LessEq = createToken({
  name: "LessEq",
  pattern: /<=/,
  categories: [Compare],
  label: "`<=`",
});
export const GreaterEq = createToken({
  name: "GreaterEq",
  pattern: />=/,
  categories: [Compare],
  label: "`>=`",
});
export const EqEq = createToken({
  name: "EqEq",
  pattern: /==/,
  categories: [Compare],
  label: "`==`",
});
export const Less = createToken({
  name: "Less",
  pattern: /</,
  categories: [Compare],
  label: "`<`",
});
export const Greater = createToken({
  name: "Greater",
  pattern: />/,
  categories: [Compare],
  label: "`>`",
});
export const Equals = createToken({
  name: "Equals",
  pattern: /=/,
  label: "`=`",
  categories: [Stray],
});

export const KEYWORD_TOKENS: TokenType[] = [
  Import,
  From,
  Encoder,
  Connector,
  Llm,
  Moe,
  Model,
  Data,
  Train,
  Sweep,
  Budget,
  Vary,
  True,
  False,
];

/** Order matters: chevrotain takes the first pattern that matches, not the longest. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  UnterminatedString,
  Ratio,
  NumberLiteral,
  ...KEYWORD_TOKENS,
  AnyName,
  Stray,
  Identifier,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Colon,
  Dot,
  Minus,
  Compare,
  LessEq,
  GreaterEq,
  EqEq,
  Less,
  Greater,
  Equals,
];

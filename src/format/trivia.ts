// What the formatter needs beyond the AST: the significant tokens (with offsets, so comments can
// be anchored between them) and every comment, lexed by the real lexer with comments kept.
import { createToken, Lexer, type IToken, type TokenPattern } from "chevrotain";
import { ALL_TOKENS, Comma, WhiteSpace } from "../syntax/tokens.js";

export interface Tok {
  readonly image: string;
  readonly start: number;
  readonly end: number;
}

export interface Comment {
  /** As written, except that a line comment loses its trailing white space and CRLF becomes LF. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Only white space before it on its source line: it stays on a line of its own. */
  readonly ownLine: boolean;
  /** No code but commas after it on its line: it stays at the end of a line. */
  readonly endsLine: boolean;
  /**
   * Its column in the source, counted from the indentation of its line; undefined when it was
   * written one space (or none) after the code before it, so it stays next to the code.
   */
  readonly relColumn: number | undefined;
}

export interface Trivia {
  /** Significant tokens in source order, commas excluded (the printer writes its own). */
  readonly tokens: readonly Tok[];
  readonly comments: readonly Comment[];
  /** 0-based line of an offset; `\n`, `\r\n` and a lone `\r` all end a line. */
  lineOf(offset: number): number;
}

let lexer: Lexer | undefined;

/**
 * The language's own token list, with every skipped token except white space (line and block
 * comments) moved to a `comments` group: the same lexer, so a comment here is exactly a comment
 * to the compiler. Built lazily, once.
 */
function commentKeepingLexer(): Lexer {
  if (lexer) return lexer;
  const tokens = ALL_TOKENS.map((t) =>
    t.GROUP !== Lexer.SKIPPED || t === WhiteSpace
      ? t
      : createToken({
          name: `Kept${t.name}`,
          pattern: t.PATTERN as TokenPattern,
          group: "comments",
          line_breaks: t.LINE_BREAKS ?? false,
        }),
  );
  lexer = new Lexer(tokens, { positionTracking: "onlyOffset", ensureOptimizations: false });
  return lexer;
}

/** Lexes `text`, which the caller has already parsed without errors. */
export function collectTrivia(text: string): Trivia {
  const lexed = commentKeepingLexer().tokenize(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lineStarts.push(i + 1);
  }
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const raw = [
    ...((lexed.groups["comments"] ?? []) as IToken[]),
    ...((lexed.groups["docs"] ?? []) as IToken[]),
  ].sort((a, b) => a.startOffset - b.startOffset);
  // Commas are left out: the printer writes its own, so they count as layout, not code.
  const tokens = lexed.tokens
    .filter((t) => t.tokenType !== Comma)
    .map((t) => ({ image: t.image, start: t.startOffset, end: t.startOffset + t.image.length }));
  const comments = raw.map((t): Comment => {
    const start = t.startOffset;
    const end = start + t.image.length;
    const lineStart = lineStarts[lineOf(start)] ?? 0;
    const before = text.slice(lineStart, start);
    const indent = before.length - before.trimStart().length;
    const next = tokens[firstAtOrAfter(tokens, end)];
    const isBlock = t.image.startsWith("/*");
    return {
      text: isBlock ? t.image.replace(/\r\n?/g, "\n") : t.image.trimEnd(),
      start,
      end,
      ownLine: before.trim() === "",
      endsLine: next === undefined || lineOf(next.start) > lineOf(end),
      relColumn: /\s\s$/.test(before) ? start - lineStart - indent : undefined,
    };
  });
  return { tokens, comments, lineOf };
}

/** Index of the first element whose `start` is at or after `offset`. */
export function firstAtOrAfter(list: readonly { start: number }[], offset: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid]?.start ?? Infinity) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

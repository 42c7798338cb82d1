// The syntax stage: text -> tokens -> AST, with every lexical and syntax error as a
// diagnostic. Never throws on any input.
import { Lexer, type IRecognitionException, type IToken } from "chevrotain";
import { AstParts } from "./ast-parts.js";
import { SourceFile, type Span } from "../source/source-file.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { SourceAst } from "./ast.js";
import { parseTokens } from "./parser.js";
import { describeToken } from "./messages.js";
import { ALL_TOKENS } from "./tokens.js";
import {
  BIDI_NAMES,
  BIDI_PATTERN,
  codePointName,
  describeLookAlike,
  lookAlikeOf,
} from "./unicode.js";

export interface ParseResult {
  readonly source: SourceFile;
  readonly ast: SourceAst;
  readonly diagnostics: readonly Diagnostic[];
}

let lexer: Lexer | undefined;

/**
 * The one lexer of `.mm` (building one analyses every token pattern, ~15 ms), shared by the
 * parser and the language server's chunk cutter. Tokens carry their start offset only: every
 * span is an offset range (a token ends at its start plus its text's length), and lines and
 * columns are computed from offsets where a message needs them.
 */
export function getLexer(): Lexer {
  // Definition checks are skipped to start faster; a test runs them (`validateGrammar`).
  lexer ??= new Lexer(ALL_TOKENS, {
    positionTracking: "onlyStart",
    ensureOptimizations: false,
    skipValidations: true,
  });
  return lexer;
}

/** Deeper nesting than this is reported rather than risking the parser's stack. */
export const MAX_NESTING = 64;

/**
 * Syntax diagnostics kept per file. Past this a file is not a spec with mistakes but something
 * else (a binary, a generated flood); the rest are counted in a note, so memory stays bounded.
 */
export const MAX_SYNTAX_DIAGNOSTICS = 100;

const OPENERS: Record<string, string> = {
  LCurly: "RCurly",
  LBracket: "RBracket",
  LParen: "RParen",
};
const CLOSER_TEXT: Record<string, string> = { RCurly: "}", RBracket: "]", RParen: ")" };

export function parseSource(source: SourceFile): ParseResult {
  const lexed = getLexer().tokenize(source.text);
  const diagnostics: Diagnostic[] = [];

  for (const e of lexed.errors) {
    const ch = source.text.slice(e.offset, e.offset + e.length);
    // Direction characters alone are MM1007's, reported below with what they are.
    if (ch.replace(BIDI_PATTERN, "") === "") continue;
    diagnostics.push(unexpectedCharacters(source, e.offset, e.length, ch));
    if (diagnostics.length > MAX_SYNTAX_DIAGNOSTICS) break;
  }
  for (const t of (lexed.groups["errors"] ?? []) as IToken[]) {
    diagnostics.push(
      diagnostic({
        code: "MM1003",
        message: "unterminated block comment",
        span: source.span(t.startOffset, t.startOffset + 2),
        label: "this `/*` is never closed",
        help: "add `*/` where the comment ends",
      }),
    );
  }
  const comments = [
    ...((lexed.groups["comments"] ?? []) as IToken[]),
    ...((lexed.groups["docs"] ?? []) as IToken[]),
  ].sort((a, b) => a.startOffset - b.startOffset);
  appendAll(diagnostics, bidiDiagnostics(source, lexed.tokens, comments));

  const depthProblem = checkNesting(lexed.tokens, source);
  if (depthProblem) {
    diagnostics.push(depthProblem);
    return {
      source,
      ast: { path: source.path, declarations: [], span: source.span(0, source.text.length) },
      diagnostics: bounded(diagnostics),
    };
  }

  const parts = new AstParts(source, (lexed.groups["docs"] ?? []) as IToken[]);
  const parsed = parseTokens(lexed.tokens, parts);
  const { errors } = parsed;
  appendAll(diagnostics, syntaxDiagnostics(errors, lexed.tokens, source));
  const ast: SourceAst = {
    path: source.path,
    declarations: parsed.declarations,
    span: source.span(0, source.text.length),
  };
  appendAll(diagnostics, parsed.diagnostics);
  appendAll(diagnostics, strayDiagnostics(parsed.strays, ast, errors, source));
  return { source, ast, diagnostics: bounded(diagnostics) };
}

/** `push(...items)` passes every item as an argument and overflows the stack on large lists. */
function appendAll<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

/**
 * The first `MAX_SYNTAX_DIAGNOSTICS` by position. The first one (always printed) says that the
 * list stops there.
 */
function bounded(ds: Diagnostic[]): Diagnostic[] {
  if (ds.length <= MAX_SYNTAX_DIAGNOSTICS) return ds;
  const start = (d: Diagnostic) => d.labels[0]?.span.start ?? 0;
  const kept = [...ds].sort((a, b) => start(a) - start(b)).slice(0, MAX_SYNTAX_DIAGNOSTICS);
  const first = kept[0]!;
  kept[0] = {
    ...first,
    notes: [
      ...first.notes,
      `mmc stopped after ${MAX_SYNTAX_DIAGNOSTICS} syntax errors in this file; more follow (is it a \`.mm\` spec?)`,
    ],
  };
  return kept;
}

/** MM1001 for characters outside the language, naming a Cyrillic or Greek letter that looks Latin. */
function unexpectedCharacters(
  source: SourceFile,
  offset: number,
  length: number,
  ch: string,
): Diagnostic {
  const code = ch.codePointAt(0) ?? 0;
  const lookAlike = describeLookAlike(code);
  const nonAscii = code > 0x7f;
  return diagnostic({
    code: "MM1001",
    message: `unexpected character${length > 1 ? "s" : ""} \`${printable(ch)}\``,
    span: source.span(offset, offset + Math.max(1, Math.min(length, 40))),
    label:
      lookAlike ??
      (nonAscii
        ? `${codePointName(code)} is not part of the language`
        : "not part of the language"),
    ...(lookAlike || (nonAscii && /\p{L}/u.test(ch))
      ? { notes: ["names are written in ASCII letters, digits and `_`"] }
      : {}),
    help: lookAlike
      ? `retype it as the Latin \`${lookAlikeOf(code)?.latin ?? ""}\``
      : "remove it; comments start with `//` and strings are written in double quotes",
  });
}

/**
 * MM1007: a character that changes the visible direction of text, anywhere in the file (a
 * comment or string that displays differently from what mmc reads), one diagnostic per line.
 */
function bidiDiagnostics(
  source: SourceFile,
  tokens: readonly IToken[],
  comments: readonly IToken[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!BIDI_PATTERN.test(source.text)) return out;
  BIDI_PATTERN.lastIndex = 0;
  let line = -1;
  let spans: { offset: number; code: number }[] = [];
  const flush = (): void => {
    const [first, ...rest] = spans;
    if (!first) return;
    const where =
      tokenAt(first.offset, comments) !== undefined
        ? "a comment"
        : /String/.test(tokenAt(first.offset, tokens)?.tokenType.name ?? "")
          ? "a string"
          : "the code";
    const name = (c: number) => `${codePointName(c)} ${BIDI_NAMES.get(c) ?? ""}`.trimEnd();
    out.push(
      diagnostic({
        code: "MM1007",
        message: `unicode codepoint changing visible direction of text present in ${where}`,
        span: source.span(first.offset, first.offset + 1),
        label: `this is ${name(first.code)}`,
        secondary: rest.map((r) => ({
          span: source.span(r.offset, r.offset + 1),
          message: name(r.code),
        })),
        notes: [
          "these invisible characters make the line show in a different order from how mmc reads it",
        ],
        help:
          where === "a string"
            ? `remove it, or write it as an escape, \`\\u{${first.code.toString(16)}}\`, if the string needs it`
            : "remove it",
      }),
    );
    spans = [];
  };
  for (const m of source.text.matchAll(BIDI_PATTERN)) {
    const offset = m.index ?? 0;
    const l = source.position(offset).line;
    if (l !== line) {
      flush();
      if (out.length >= MAX_SYNTAX_DIAGNOSTICS) break;
      line = l;
    }
    if (spans.length < 8) spans.push({ offset, code: m[0].codePointAt(0) ?? 0 });
  }
  flush();
  return out;
}

/** The index of the first element of ascending `xs` greater than `x` (xs.length if none). */
function firstAbove(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? 0) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The token (of a list sorted by offset) that holds `offset`, if any. */
function tokenAt(offset: number, tokens: readonly IToken[]): IToken | undefined {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((tokens[mid]?.startOffset ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  const t = tokens[lo];
  return t && t.startOffset <= offset && offset < t.startOffset + t.image.length ? t : undefined;
}

/**
 * Tokens at the top level that start no declaration, grouped into runs: one error per run,
 * unless a syntax error just before it already explains it (recovery left the rest over).
 */
function strayDiagnostics(
  strays: readonly IToken[],
  ast: SourceAst,
  errors: IRecognitionException[],
  source: SourceFile,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Sorted offsets and binary searches: a file of 100,000 declarations with a stray token after
  // each must not cost 100,000 x 100,000 steps.
  const declStarts = ast.declarations.map((d) => d.span.start).sort((a, b) => a - b);
  const declEnds = ast.declarations.map((d) => d.span.end).sort((a, b) => a - b);
  const errorOffsets = errors
    .map((e) => (Number.isNaN(e.token.startOffset) ? source.text.length : e.token.startOffset))
    .sort((a, b) => a - b);
  let i = 0;
  while (i < strays.length) {
    const first = strays[i]!;
    let last = first;
    const nextDecl = declStarts[firstAbove(declStarts, first.startOffset)] ?? Infinity;
    while (i + 1 < strays.length && strays[i + 1]!.startOffset < nextDecl) last = strays[++i]!;
    i++;
    const prevDeclEnd = declEnds[firstAbove(declEnds, first.startOffset) - 1] ?? 0;
    const error = errorOffsets[firstAbove(errorOffsets, prevDeclEnd - 1)];
    if (error !== undefined && error <= first.startOffset) continue;
    out.push(
      diagnostic({
        code: "MM1103",
        message: `expected a declaration, found ${describeToken(first)}`,
        span: source.span(first.startOffset, first.startOffset + first.image.length),
        label: "a declaration cannot start here",
        ...(last !== first
          ? {
              notes: [`everything up to line ${source.position(last.startOffset).line} is skipped`],
            }
          : {}),
        help: "start a declaration with `import`, `model`, `data`, `train`, `sweep`, `encoder`, `connector`, `llm` or `moe`",
      }),
    );
  }
  return out;
}

function printable(s: string): string {
  return [...s]
    .slice(0, 12)
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code < 32 || code === 0x7f || code === 0xfffd ? `\\u{${code.toString(16)}}` : c;
    })
    .join("");
}

function checkNesting(tokens: readonly IToken[], source: SourceFile): Diagnostic | undefined {
  let depth = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (name in OPENERS) {
      depth++;
      if (depth > MAX_NESTING) {
        return diagnostic({
          code: "MM1104",
          message: `brackets are nested more than ${MAX_NESTING} deep`,
          span: source.span(t.startOffset, t.startOffset + 1),
          label: `nesting level ${depth} starts here`,
          help: "flatten the value: specs never need this much nesting",
        });
      }
    } else if (name in CLOSER_TEXT) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

function syntaxDiagnostics(
  errors: IRecognitionException[],
  tokens: readonly IToken[],
  source: SourceFile,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const e of errors) {
    const span = tokenSpan(e.token, source);
    // Recovery can report twice at one place; the first report is the useful one.
    if (seen.has(span.start)) continue;
    seen.add(span.start);
    const unclosed =
      e.name === "MismatchedTokenException" ? unclosedOpener(e, tokens, source) : undefined;
    if (unclosed) {
      out.push(unclosed);
      continue;
    }
    const topLevel = e.name === "NotAllInputParsedException";
    out.push(
      diagnostic({
        code: topLevel ? "MM1103" : "MM1101",
        message: e.message,
        span,
        label: topLevel ? "a declaration cannot start here" : "unexpected here",
        help: topLevel
          ? "start a declaration with `import`, `model`, `data`, `train`, `sweep`, `encoder`, `connector`, `llm` or `moe`"
          : helpFor(e),
      }),
    );
  }
  return out;
}

function helpFor(e: IRecognitionException): string {
  const rules = e.context.ruleStack;
  const rule = rules[rules.length - 1] ?? "";
  if (rule === "member" || rule === "body" || rule === "path" || rule === "field")
    return "fields are written `name: value`, separated by commas or new lines";
  if (rule === "value")
    return 'write a value such as `128`, `"text"`, `rms`, `[1, 2]` or `ViT { patch: 16 }`';
  if (rule === "bound") return "write a bound such as `params <= 20M`";
  if (rule === "importDecl") return 'write `import { Name } from "std/encoders"`';
  return "check the punctuation just before this point";
}

/**
 * When the parser wanted a closing delimiter, name the construct that it closes:
 * "expected `}` to close `model Tiny`", with a secondary label on the opener.
 */
function unclosedOpener(
  e: IRecognitionException,
  tokens: readonly IToken[],
  source: SourceFile,
): Diagnostic | undefined {
  const expected = /^expected `([}\])])`/.exec(e.message)?.[1];
  if (!expected) return undefined;
  if (e.token.tokenType.name === "Comma") {
    return diagnostic({
      code: "MM1101",
      message: "unexpected `,`",
      span: tokenSpan(e.token, source),
      label: "an extra comma",
      help: "remove this comma: items are separated by one comma or a new line",
    });
  }
  const at = Number.isNaN(e.token.startOffset) ? source.text.length : e.token.startOffset;
  const stack: IToken[] = [];
  for (const t of tokens) {
    if (t.startOffset >= at) break;
    const name = t.tokenType.name;
    if (name in OPENERS) stack.push(t);
    else if (name in CLOSER_TEXT) stack.pop();
  }
  const opener = stack[stack.length - 1];
  if (!opener || CLOSER_TEXT[OPENERS[opener.tokenType.name] ?? ""] !== expected) return undefined;
  const what = describeOpener(opener, tokens);
  return diagnostic({
    code: "MM1102",
    message: `expected \`${expected}\` to close ${what}`,
    span: tokenSpan(e.token, source),
    label: `found ${describeToken(e.token)}`,
    secondary: [
      {
        span: source.span(opener.startOffset, opener.startOffset + 1),
        message: `${what} opens here`,
      },
    ],
    help: `add \`${expected}\` to close ${what} before ${describeToken(e.token)}`,
  });
}

function describeOpener(opener: IToken, tokens: readonly IToken[]): string {
  const i = tokens.indexOf(opener);
  const prev = tokens[i - 1];
  const prev2 = tokens[i - 2];
  const prev3 = tokens[i - 3];
  if (
    prev &&
    prev.tokenType.name === "Identifier" &&
    prev2 &&
    /^Kw_(model|data|train|sweep)$/.test(prev2.tokenType.name)
  )
    return `\`${prev2.image} ${prev.image}\``;
  if (
    prev &&
    prev2 &&
    prev2.tokenType.name === "Equals" &&
    prev3?.tokenType.name === "Identifier"
  ) {
    const kw = tokens[i - 4];
    if (kw?.image === "model") return `\`model ${prev3.image}\``;
    return `\`${prev.image} { ... }\``;
  }
  if (prev?.tokenType.name === "Kw_budget") return "the `budget` block";
  if (prev?.tokenType.name === "Identifier") {
    const brackets = opener.image === "{" ? " { ... }" : opener.image === "[" ? "[...]" : "(...)";
    return `\`${prev.image}${brackets}\``;
  }
  if (prev?.tokenType.name === "Colon" && prev2) return `the value of \`${prev2.image}\``;
  return opener.image === "[" ? "the list" : opener.image === "(" ? "the arguments" : "the record";
}

function tokenSpan(t: IToken, source: SourceFile): Span {
  if (Number.isNaN(t.startOffset) || t.tokenType.name === "EOF")
    return source.span(source.text.length, source.text.length);
  return source.span(t.startOffset, t.startOffset + t.image.length);
}

/** Convenience for tests and tools: parse a string as a file. */
export function parseText(text: string, path = "<input>"): ParseResult {
  return parseSource(new SourceFile(path, text));
}

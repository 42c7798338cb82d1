// The AST's leaves, made from tokens: names, decoded literals (with their diagnostics), spans and
// the doc comments a declaration carries. The parser (parser.ts) assembles them into the tree.
import type { IToken } from "chevrotain";
import type { SourceFile, Span } from "../source/source-file.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type * as A from "./ast.js";
import { decodeNumber, decodeRatio, decodeString } from "./literals.js";
import { codePointName, findMixedScript, lookAlikeOf } from "./unicode.js";

export class AstParts {
  /** Where the literals' diagnostics go (the parser points it at the value being finished). */
  sink: Diagnostic[] = [];

  constructor(
    readonly source: SourceFile,
    private readonly docTokens: readonly IToken[],
  ) {}

  name(t: IToken): A.Name {
    return { text: t.image, span: this.tokenSpan(t) };
  }

  number(t: IToken, minus: IToken | undefined): A.NumberValue {
    const span = minus ? this.source.span(minus.startOffset, tokenEnd(t)) : this.tokenSpan(t);
    const r = decodeNumber(t.image);
    if (!r.ok) {
      this.report("MM1005", r.message, this.tokenSpan(t), r.help);
      return { kind: "number", value: NaN, unit: "none", text: t.image, span };
    }
    const sign = minus ? -1 : 1;
    return {
      kind: "number",
      value: sign * r.value.value,
      unit: r.value.unit,
      text: (minus ? "-" : "") + t.image,
      span,
    };
  }

  ratio(t: IToken, span: Span): A.RatioValue {
    const r = decodeRatio(t.image);
    if (!r.ok) this.report("MM1005", r.message, this.tokenSpan(t), r.help);
    return { kind: "ratio", parts: r.ok ? r.value : [], text: t.image, span };
  }

  string(t: IToken): A.StringValue {
    const span = this.tokenSpan(t);
    if (t.tokenType.name === "UnterminatedString") {
      this.sink.push(
        diagnostic({
          code: "MM1002",
          message: "unterminated string",
          span,
          label: 'this string has no closing `"`',
          help: 'add a `"` at the end of the string; strings cannot span lines (write `\\n` for a line break)',
        }),
      );
    }
    const { value, problems } = decodeString(t.image);
    for (const p of problems) {
      const start = t.startOffset + p.offset;
      this.report("MM1004", p.message, this.source.span(start, start + p.length), p.help);
    }
    this.checkMixedScript(t);
    return { kind: "string", value, span };
  }

  /**
   * MM1008: a word in a string that mixes Latin letters with a Cyrillic or Greek look-alike
   * (`"data/sуnth"`) names something other than what it shows. Names are ASCII (the lexer
   * allows nothing else), so strings are where look-alikes can hide. Escapes are visible, so
   * only the text as written is checked.
   */
  private checkMixedScript(t: IToken): void {
    const mixed = findMixedScript(t.image);
    if (!mixed) return;
    const l = lookAlikeOf(mixed.code);
    if (!l) return;
    const start = t.startOffset + mixed.offset;
    const what = `${codePointName(mixed.code)} ${l.name}`;
    this.sink.push(
      diagnostic({
        code: "MM1008",
        severity: "warning",
        message: `a word in this string mixes scripts: ${what} looks like \`${l.latin}\``,
        span: this.source.span(start, start + String.fromCodePoint(mixed.code).length),
        label: `${what}, not the Latin \`${l.latin}\``,
        help: `retype it as the Latin \`${l.latin}\` (or write \`\\u{${mixed.code.toString(16)}}\` if the other letter is meant)`,
      }),
    );
  }

  /** Doc comments attach to a declaration when only whitespace separates them. */
  doc(span: Span): { doc?: string } {
    const lines: string[] = [];
    let cursor = span.start;
    // Binary search for the last doc comment before the declaration, then walk back.
    let lo = 0;
    let hi = this.docTokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.docTokens[mid]?.startOffset ?? Infinity) < cursor) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const t = this.docTokens[i];
      if (!t || t.startOffset >= cursor) continue;
      if (this.source.text.slice(tokenEnd(t), cursor).trim() !== "") break;
      lines.unshift(t.image.replace(/^\/\/\/ ?/, ""));
      cursor = t.startOffset;
    }
    return lines.length ? { doc: lines.join("\n") } : {};
  }

  private report(code: string, message: string, span: Span, help: string): void {
    this.sink.push(diagnostic({ code, message, span, help }));
  }

  tokenSpan(t: IToken): Span {
    return this.span(t.startOffset, tokenEnd(t));
  }

  /** `start` NaN (nothing real was read: error recovery): an empty span at the end of the file. */
  span(start: number, end: number): Span {
    if (Number.isNaN(start))
      return this.source.span(this.source.text.length, this.source.text.length);
    return this.source.span(start, end);
  }
}

export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

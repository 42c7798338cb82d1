// The formatter's output side: the printer hands it words (each covering a range of the source)
// and line breaks; the writer places every comment between the words it sat between in the
// source, keeps blank lines (at most one), and renders the lines.
import { firstAtOrAfter, type Comment, type Tok, type Trivia } from "./trivia.js";

interface OutLine {
  readonly indent: number;
  /** The indentation of the row this line belongs to; continuation lines are indented deeper. */
  readonly blockIndent: number;
  code: string;
  /** End-of-line comments, kept at their source column (relative to the line's indentation). */
  trailing?: { text: string; relColumn: number | undefined };
  /** Ends in a comment: no more code may follow on this line. */
  closed: boolean;
  /** Ends in a line comment: not even another comment may follow on this line. */
  endsInLineComment: boolean;
  readonly blankBefore: boolean;
  /** The line is one `name: value` of a table: values of such lines in a row are aligned. */
  alignAt?: number;
}

/** A broken invariant of the formatter: an mmc bug, reported as an internal error. */
export class FormatterBug extends Error {}

export class Writer {
  private readonly lines: OutLine[] = [];
  /** The indentation of a line the printer asked for and nothing has been written to yet. */
  private pending: number | undefined = 0;
  private wantSpace = false;
  private nextComment = 0;
  /** The source offset just past the last word or comment written. */
  private lastEnd = 0;
  private afterOpener = false;

  constructor(
    private readonly trivia: Trivia,
    readonly width: number,
  ) {}

  /** Asks for a new line at `indent` before whatever is written next. */
  newline(indent: number): void {
    this.pending = indent;
    this.wantSpace = false;
  }

  /** One space before the next word, if it lands on the same line. */
  space(): void {
    this.wantSpace = true;
  }

  /** Text the printer adds (commas, alignment): it follows the last word, before any comment. */
  punct(text: string): void {
    const line = this.lines.at(-1);
    if (!line) throw new FormatterBug("punctuation before any word");
    line.code += text;
  }

  /** Writes `text`, which stands for the source range [start, end). */
  word(text: string, start: number, end: number): void {
    this.flushComments(start);
    this.place(text, start, text === "}" || text === "]" || text === ")");
    this.lastEnd = end;
    this.afterOpener = text === "{" || text === "[" || text === "(";
    this.flushTrailing(end);
  }

  /** The next significant token at or after `from`, which must read `image`. */
  find(image: string, from: number): Tok {
    const t = this.trivia.tokens[firstAtOrAfter(this.trivia.tokens, from)];
    if (!t || t.image !== image)
      throw new FormatterBug(`expected \`${image}\` at offset ${from}, found \`${t?.image}\``);
    return t;
  }

  /** Writes the next significant token at or after `from`, checking it reads `image`. */
  tok(image: string, from: number): Tok {
    const t = this.find(image, from);
    this.word(t.image, t.start, t.end);
    return t;
  }

  /** How many lines are written: the index the next new line will get. */
  lineCount(): number {
    return this.lines.length;
  }

  /**
   * Marks line `index`, which holds one field starting with `key` and nothing else, as a table
   * row: its value starts right after the key.
   */
  alignAfter(index: number, key: string): void {
    const line = this.lines[index];
    if (line?.code.startsWith(`${key} `)) line.alignAt = key.length;
  }

  /** The column the next word would start at. */
  column(): number {
    if (this.pending !== undefined) return this.pending;
    const line = this.lines.at(-1);
    if (!line) return 0;
    if (line.closed) return line.blockIndent + 2;
    return lastLineWidth(" ".repeat(line.indent) + line.code) + (this.wantSpace ? 1 : 0);
  }

  /** The current line ends in a comment, so the next word would start a new line. */
  closed(): boolean {
    return this.pending === undefined && this.lines.at(-1)?.closed === true;
  }

  /** The indentation of the line the last word went on. */
  lineIndent(): number {
    return this.lines.at(-1)?.indent ?? 0;
  }

  hasComment(start: number, end: number): boolean {
    const c = this.trivia.comments[firstAtOrAfter(this.trivia.comments, start)];
    return c !== undefined && c.start < end;
  }

  /** Writes every comment that starts before `offset` and is not written yet. */
  flushComments(offset: number): void {
    const comments = this.trivia.comments;
    for (let c = comments[this.nextComment]; c && c.start < offset;) {
      this.comment(c);
      c = comments[++this.nextComment];
    }
  }

  /** The formatted text: every comment written, no trailing white space, one final newline. */
  finish(): string {
    this.newline(0);
    this.flushComments(Infinity);
    this.alignTables();
    const out: string[] = [];
    for (const line of this.lines) {
      if (line.blankBefore) out.push("");
      let s = " ".repeat(line.indent) + line.code;
      if (line.trailing) {
        const codeEnd = lastLineWidth(s);
        const text = line.trailing.text;
        // Measured from the indentation of the physical line it ends (after a block comment
        // over several lines, that line is the comment's last, kept as written).
        const lastLine = s.slice(s.lastIndexOf("\n") + 1);
        const indent = lastLine.length - lastLine.trimStart().length;
        const rel = line.trailing.relColumn;
        let col = rel === undefined ? codeEnd + 1 : Math.max(indent + rel, codeEnd + 1);
        // Past the width at its column, it moves next to the code if it fits there.
        if (
          col + firstLineWidth(text) > this.width &&
          codeEnd + 1 + firstLineWidth(text) <= this.width
        )
          col = codeEnd + 1;
        s += " ".repeat(col - codeEnd) + text;
      }
      out.push(s);
    }
    return out.length ? `${out.join("\n")}\n` : "";
  }

  /** Consecutive table rows at one indentation get their values in one column. */
  private alignTables(): void {
    const lines = this.lines;
    for (let i = 0; i < lines.length;) {
      let j = i + 1;
      const first = lines[i]!;
      if (first.alignAt !== undefined) {
        while (
          j < lines.length &&
          lines[j]!.alignAt !== undefined &&
          lines[j]!.indent === first.indent &&
          !lines[j]!.blankBefore
        )
          j++;
        const run = lines.slice(i, j);
        const widest = Math.max(...run.map((l) => l.alignAt ?? 0));
        for (const l of run) {
          const at = l.alignAt ?? 0;
          l.code = l.code.slice(0, at) + " ".repeat(widest - at) + l.code.slice(at);
        }
      }
      i = j;
    }
  }

  private place(text: string, start: number, isCloser: boolean): void {
    let line = this.pending === undefined ? this.lines.at(-1) : undefined;
    if (line && line.closed) {
      // Code after an end-of-line comment: a continuation line.
      line = this.open(line.blockIndent + 2, line.blockIndent, start, isCloser);
    } else if (!line) {
      const indent = this.pending ?? 0;
      line = this.open(indent, indent, start, isCloser);
    } else if (this.wantSpace && line.code !== "") line.code += " ";
    line.code += text;
    this.wantSpace = false;
  }

  private open(indent: number, blockIndent: number, start: number, isCloser: boolean): OutLine {
    const blankBefore =
      this.lines.length > 0 &&
      !this.afterOpener &&
      !isCloser &&
      this.trivia.lineOf(start) - this.trivia.lineOf(this.lastEnd) >= 2;
    const line: OutLine = {
      indent,
      blockIndent,
      code: "",
      closed: false,
      endsInLineComment: false,
      blankBefore,
    };
    this.lines.push(line);
    this.pending = undefined;
    return line;
  }

  private comment(c: Comment): void {
    const last = this.lines.at(-1);
    if (!last || (c.endsLine && (c.ownLine || last.endsInLineComment))) {
      // On a line of its own: at the indentation of what follows, or as a continuation when it
      // sat inside a line of code.
      const indent = this.pending ?? (last ? last.blockIndent + 2 : 0);
      const line = this.open(indent, indent, c.start, false);
      line.code = c.text;
      line.closed = true;
      line.endsInLineComment = isLineComment(c);
      this.pending = indent;
    } else if (c.endsLine) {
      this.attachTrailing(last, c);
    } else {
      // A block comment with code after it on its line stays in front of that code.
      this.wantSpace = true;
      this.place(c.text, c.start, false);
      this.wantSpace = true;
    }
    this.lastEnd = c.end;
    this.afterOpener = false;
  }

  private attachTrailing(line: OutLine, c: Comment): void {
    if (line.trailing) line.trailing.text += ` ${c.text}`;
    else line.trailing = { text: c.text, relColumn: c.relColumn };
    line.closed = true;
    line.endsInLineComment = isLineComment(c);
  }

  /** Comments right after the word just written, on its line and ending that line. */
  private flushTrailing(end: number): void {
    const { comments, tokens, lineOf } = this.trivia;
    const nextToken = tokens[firstAtOrAfter(tokens, end)]?.start ?? Infinity;
    let j = this.nextComment;
    let at = end;
    while (j < comments.length) {
      const c = comments[j]!;
      if (c.start >= nextToken || lineOf(c.start) !== lineOf(at)) break;
      at = c.end;
      j++;
    }
    if (j === this.nextComment || !comments[j - 1]!.endsLine) return;
    const line = this.lines.at(-1)!;
    for (; this.nextComment < j; this.nextComment++) {
      const c = comments[this.nextComment]!;
      this.attachTrailing(line, c);
      this.lastEnd = c.end;
    }
  }
}

function isLineComment(c: Comment): boolean {
  return c.text.startsWith("//");
}

function lastLineWidth(s: string): number {
  return s.length - s.lastIndexOf("\n") - 1;
}

function firstLineWidth(s: string): number {
  const i = s.indexOf("\n");
  return i === -1 ? s.length : i;
}

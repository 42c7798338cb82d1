// Offsets to LSP positions and back. mmc spans are offsets into JavaScript strings, which count
// UTF-16 code units, the same unit LSP positions use; lines are split at `\n`, `\r\n` and `\r`
// as the protocol says (TextDocument does exactly that), so a character before a span, however
// many bytes it takes in UTF-8, moves the position by its UTF-16 length and no more.
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Position, Range } from "vscode-languageserver";
import type { Span } from "../source/source-file.js";

export class TextIndex {
  private readonly doc: TextDocument;

  constructor(readonly text: string) {
    this.doc = TextDocument.create("mm:index", "mm", 0, text);
  }

  position(offset: number): Position {
    return this.doc.positionAt(offset);
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  /** The offset of a position; positions past a line's end or the file's end are clamped. */
  offset(position: Position): number {
    return this.doc.offsetAt(position);
  }
}

/** Text indexes by path, rebuilt when the text changes. */
export class TextIndexes {
  private readonly cache = new Map<string, TextIndex>();

  of(path: string, text: string): TextIndex {
    const hit = this.cache.get(path);
    if (hit && hit.text === text) return hit;
    const index = new TextIndex(text);
    this.cache.set(path, index);
    return index;
  }

  rangeOf(span: Span, text: string): Range {
    return this.of(span.file, text).range(span.start, span.end);
  }
}

// The layout rules of `mmc fmt` (docs/language.md, "Formatting"), applied to the AST of a file
// without syntax errors. Each `{ }`, `[ ]` or `( )` is flat when it was written on one line, holds
// no comment and fits; otherwise it is broken, keeping its items on the lines they were written on.
import type * as A from "../syntax/ast.js";
import {
  BRACKETS,
  flatContainer,
  flatItem,
  itemSpan,
  tableKey,
  type Container,
  type Item,
} from "./flat.js";
import type { Trivia } from "./trivia.js";
import { FormatterBug, Writer } from "./writer.js";

/** Columns a line may take before a `{ }`, `[ ]` or `( )` on it is broken. */
export const LINE_WIDTH = 120;
const INDENT = 2;

export function printFile(ast: A.SourceAst, text: string, trivia: Trivia, width: number): string {
  return new Printer(text, trivia, new Writer(trivia, width)).file(ast);
}

class Printer {
  constructor(
    private readonly text: string,
    private readonly trivia: Trivia,
    private readonly w: Writer,
  ) {}

  file(ast: A.SourceAst): string {
    for (const d of ast.declarations) {
      this.w.newline(0);
      this.declaration(d);
    }
    return this.w.finish();
  }

  private declaration(d: A.Declaration): void {
    const w = this.w;
    switch (d.kind) {
      case "import": {
        const kw = w.tok("import", d.span.start);
        const open = w.find("{", kw.end);
        const close = w.find("}", d.names.at(-1)?.span.end ?? open.end);
        w.space();
        this.container({
          brackets: "names",
          open: open.start,
          close: close.start,
          items: d.names.map((node) => ({ kind: "name", node })),
        });
        w.space();
        w.tok("from", close.end);
        w.space();
        this.scalar(d.from.span);
        return;
      }
      case "preset":
        w.tok(d.role, d.keywordSpan.start);
        w.space();
        this.name(d.name);
        w.space();
        w.tok("=", d.name.span.end);
        w.space();
        this.value(d.value, 0);
        return;
      default:
        w.tok(d.kind, d.span.start);
        w.space();
        this.name(d.name);
        if (d.base) {
          w.space();
          w.tok("=", d.name.span.end);
          w.space();
          this.name(d.base);
        }
        w.space();
        this.body(d.body, 0);
    }
  }

  /**
   * Writes a bracketed list of items: flat when written on one line, free of comments and
   * fitting (with `suffix` columns after it), else broken one row per written line.
   */
  private container(c: Container, suffix = 0): void {
    const w = this.w;
    const [openText, closeText] = BRACKETS[c.brackets];
    const commentFree = !w.hasComment(c.open, c.close + 1);
    if (commentFree && c.items.length === 0) {
      w.word(`${openText}${closeText}`, c.open, c.close + 1);
      return;
    }
    if (commentFree && this.line(c.open) === this.line(c.close)) {
      const flat = flatContainer(c, this.text);
      if (w.column() + flat.length + suffix <= w.width) {
        w.word(flat, c.open, c.close + 1);
        return;
      }
    }
    w.word(openText, c.open, c.open + 1);
    const base = w.lineIndent();
    this.rows(c, base + INDENT);
    w.newline(base + INDENT);
    w.flushComments(c.close);
    w.newline(base);
    w.word(closeText, c.close, c.close + 1);
  }

  /**
   * The items of a broken container: items written on one line stay on one line unless it
   * would be too wide, then as many as fit go on each line. An item that needs several lines
   * (written so, holding a comment, or too wide) has its lines to itself.
   */
  private rows(c: Container, indent: number): void {
    const w = this.w;
    const comma = c.brackets === "body" ? 0 : 1;
    // The line holding a field with a weighted source and nothing else, if the current one does.
    let table: { line: number; key: string } | undefined;
    let onLine = 0;
    const endLine = (): void => {
      if (comma) w.punct(",");
      if (table) w.alignAfter(table.line, table.key);
      table = undefined;
      onLine = 0;
      w.newline(indent);
    };
    w.newline(indent);
    for (const row of this.groupRows(c)) {
      for (const item of row) {
        const flat = this.fitsOneLine(item) ? flatItem(item, this.text) : undefined;
        if (onLine > 0) {
          if (
            flat !== undefined &&
            !w.closed() &&
            w.column() + 2 + flat.length + comma <= w.width
          ) {
            w.punct(",");
            w.space();
            this.flatWord(item, flat);
            table = undefined;
            onLine++;
            continue;
          }
          endLine();
        }
        const span = itemSpan(item);
        w.flushComments(span.start);
        const line = w.lineCount();
        const key = tableKey(item);
        if (flat !== undefined && indent + flat.length + comma <= w.width) {
          this.flatWord(item, flat);
          if (key) table = { line, key };
          onLine = 1;
        } else {
          this.item(item, comma);
          if (key && w.lineCount() === line + 1 && !w.hasComment(span.start, span.end))
            table = { line, key };
          endLine();
        }
      }
      if (onLine > 0) endLine();
    }
  }

  /** Items in the order written, grouped by the source line they start on (after the first). */
  private groupRows(c: Container): Item[][] {
    const rows: Item[][] = [];
    let prevEnd = -1;
    for (const item of c.items) {
      const span = itemSpan(item);
      const last = rows.at(-1);
      if (last && this.line(span.start) === prevEnd) last.push(item);
      else rows.push([item]);
      prevEnd = this.line(span.end - 1);
    }
    return rows;
  }

  private fitsOneLine(item: Item): boolean {
    const span = itemSpan(item);
    return (
      this.line(span.start) === this.line(span.end - 1) && !this.w.hasComment(span.start, span.end)
    );
  }

  private flatWord(item: Item, flat: string): void {
    const span = itemSpan(item);
    this.w.word(flat, span.start, span.end);
  }

  /** An item laid out token by token, its brackets deciding for themselves. */
  private item(item: Item, suffix: number): void {
    switch (item.kind) {
      case "member":
        return this.member(item.node, suffix);
      case "bound":
        return this.bound(item.node, suffix);
      case "value":
        return this.value(item.node, suffix);
      case "name":
        return this.name(item.node);
      case "arg":
        if (item.node.name) {
          this.name(item.node.name);
          this.w.tok(":", item.node.name.span.end);
          this.w.space();
        }
        return this.value(item.node.value, suffix);
    }
  }

  private member(m: A.Member, suffix: number): void {
    const w = this.w;
    switch (m.kind) {
      case "field":
        this.path(m.path);
        w.tok(":", m.path.at(-1)!.span.end);
        w.space();
        return this.value(m.value, suffix);
      case "vary":
        w.tok("vary", m.span.start);
        w.space();
        this.path(m.path);
        w.tok(":", m.path.at(-1)!.span.end);
        w.space();
        return this.value(m.value, suffix);
      case "budget": {
        const kw = w.tok("budget", m.span.start);
        const open = w.find("{", kw.end);
        w.space();
        return this.container(
          {
            brackets: "body",
            open: open.start,
            close: m.span.end - 1,
            items: m.bounds.map((node) => ({ kind: "bound", node })),
          },
          suffix,
        );
      }
    }
  }

  private bound(b: A.Bound, suffix: number): void {
    this.path(b.path);
    this.w.space();
    this.w.word(b.op, b.opSpan.start, b.opSpan.end);
    this.w.space();
    this.value(b.value, suffix);
  }

  private value(v: A.Value, suffix: number): void {
    const w = this.w;
    switch (v.kind) {
      case "number":
      case "ratio":
        return w.word(v.text, v.span.start, v.span.end);
      case "string":
      case "bool":
        return this.scalar(v.span);
      case "name":
        return this.name(v.name);
      case "component":
        this.name(v.callee);
        w.space();
        return this.body(v.body, suffix);
      case "apply": {
        this.name(v.callee);
        const open = w.find("[", v.callee.span.end);
        const items = v.args.map((node): Item => ({ kind: "value", node }));
        return this.container(
          { brackets: "list", open: open.start, close: v.span.end - 1, items },
          suffix,
        );
      }
      case "call": {
        this.name(v.callee);
        const open = w.find("(", v.callee.span.end);
        const items = v.args.map((node): Item => ({ kind: "arg", node }));
        return this.container(
          { brackets: "args", open: open.start, close: v.span.end - 1, items },
          suffix,
        );
      }
      case "weighted":
        w.word(v.weight.text, v.weight.span.start, v.weight.span.end);
        w.space();
        return this.value(v.source, suffix);
      case "list": {
        const items = v.items.map((node): Item => ({ kind: "value", node }));
        return this.container(
          { brackets: "list", open: v.span.start, close: v.span.end - 1, items },
          suffix,
        );
      }
      case "record":
        return this.body(v.body, suffix);
      case "error":
        throw new FormatterBug("an error value in a file without syntax errors");
    }
  }

  private body(b: A.Body, suffix: number): void {
    const items = b.members.map((node): Item => ({ kind: "member", node }));
    this.container({ brackets: "body", open: b.span.start, close: b.span.end - 1, items }, suffix);
  }

  private path(path: readonly A.Name[]): void {
    path.forEach((n, i) => {
      if (i > 0) this.w.tok(".", path[i - 1]!.span.end);
      this.name(n);
    });
  }

  private name(n: A.Name): void {
    this.w.word(n.text, n.span.start, n.span.end);
  }

  private scalar(span: { start: number; end: number }): void {
    this.w.word(this.text.slice(span.start, span.end), span.start, span.end);
  }

  private line(offset: number): number {
    return this.trivia.lineOf(offset);
  }
}

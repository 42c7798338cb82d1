// `formatSource`: the canonical layout of a `.mm` file, or its syntax errors. Pure (no I/O), so
// the CLI and the language server share it. The result is checked before it is returned: it
// parses to the same AST (spans aside) with the same comments in the same order.
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceFile } from "../source/source-file.js";
import type { SourceAst } from "../syntax/ast.js";
import { parseSource } from "../syntax/parse.js";
import { LINE_WIDTH, printFile } from "./print.js";
import { collectTrivia } from "./trivia.js";
import { FormatterBug } from "./writer.js";

export type FormatResult =
  | { readonly ok: true; readonly text: string; readonly source: SourceFile }
  /** The file has syntax errors (every diagnostic of the syntax stage is given). */
  | {
      readonly ok: false;
      readonly diagnostics: readonly Diagnostic[];
      readonly source: SourceFile;
    };

export interface FormatOptions {
  /** Columns before a bracket pair is broken; LINE_WIDTH unless given. */
  readonly width?: number;
}

export function formatSource(
  text: string,
  path: string,
  options: FormatOptions = {},
): FormatResult {
  const source = new SourceFile(path, text);
  const parsed = parseSource(source);
  if (hasErrors(parsed.diagnostics)) return { ok: false, diagnostics: parsed.diagnostics, source };
  const trivia = collectTrivia(text);
  const out = printFile(parsed.ast, text, trivia, options.width ?? LINE_WIDTH);
  verify(parsed.ast, trivia.comments, out, path);
  return { ok: true, text: out, source };
}

/** Throws a FormatterBug unless `out` means exactly what the input meant, comments included. */
function verify(
  ast: SourceAst,
  comments: readonly { text: string }[],
  out: string,
  path: string,
): void {
  const again = parseSource(new SourceFile(path, out));
  if (hasErrors(again.diagnostics))
    throw new FormatterBug(
      `formatting ${path} produced a syntax error: ${again.diagnostics[0]?.message}`,
    );
  if (astKey(again.ast) !== astKey(ast))
    throw new FormatterBug(`formatting ${path} changed its meaning`);
  const before = comments.map((c) => c.text).join("\0");
  const after = collectTrivia(out)
    .comments.map((c) => c.text)
    .join("\0");
  if (after !== before) throw new FormatterBug(`formatting ${path} lost or moved a comment`);
}

/**
 * The AST as a string without positions; doc comments without trailing white space (which the
 * formatter removes).
 */
function astKey(ast: SourceAst): string {
  return JSON.stringify(ast.declarations, (key, value: unknown) => {
    if (key === "span" || key === "keywordSpan" || key === "opSpan") return undefined;
    if (key === "doc" && typeof value === "string")
      return value
        .split("\n")
        .map((l) => l.trimEnd())
        .join("\n");
    return value;
  });
}

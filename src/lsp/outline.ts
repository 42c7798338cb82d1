// Document symbols (the outline): each declaration with its fields, budget bounds and sources.
import { SymbolKind, type DocumentSymbol, type Range } from "vscode-languageserver";
import type { Span } from "../source/source-file.js";
import { pathText, type Body, type Declaration, type SourceAst } from "../syntax/ast.js";

const KIND: Record<Exclude<Declaration["kind"], "import">, SymbolKind> = {
  preset: SymbolKind.Constant,
  model: SymbolKind.Class,
  data: SymbolKind.Struct,
  train: SymbolKind.Function,
  sweep: SymbolKind.Event,
};

export function outline(ast: SourceAst, range: (s: Span) => Range): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const d of ast.declarations) {
    if (d.kind === "import") continue;
    const keyword = d.kind === "preset" ? d.role : d.kind;
    out.push({
      name: d.name.text,
      detail:
        d.kind === "preset"
          ? `${keyword} preset`
          : keyword + ("base" in d && d.base ? ` = ${d.base.text}` : ""),
      kind: KIND[d.kind],
      range: range(d.span),
      selectionRange: range(d.name.span),
      children: d.kind === "preset" ? [] : members(d.body, range),
    });
  }
  return out;
}

function members(body: Body, range: (s: Span) => Range): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const m of body.members) {
    if (m.kind === "budget") {
      out.push({
        name: "budget",
        kind: SymbolKind.Namespace,
        range: range(m.span),
        selectionRange: range({
          ...m.span,
          end: Math.min(m.span.end, m.span.start + "budget".length),
        }),
        children: m.bounds.map((b) => ({
          name: `${pathText(b.path)} ${b.op} ${b.value.kind === "number" ? b.value.text : "…"}`,
          kind: SymbolKind.Number,
          range: range(b.span),
          selectionRange: range(b.span),
        })),
      });
      continue;
    }
    const first = m.path[0];
    const last = m.path[m.path.length - 1];
    if (!first || !last) continue;
    out.push({
      name: `${m.kind === "vary" ? "vary " : ""}${pathText(m.path)}`,
      kind:
        m.value.kind === "weighted" || m.value.kind === "call" ? SymbolKind.File : SymbolKind.Field,
      range: range(m.span),
      selectionRange: range({ file: first.span.file, start: first.span.start, end: last.span.end }),
    });
  }
  return out;
}

// Renderers for diagnostics: rich (rustc-style, with gutter and carets), short
// (`file:line:col: error[CODE]: message`) and JSON. Renderers only format; they decide nothing.
import type { SourceFile, Span } from "../source/source-file.js";
import { primarySpan, type Diagnostic, type Label } from "./diagnostic.js";

export type SourceLookup = (file: string) => SourceFile | undefined;

export interface RenderOptions {
  color: boolean;
}

const STYLE = {
  red: "\x1b[1;31m",
  yellow: "\x1b[1;33m",
  blue: "\x1b[1;34m",
  bold: "\x1b[1m",
  reset: "\x1b[0m",
};

function paint(text: string, style: keyof typeof STYLE, opts: RenderOptions): string {
  return opts.color ? `${STYLE[style]}${text}${STYLE.reset}` : text;
}

export function renderShort(d: Diagnostic, sources: SourceLookup): string {
  const span = primarySpan(d);
  const where = span ? location(span, sources) : "<unknown>";
  return `${where}: ${d.severity}[${d.code}]: ${d.message}`;
}

function location(span: Span, sources: SourceLookup): string {
  const src = sources(span.file);
  if (!src) return span.file;
  const p = src.position(span.start);
  return `${span.file}:${p.line}:${p.column}`;
}

export function renderRich(d: Diagnostic, sources: SourceLookup, opts: RenderOptions): string {
  const sevStyle = d.severity === "error" ? "red" : "yellow";
  const out: string[] = [];
  out.push(
    `${paint(`${d.severity}[${d.code}]`, sevStyle, opts)}${paint(`: ${d.message}`, "bold", opts)}`,
  );
  const primary = primarySpan(d);
  const labelsByFile = new Map<string, Label[]>();
  for (const l of d.labels) {
    const list = labelsByFile.get(l.span.file) ?? [];
    list.push(l);
    labelsByFile.set(l.span.file, list);
  }
  const lineNumbers: number[] = [];
  for (const [file, labels] of labelsByFile) {
    const src = sources(file);
    if (!src) continue;
    for (const l of labels) lineNumbers.push(src.position(l.span.start).line);
  }
  const gutterWidth = String(Math.max(1, ...lineNumbers)).length;
  const pad = " ".repeat(gutterWidth);
  const bar = paint("|", "blue", opts);
  if (primary) out.push(`${pad}${paint("-->", "blue", opts)} ${location(primary, sources)}`);
  let firstFile = true;
  for (const [file, labels] of labelsByFile) {
    const src = sources(file);
    if (!src) continue;
    if (!firstFile)
      out.push(
        `${pad}${paint(":::", "blue", opts)} ${location(labels[0]?.span ?? primary!, sources)}`,
      );
    firstFile = false;
    out.push(`${pad} ${bar}`);
    const sorted = [...labels].sort((a, b) => a.span.start - b.span.start);
    let lastLine = -1;
    for (const l of sorted) {
      const start = src.position(l.span.start);
      const end = src.position(Math.max(l.span.start, l.span.end - 1));
      const lineText = src.lineText(start.line).replace(/\t/g, " ");
      if (lastLine !== -1 && start.line > lastLine + 1) out.push(paint("...", "blue", opts));
      if (start.line !== lastLine) {
        out.push(
          `${paint(String(start.line).padStart(gutterWidth), "blue", opts)} ${bar} ${lineText}`,
        );
      }
      lastLine = start.line;
      const width =
        end.line === start.line
          ? Math.max(1, end.column - start.column + 1)
          : Math.max(1, lineText.length - start.column + 1);
      const marker = (l.primary ? "^" : "-").repeat(width);
      const text = `${" ".repeat(start.column - 1)}${marker}${l.message ? ` ${l.message}` : ""}`;
      out.push(`${pad} ${bar} ${paint(text, l.primary ? sevStyle : "blue", opts)}`);
    }
  }
  if (d.notes.length || d.help) out.push(`${pad} ${bar}`);
  for (const n of d.notes)
    out.push(`${pad} ${paint("=", "blue", opts)} ${paint("note", "bold", opts)}: ${n}`);
  if (d.help)
    out.push(`${pad} ${paint("=", "blue", opts)} ${paint("help", "bold", opts)}: ${d.help}`);
  return out.join("\n");
}

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  start: number | null;
  end: number | null;
  labels: {
    file: string;
    line: number;
    column: number;
    start: number;
    end: number;
    message: string;
    primary: boolean;
  }[];
  notes: string[];
  help: string | null;
}

export function toJson(d: Diagnostic, sources: SourceLookup): JsonDiagnostic {
  const span = primarySpan(d);
  const pos = span ? sources(span.file)?.position(span.start) : undefined;
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: span?.file ?? null,
    line: pos?.line ?? null,
    column: pos?.column ?? null,
    start: span?.start ?? null,
    end: span?.end ?? null,
    labels: d.labels.map((l) => {
      const p = sources(l.span.file)?.position(l.span.start) ?? { line: 0, column: 0 };
      return {
        file: l.span.file,
        line: p.line,
        column: p.column,
        start: l.span.start,
        end: l.span.end,
        message: l.message,
        primary: l.primary,
      };
    }),
    notes: [...d.notes],
    help: d.help ?? null,
  };
}

export function summaryLine(ds: readonly Diagnostic[]): string {
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.length - errors;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ");
}

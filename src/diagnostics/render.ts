// Renderers for diagnostics: rich (rustc-style, with gutter and carets), short
// (`file:line:col: error[CODE]: message`) and JSON. Renderers only format; they decide nothing.
// Everything they print from the user (source lines, names in messages, file names) goes
// through terminal-text.ts: escaped, and cut to a window on long lines.
import type { SourceFile, Span } from "../source/source-file.js";
import { primarySpan, type Diagnostic, type Label } from "./diagnostic.js";
import { lineWindow, safeMessage, type LineWindow } from "./terminal-text.js";

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
  return `${where}: ${d.severity}[${d.code}]: ${safeMessage(d.message)}`;
}

function location(span: Span, sources: SourceLookup): string {
  const file = safeMessage(span.file);
  const src = sources(span.file);
  if (!src) return file;
  const p = src.position(span.start);
  return `${file}:${p.line}:${p.column}`;
}

/** The window of a line shown for a span, and where the line's text lies in the file. */
function windowFor(src: SourceFile, line: number, offset: number): LineWindow {
  const start = src.lineStarts[line - 1] ?? 0;
  const next = src.lineStarts[line];
  let end = next === undefined ? src.text.length : next - 1;
  if (end > start && src.text.charCodeAt(end - 1) === 13) end--;
  return lineWindow(src.text, start, end, offset);
}

export function renderRich(d: Diagnostic, sources: SourceLookup, opts: RenderOptions): string {
  const sevStyle = d.severity === "error" ? "red" : "yellow";
  const out: string[] = [];
  out.push(
    `${paint(`${d.severity}[${d.code}]`, sevStyle, opts)}${paint(`: ${safeMessage(d.message)}`, "bold", opts)}`,
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
    let window: LineWindow | undefined;
    for (const l of sorted) {
      const start = src.position(l.span.start);
      const end = src.position(Math.max(l.span.start, l.span.end - 1));
      if (lastLine !== -1 && start.line > lastLine + 1) out.push(paint("...", "blue", opts));
      // A label on the line just shown reuses its window when it falls inside it.
      const inside =
        window !== undefined &&
        start.line === lastLine &&
        l.span.start >= window.from &&
        (l.span.start < window.to || !window.cutEnd);
      if (!inside) {
        window = windowFor(src, start.line, l.span.start);
        out.push(
          `${paint(String(start.line).padStart(gutterWidth), "blue", opts)} ${bar} ${window.text}`,
        );
      }
      lastLine = start.line;
      const w = window!;
      const from = w.column(l.span.start);
      // A span that runs past its line is underlined to the end of the window.
      const to =
        end.line === start.line ? w.column(Math.max(l.span.start + 1, l.span.end)) : w.column(w.to);
      const width = Math.max(1, to - from);
      const marker = (l.primary ? "^" : "-").repeat(width);
      const text = `${" ".repeat(from)}${marker}${l.message ? ` ${safeMessage(l.message)}` : ""}`;
      out.push(`${pad} ${bar} ${paint(text, l.primary ? sevStyle : "blue", opts)}`);
    }
  }
  if (d.notes.length || d.help) out.push(`${pad} ${bar}`);
  for (const n of d.notes)
    out.push(
      `${pad} ${paint("=", "blue", opts)} ${paint("note", "bold", opts)}: ${safeMessage(n)}`,
    );
  if (d.help)
    out.push(
      `${pad} ${paint("=", "blue", opts)} ${paint("help", "bold", opts)}: ${safeMessage(d.help)}`,
    );
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

/** How many diagnostics the rich and short formats print in one run; the rest are counted. */
export const MAX_PRINTED = 50;

export interface Limited {
  readonly shown: readonly Diagnostic[];
  readonly hiddenErrors: number;
  readonly hiddenWarnings: number;
}

/**
 * At most `max` diagnostics, errors first: when there are more, every error that fits is shown
 * before any warning, so a flood of warnings never hides an error. Order is kept.
 */
export function limitDiagnostics(ds: readonly Diagnostic[], max = MAX_PRINTED): Limited {
  if (ds.length <= max) return { shown: ds, hiddenErrors: 0, hiddenWarnings: 0 };
  const errors = ds.filter((d) => d.severity === "error").length;
  let errorRoom = Math.min(errors, max);
  let warningRoom = max - errorRoom;
  const shown: Diagnostic[] = [];
  for (const d of ds) {
    if (d.severity === "error" ? errorRoom-- > 0 : warningRoom-- > 0) shown.push(d);
  }
  const shownErrors = shown.filter((d) => d.severity === "error").length;
  return {
    shown,
    hiddenErrors: errors - shownErrors,
    hiddenWarnings: ds.length - errors - (shown.length - shownErrors),
  };
}

/** "... and 12 more errors and 3 more warnings (all of them with `--format json`)", or "". */
export function moreLine(l: Limited): string {
  const parts: string[] = [];
  if (l.hiddenErrors) parts.push(`${l.hiddenErrors} more error${l.hiddenErrors === 1 ? "" : "s"}`);
  if (l.hiddenWarnings)
    parts.push(`${l.hiddenWarnings} more warning${l.hiddenWarnings === 1 ? "" : "s"}`);
  if (parts.length === 0) return "";
  return `... and ${parts.join(" and ")} not shown (all of them with \`--format json\`)`;
}

export function summaryLine(ds: readonly Diagnostic[]): string {
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.length - errors;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ");
}

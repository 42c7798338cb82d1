// The one message model: diagnostics are data (code, severity, labelled spans, notes, help).
// Renderers in this folder turn them into text; they never compute meaning.
import type { Span } from "../source/source-file.js";

export type Severity = "error" | "warning";

export interface Label {
  readonly span: Span;
  readonly message: string;
  /** The primary label marks the cause (`^^^`); secondary labels give the reason (`---`). */
  readonly primary: boolean;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly labels: readonly Label[];
  readonly notes: readonly string[];
  readonly help?: string;
}

export interface DiagnosticInit {
  code: string;
  message: string;
  span: Span;
  label?: string;
  severity?: Severity;
  secondary?: { span: Span; message: string }[];
  notes?: string[];
  help?: string;
}

export function diagnostic(init: DiagnosticInit): Diagnostic {
  const labels: Label[] = [{ span: init.span, message: init.label ?? "", primary: true }];
  for (const s of init.secondary ?? [])
    labels.push({ span: s.span, message: s.message, primary: false });
  return {
    code: init.code,
    severity: init.severity ?? "error",
    message: init.message,
    labels,
    notes: init.notes ?? [],
    ...(init.help === undefined ? {} : { help: init.help }),
  };
}

export function primarySpan(d: Diagnostic): Span | undefined {
  return (d.labels.find((l) => l.primary) ?? d.labels[0])?.span;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Stable order for output: by file, then position, then code. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const sa = primarySpan(a);
    const sb = primarySpan(b);
    if (sa && sb) {
      if (sa.file !== sb.file) return sa.file < sb.file ? -1 : 1;
      if (sa.start !== sb.start) return sa.start - sb.start;
    }
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}

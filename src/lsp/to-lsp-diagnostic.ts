// mmc diagnostics as LSP diagnostics: the same code, severity and message as `mmc check`, the
// primary label, notes and help on the lines below the message (editors show them in the hover
// and the problems list), secondary labels as related locations, a link to the code's page.
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
  type Range,
} from "vscode-languageserver";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../source/source-file.js";

export interface DiagnosticPlaces {
  rangeOf(span: Span): Range | undefined;
  uriOf(path: string): string;
  /** Where the long-form page of a code is, if installed. */
  errorPage(code: string): string | undefined;
}

export function toLspDiagnostic(
  d: Diagnostic,
  places: DiagnosticPlaces,
): LspDiagnostic | undefined {
  const primary = d.labels.find((l) => l.primary) ?? d.labels[0];
  const range = primary && places.rangeOf(primary.span);
  if (!primary || !range) return undefined;
  const lines = [d.message];
  if (primary.message) lines.push(primary.message);
  for (const n of d.notes) lines.push(`note: ${n}`);
  if (d.help) lines.push(`help: ${d.help}`);
  const related: DiagnosticRelatedInformation[] = [];
  for (const l of d.labels) {
    if (l === primary) continue;
    const r = places.rangeOf(l.span);
    if (r)
      related.push({
        location: { uri: places.uriOf(l.span.file), range: r },
        message: l.message || "see here",
      });
  }
  const page = places.errorPage(d.code);
  return {
    range,
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    ...(page ? { codeDescription: { href: page } } : {}),
    source: "mmc",
    message: lines.join("\n"),
    ...(related.length ? { relatedInformation: related } : {}),
    ...(d.code === "MM2013" ? { tags: [DiagnosticTag.Unnecessary] } : {}),
  };
}

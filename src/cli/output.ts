// Printing diagnostics to the terminal in the chosen format, honouring NO_COLOR and TTYs.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import {
  limitDiagnostics,
  moreLine,
  renderRich,
  renderShort,
  summaryLine,
  toJson,
} from "../diagnostics/render.js";
import { escapeJsonText } from "../diagnostics/terminal-text.js";
import type { SourceFile } from "../source/source-file.js";

export type DiagnosticFormat = "rich" | "short" | "json";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly colorStderr: boolean;
  readonly colorStdout: boolean;
}

export function useColor(stream: NodeJS.WriteStream, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  const env = process.env["NO_COLOR"];
  if (env !== undefined && env !== "") return false;
  if (process.env["FORCE_COLOR"] && process.env["FORCE_COLOR"] !== "0") return true;
  return stream.isTTY === true;
}

export function printDiagnostics(
  io: Io,
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, SourceFile>,
  format: DiagnosticFormat,
): void {
  const lookup = (f: string): SourceFile | undefined => sources.get(f);
  if (format === "json") {
    printJson(io, diagnostics, lookup);
    return;
  }
  if (diagnostics.length === 0) return;
  const limited = limitDiagnostics(diagnostics);
  const blocks = limited.shown.map((d) =>
    format === "short" ? renderShort(d, lookup) : renderRich(d, lookup, { color: io.colorStderr }),
  );
  const more = moreLine(limited);
  if (more) blocks.push(more);
  io.stderr(blocks.join(format === "short" ? "\n" : "\n\n") + "\n");
  if (format === "rich") io.stderr(`\n${summaryLine(diagnostics)}\n`);
}

/**
 * Every diagnostic as one JSON array, written in chunks so that the text of all of them is never
 * held at once; the layout is `JSON.stringify(all, null, 2)`'s. Characters JSON leaves raw
 * (C1 controls, direction overrides) are written as `\uXXXX`, so nothing raw reaches a terminal.
 */
function printJson(
  io: Io,
  diagnostics: readonly Diagnostic[],
  lookup: (f: string) => SourceFile | undefined,
): void {
  if (diagnostics.length === 0) {
    io.stdout("[]\n");
    return;
  }
  let chunk = "[\n";
  diagnostics.forEach((d, i) => {
    const item = JSON.stringify(toJson(d, lookup), null, 2).replace(/\n/g, "\n  ");
    chunk += `  ${escapeJsonText(item)}${i + 1 < diagnostics.length ? ",\n" : "\n"}`;
    if (chunk.length > 1 << 16) {
      io.stdout(chunk);
      chunk = "";
    }
  });
  io.stdout(`${chunk}]\n`);
}

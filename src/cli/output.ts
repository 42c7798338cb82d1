// Printing diagnostics to the terminal in the chosen format, honouring NO_COLOR and TTYs.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { renderRich, renderShort, summaryLine, toJson } from "../diagnostics/render.js";
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
    io.stdout(
      JSON.stringify(
        diagnostics.map((d) => toJson(d, lookup)),
        null,
        2,
      ) + "\n",
    );
    return;
  }
  if (diagnostics.length === 0) return;
  const blocks = diagnostics.map((d) =>
    format === "short" ? renderShort(d, lookup) : renderRich(d, lookup, { color: io.colorStderr }),
  );
  io.stderr(blocks.join(format === "short" ? "\n" : "\n\n") + "\n");
  if (format === "rich") io.stderr(`\n${summaryLine(diagnostics)}\n`);
}

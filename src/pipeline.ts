// The one place that lists the compiler's stages in order: syntax and resolve (resolveProgram
// parses every file it loads), then check. A stage that reported errors stops the chain at its
// end; inside a stage, work goes on so that every independent mistake is reported.
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import type { SourceFile } from "./source/source-file.js";
import { resolveProgram, type ModuleHost, type Program } from "./resolve/program.js";
import { checkProgram } from "./check/check.js";
import type { CheckedProgram } from "./check/ir.js";
import type { WeightsReader } from "./check/init.js";

export interface CheckResult {
  readonly program?: Program;
  /** Present when the check stage ran (no syntax or name errors), even if it found errors. */
  readonly checked?: CheckedProgram;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
}

/** Parse, resolve and check a file and its imports: what `mmc check` and `mmc info` run. */
export function checkFile(
  path: string,
  host: ModuleHost & { readonly weights?: WeightsReader },
): CheckResult {
  const resolved = resolveProgram(path, host);
  const program = resolved.program;
  const sources = resolved.sources;
  if (!program || hasErrors(resolved.diagnostics)) {
    return {
      ...(program ? { program } : {}),
      diagnostics: sortDiagnostics(resolved.diagnostics),
      sources,
    };
  }
  const { checked, diagnostics } = checkProgram(program, host);
  return {
    program,
    checked,
    diagnostics: sortDiagnostics([...resolved.diagnostics, ...diagnostics]),
    sources,
  };
}

// One check of a file as the language server runs it: the pipeline's stages (resolve, then check)
// with one difference from `mmc check`, so that a line being typed never blanks the rest of the
// file: the checker also runs when the syntax stage reported errors, and its findings inside a
// declaration that has a syntax error are dropped (they would describe the recovered parse).
import { checkProgram } from "../check/check.js";
import type { CheckedProgram } from "../check/ir.js";
import { primarySpan, sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import {
  MissingEntryError,
  resolveProgram,
  type Module,
  type ModuleHost,
  type Program,
} from "../resolve/program.js";
import type { SourceFile } from "../source/source-file.js";

export interface Analysis {
  readonly path: string;
  readonly program?: Program;
  /** Present when the check stage ran to its end. */
  readonly checked?: CheckedProgram;
  /** Every file's diagnostics, sorted. */
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
  /** Milliseconds the stages took (for the log and the benchmark). */
  readonly ms: number;
  /** Set when the checker threw (an mmc bug): its message; the resolve results stay. */
  readonly internalError?: string;
}

/** Half-open offset ranges, per file, of declarations that hold a syntax error. */
export type BrokenRanges = ReadonlyMap<string, readonly (readonly [number, number])[]>;

export function analyze(path: string, host: ModuleHost, now: () => number): Analysis {
  const t0 = now();
  let resolved;
  try {
    resolved = resolveProgram(path, host);
  } catch (e) {
    if (!(e instanceof MissingEntryError)) throw e;
    return { path, diagnostics: [], sources: new Map(), ms: now() - t0 };
  }
  const { program, sources } = resolved;
  if (!program) {
    return { path, diagnostics: sortDiagnostics(resolved.diagnostics), sources, ms: now() - t0 };
  }
  const broken = brokenRanges(program, resolved.diagnostics);
  let checked: CheckedProgram | undefined;
  let checkDiagnostics: readonly Diagnostic[] = [];
  let internalError: string | undefined;
  try {
    const r = checkProgram(program, host);
    checked = r.checked;
    checkDiagnostics = r.diagnostics.filter((d) => !insideBroken(d, broken));
  } catch (e) {
    internalError = e instanceof Error ? e.message : String(e);
  }
  return {
    path,
    program,
    ...(checked ? { checked } : {}),
    diagnostics: sortDiagnostics([...resolved.diagnostics, ...checkDiagnostics]),
    sources,
    ms: now() - t0,
    ...(internalError !== undefined ? { internalError } : {}),
  };
}

/** A declaration is broken from its start up to the next declaration if a syntax error is in it. */
export function brokenRanges(program: Program, diagnostics: readonly Diagnostic[]): BrokenRanges {
  const out = new Map<string, [number, number][]>();
  const errors = diagnostics.filter((d) => d.severity === "error" && d.code.startsWith("MM1"));
  // Every label counts: "expected `}` to close `model A`" points at the next declaration and
  // has a secondary label on the `{` of the declaration that is really broken.
  for (const label of errors.flatMap((d) => d.labels)) {
    const module = program.modules.get(label.span.file);
    const range = module && declarationRange(module, label.span.start);
    if (!module || !range) continue;
    const list = out.get(module.path) ?? [];
    if (!list.some(([s]) => s === range[0])) list.push(range);
    out.set(module.path, list);
  }
  return out;
}

function declarationRange(module: Module, offset: number): [number, number] | undefined {
  const decls = module.ast.declarations;
  for (let i = 0; i < decls.length; i++) {
    const start = decls[i]!.span.start;
    const end = decls[i + 1]?.span.start ?? Number.MAX_SAFE_INTEGER;
    if (offset >= start && offset < end) return [start, end];
  }
  return undefined;
}

function insideBroken(d: Diagnostic, broken: BrokenRanges): boolean {
  const span = primarySpan(d);
  if (!span) return false;
  return (broken.get(span.file) ?? []).some(([s, e]) => span.start >= s && span.start < e);
}

// The language server: LSP requests and notifications mapped onto the workspace's analyses.
// Every handler catches what it throws (the client gets an empty answer and the log a line), so
// no input, however broken, stops the server. Diagnostics are re-checked when a document
// changes: at once after a quiet spell, and at most once per check's duration while typing.
import {
  LSPErrorCodes,
  MessageType,
  ShowMessageNotification,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CompletionItem,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
  type Location,
  type Position,
  type WorkspaceEdit,
} from "vscode-languageserver";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { CheckedTrain } from "../check/ir.js";
import { STD_MODULES } from "../components/registry.js";
import { primarySpan } from "../diagnostics/diagnostic.js";
import type { Module, Program, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import type { Analysis } from "./analysis.js";
import { completeAt } from "./completion.js";
import { formatEdit } from "./format-edit.js";
import { hoverAt } from "./hover.js";
import { inferredHints } from "./inlay.js";
import {
  checkNewName,
  definitionOf,
  importTarget,
  referencesIn,
  RenameRefused,
  renameProblem,
  symbolAt,
} from "./navigate.js";
import { outline } from "./outline.js";
import { resolvedImport, symKey } from "./semantics.js";
import { isStdPath } from "./paths.js";
import {
  lastSourceCounts,
  METRICS_TAIL_BYTES,
  metricsPathOf,
  type RealisedRun,
} from "./realised.js";
import { toLspDiagnostic } from "./to-lsp-diagnostic.js";
import { Workspace, type LspEnv } from "./workspace.js";

export type { LspEnv } from "./workspace.js";

/** Longest pause between re-checks while typing (a check's own duration, capped). */
const MAX_GAP_MS = 200;

export function serveLsp(connection: Connection, env: LspEnv): void {
  const ws = new Workspace(env);
  const documents = new TextDocuments(TextDocument);
  const log = (m: string) => safeCall(() => connection.console.error(m));

  function safe<A extends unknown[], R>(
    name: string,
    fallback: R,
    fn: (...args: A) => R,
  ): (...args: A) => R {
    return (...args: A) => {
      try {
        return fn(...args);
      } catch (e) {
        // A refusal the editor should show (rename) is an answer, not a failure.
        if (e instanceof ResponseError) throw e;
        log(
          `mmc lsp: internal error in ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        return fallback;
      }
    };
  }

  /** The open document and its analysis for a request's `textDocument.uri` and position. */
  function at(
    params: unknown,
  ): { path: string; doc: TextDocument; text: string; a: Analysis; offset: number } | undefined {
    const p = params as { textDocument?: { uri?: unknown }; position?: unknown } | undefined;
    const uri = p?.textDocument?.uri;
    if (typeof uri !== "string") return undefined;
    const doc = documents.get(uri);
    const path = ws.paths.pathOf(uri);
    const text = docText(doc);
    if (!doc || !path || text === undefined) return undefined;
    const a = ws.analysisOf(path);
    const pos = validPosition(p?.position);
    const offset = pos ? ws.indexes.of(path, text).offset(pos) : 0;
    return { path, doc, text, a, offset };
  }

  /** The range of a span, in the text it was taken from (an analysis' sources) or the file's now. */
  const rangeIn = (sources: ReadonlyMap<string, { text: string }> | undefined) => (span: Span) => {
    const text = sources?.get(span.file)?.text ?? ws.host.text(span.file);
    return text === undefined ? undefined : ws.indexes.rangeOf(span, text);
  };
  const rangeOf = rangeIn(undefined);
  const location = (span: Span): Location | undefined => {
    const range = rangeOf(span);
    return range ? { uri: ws.paths.uriOf(span.file), range } : undefined;
  };

  /** What a train's run logged about its sources (bounded tail of its metrics.jsonl). */
  function realisedRun(train: CheckedTrain, entry: string): RealisedRun | undefined {
    const rel = metricsPathOf(train);
    if (!rel || isStdPath(entry) || !env.readRunLog) return undefined;
    const tail = env.readRunLog(dirname(ws.paths.fileOf(entry)), rel, METRICS_TAIL_BYTES);
    const counts = tail === undefined ? undefined : lastSourceCounts(tail);
    return counts && { ...counts, train: train.name, shown: rel };
  }

  // Diagnostics -----------------------------------------------------------------------------
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastEnd = 0;
  let lastDuration = 0;
  /** Diagnostics that entries report in files that are not open, by file, then by entry. */
  const foreign = new Map<string, Map<string, LspDiagnostic[]>>();

  /** Publishes; a failure to send (the client went away) is not worth a crash. */
  function sendDiagnostics(params: {
    uri: string;
    version?: number;
    diagnostics: LspDiagnostic[];
  }): void {
    connection
      .sendDiagnostics(params)
      .catch((e: unknown) => log(`mmc lsp: cannot send diagnostics: ${String(e)}`));
  }

  function schedule(path: string): void {
    pending.add(path);
    // Open documents that read this file are re-checked too.
    for (const other of ws.host.openPaths())
      if (other !== path && ws.lastSources(other)?.has(path)) pending.add(other);
    if (timer) return;
    const wait = Math.max(0, lastEnd + Math.min(lastDuration, MAX_GAP_MS) - env.now());
    timer = setTimeout(flush, wait);
  }

  const flush = safe("diagnostics", undefined, () => {
    timer = undefined;
    const start = env.now();
    const paths = [...pending];
    pending.clear();
    for (const path of paths) publish(path);
    lastEnd = env.now();
    lastDuration = lastEnd - start;
  });

  function publish(path: string): void {
    const uri = ws.paths.uriOf(path);
    const doc = documents.get(uri);
    if (!doc) return;
    const a = ws.analysisOf(path);
    if (a.internalError) log(`mmc lsp: internal error while checking ${path}: ${a.internalError}`);
    const places = {
      rangeOf: rangeIn(a.sources),
      uriOf: (p: string) => ws.paths.uriOf(p),
      errorPage: (code: string) => env.errorPage(code),
    };
    const own: LspDiagnostic[] = [];
    const elsewhere = new Map<string, LspDiagnostic[]>();
    for (const d of a.diagnostics) {
      const span = primarySpan(d);
      const lsp = span && toLspDiagnostic(d, places);
      if (!span || !lsp) continue;
      if (span.file === path) own.push(lsp);
      else if (!ws.host.isOpen(span.file))
        elsewhere.set(span.file, [...(elsewhere.get(span.file) ?? []), lsp]);
    }
    // Imported files first: when the entry's own diagnostics arrive, everything has.
    setForeign(path, elsewhere);
    sendDiagnostics({ uri, version: doc.version, diagnostics: own });
  }

  function setForeign(entry: string, byFile: Map<string, LspDiagnostic[]>): void {
    const touched = new Set(byFile.keys());
    for (const [file, entries] of foreign) if (entries.delete(entry)) touched.add(file);
    for (const [file, ds] of byFile) {
      let entries = foreign.get(file);
      if (!entries) foreign.set(file, (entries = new Map()));
      entries.set(entry, ds);
    }
    for (const file of touched) {
      if (ws.host.isOpen(file)) continue;
      const seen = new Set<string>();
      const all = [...(foreign.get(file)?.values() ?? [])].flat().filter((d) => {
        const k = `${d.code}|${d.range.start.line}:${d.range.start.character}|${d.message}`;
        return seen.has(k) ? false : (seen.add(k), true);
      });
      sendDiagnostics({ uri: ws.paths.uriOf(file), diagnostics: all });
    }
  }

  // Documents -------------------------------------------------------------------------------
  documents.onDidOpen(
    safe("didOpen", undefined, (e) => {
      const path = ws.paths.pathOf(e.document.uri);
      if (!path) return;
      const text = docText(e.document);
      if (text === undefined) return;
      ws.host.setOpen(path, text);
      ws.diskChanged();
      // An open document publishes its own diagnostics; clear what entries said about it.
      if (foreign.delete(path)) sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    }),
  );
  documents.onDidChangeContent(
    safe("didChange", undefined, (e) => {
      const path = ws.paths.pathOf(e.document.uri);
      if (!path) return;
      const text = docText(e.document);
      if (text === undefined) return;
      ws.host.setOpen(path, text);
      schedule(path);
    }),
  );
  documents.onDidClose(
    safe("didClose", undefined, (e) => {
      const path = ws.paths.pathOf(e.document.uri);
      if (!path) return;
      ws.host.close(path);
      ws.diskChanged();
      ws.forget(path);
      pending.delete(path);
      sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
      setForeign(path, new Map());
      for (const other of ws.host.openPaths()) schedule(other);
    }),
  );
  documents.listen(connection);

  connection.onDidChangeWatchedFiles(
    safe("didChangeWatchedFiles", undefined, () => {
      ws.diskChanged();
      for (const p of ws.host.openPaths()) schedule(p);
    }),
  );

  // Requests --------------------------------------------------------------------------------
  connection.onInitialize(
    safe("initialize", { capabilities: {} } as InitializeResult, (params) => {
      const folders = (params.workspaceFolders ?? []).map((f) => f.uri);
      if (folders.length === 0 && typeof params.rootUri === "string") folders.push(params.rootUri);
      ws.folders = folders.map(fileOfUri).filter((p): p is string => p !== undefined);
      return {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          hoverProvider: true,
          definitionProvider: true,
          referencesProvider: true,
          renameProvider: { prepareProvider: true },
          documentSymbolProvider: true,
          completionProvider: { triggerCharacters: [":", ".", "{"] },
          inlayHintProvider: true,
          documentFormattingProvider: true,
        },
        serverInfo: { name: "mmc" },
      };
    }),
  );

  connection.onHover(
    safe("hover", null, (params) => {
      const c = at(params);
      if (!c) return null;
      const h = hoverAt(c.a, c.offset, {
        analysisOf: (p) => ws.analysisOf(p),
        realised: (train, entry) => realisedRun(train, entry),
      });
      const range = h && rangeOf(h.span);
      return h
        ? { contents: { kind: "markdown", value: h.markdown }, ...(range ? { range } : {}) }
        : null;
    }),
  );

  connection.onDefinition(
    safe("definition", null, (params) => {
      const c = at(params);
      const program = c?.a.program;
      const module = program?.modules.get(c!.path);
      if (!c || !program || !module) return null;
      const target = importTarget(program, module, c.offset, (m) => ws.host.stdlibFile(m));
      if (target)
        return {
          uri: ws.paths.uriOf(target.path),
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        };
      const s = symbolAt(module, c.offset);
      const span = s && definitionOf(program, s.sym, (m) => ws.host.stdlibFile(m));
      return (span && location(span)) ?? null;
    }),
  );

  connection.onReferences(
    safe("references", [] as Location[], (params) => {
      const c = at(params);
      const program = c?.a.program;
      const module = program?.modules.get(c!.path);
      if (!c || !program || !module) return [];
      const s = symbolAt(module, c.offset);
      if (!s) return [];
      const modules = ws.modulesMentioning(s.sym.name, program);
      const include =
        (params as { context?: { includeDeclaration?: unknown } }).context?.includeDeclaration !==
        false;
      return referencesIn(modules, symKey(s.sym), include)
        .map(location)
        .filter((l): l is Location => l !== undefined);
    }),
  );

  /** The symbol to rename, or the reason it cannot be. */
  function renameTarget(params: unknown): { sym: Sym; span: Span; program: Program } | string {
    const c = at(params);
    const program = c?.a.program;
    const module = program?.modules.get(c!.path);
    if (!c || !program || !module) return "there is nothing to rename here";
    const s = symbolAt(module, c.offset);
    if (!s) return "put the cursor on the name of a declaration or a use of one";
    const problem = renameProblem(program, s.sym);
    return problem ?? { ...s, program };
  }

  connection.onPrepareRename(
    safe("prepareRename", null, (params) => {
      const t = renameTarget(params);
      if (typeof t === "string") throw refusal(t);
      const range = rangeOf(t.span);
      return range ? { range, placeholder: t.sym.name } : null;
    }),
  );

  connection.onRenameRequest(
    safe("rename", null, (params) => {
      const t = renameTarget(params);
      if (typeof t === "string") throw refusal(t);
      const newName = typeof params.newName === "string" ? params.newName : "";
      const key = symKey(t.sym);
      const modules = ws.modulesMentioning(t.sym.name, t.program);
      try {
        checkNewName(newName, modules, key);
      } catch (e) {
        if (e instanceof RenameRefused) throw refusal(e.message);
        throw e;
      }
      const changes: NonNullable<WorkspaceEdit["changes"]> = {};
      for (const span of referencesIn(modules, key, true)) {
        const range = rangeOf(span);
        if (!range) continue;
        (changes[ws.paths.uriOf(span.file)] ??= []).push({ range, newText: newName });
      }
      return { changes };
    }),
  );

  connection.onDocumentSymbol(
    safe("documentSymbol", [], (params) => {
      const c = at(params);
      const module = c?.a.program?.modules.get(c.path);
      if (!c || !module) return [];
      return outline(module.ast, (s) => ws.indexes.rangeOf(s, c.text));
    }),
  );

  connection.onCompletion(
    safe("completion", [] as CompletionItem[], (params) => {
      const c = at(params);
      if (!c) return [];
      const program = c.a.program;
      const module = program?.modules.get(c.path);
      return completeAt(program, module, c.text, c.offset, {
        exportsOf: (m, spec) => exportsOf(ws, program, m, spec),
      });
    }),
  );

  connection.languages.inlayHint.on(
    safe("inlayHint", [], (params) => {
      const c = at(params);
      const module = c?.a.program?.modules.get(c.path);
      if (!c || !module) return [];
      const index = ws.indexes.of(c.path, c.text);
      return inferredHints(module.ast, c.a.checked).map((h) => ({
        position: index.position(h.offset),
        label: h.label,
        tooltip: h.tooltip,
        paddingLeft: true,
      }));
    }),
  );

  connection.onDocumentFormatting(
    safe("formatting", [], (params) => {
      const c = at(params);
      if (!c) return [];
      const text = c.text;
      const r = formatEdit(text, c.path);
      if (!r.ok) {
        // A notification: a `showMessage` request would wait for the user to click it away.
        void connection
          .sendNotification(ShowMessageNotification.type, {
            type: MessageType.Warning,
            message: `mmc: cannot format ${c.path}: ${r.reason}`,
          })
          .catch(() => undefined);
        return [];
      }
      if (!r.edit) return [];
      const index = ws.indexes.of(c.path, text);
      return [{ range: index.range(r.edit.start, r.edit.end), newText: r.edit.text }];
    }),
  );

  connection.onShutdown(() => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  });
  connection.listen();
}

/** An error answer that editors show to the user as it is (rename refusals). */
function refusal(message: string): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestFailed, message);
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch {
    // The log itself failed (the connection is gone): nothing else to do.
  }
}

/** A document's text; a client that opened one without text gets it ignored. */
function docText(doc: TextDocument | undefined): string | undefined {
  const text: unknown = doc?.getText();
  return typeof text === "string" ? text : undefined;
}

function fileOfUri(uri: string): string | undefined {
  try {
    return uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function validPosition(p: unknown): Position | undefined {
  const q = p as { line?: unknown; character?: unknown } | undefined;
  if (!q || !Number.isInteger(q.line) || !Number.isInteger(q.character)) return undefined;
  return { line: Math.max(0, q.line as number), character: Math.max(0, q.character as number) };
}

/** The names a module exports, as `import { ... } from spec` in `importer` would see them. */
function exportsOf(
  ws: Workspace,
  program: Program | undefined,
  importer: Module,
  spec: string,
): Sym[] {
  const path = spec.startsWith("std/") ? ws.host.stdlibFile(spec) : resolvedImport(importer, spec);
  const target = program?.modules.get(path)?.declared ?? ws.programOf(path)?.entry.declared;
  const kinds = (STD_MODULES[spec] ?? []).map((k): Sym => ({
    name: k,
    kind: "kind",
    module: spec,
  }));
  return [...kinds, ...(target ? [...target.values()] : [])];
}

// A language client for the tests, as an editor is one: it spawns `bin/mmc lsp --stdio` and
// speaks JSON-RPC over its stdin and stdout with the protocol packages, the client side of the
// same library VS Code's client uses.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  CompletionRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentFormattingRequest,
  DocumentSymbolRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  InlayHintRequest,
  PrepareRenameRequest,
  PublishDiagnosticsNotification,
  ReferencesRequest,
  RenameRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type InlayHint,
  type Location,
  type Position,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver-protocol/node";

export const ROOT = join(import.meta.dirname, "..", "..");
export const MMC = join(ROOT, "bin", "mmc");

export function uriOf(path: string): string {
  return pathToFileURL(path).href;
}

/** The 0-based LSP position of the `nth` occurrence of `needle` in `text`, plus `delta` units. */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at === -1) throw new Error(`\`${needle}\` not in the text`);
  }
  const offset = at + delta;
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

export class TestClient {
  readonly conn: ProtocolConnection;
  readonly process: ChildProcess;
  readonly stderr: string[] = [];
  /** What the server logged through the protocol (`window/logMessage`). */
  readonly logs: string[] = [];
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: {
    uri: string;
    ok: (p: PublishDiagnosticsParams) => boolean;
    resolve: (p: PublishDiagnosticsParams) => void;
  }[] = [];
  private versions = new Map<string, number>();
  exited: Promise<number | null>;

  constructor(extraArgs: string[] = []) {
    this.process = spawn(process.execPath, [MMC, "lsp", "--stdio", ...extraArgs], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.process.stderr!.on("data", (d: Buffer) => this.stderr.push(d.toString("utf8")));
    this.exited = new Promise((resolve) => this.process.on("exit", (code) => resolve(code)));
    this.conn = createProtocolConnection(
      new StreamMessageReader(this.process.stdout!),
      new StreamMessageWriter(this.process.stdin!),
    );
    this.conn.onNotification(
      "window/logMessage",
      (p: { message: string }) => void this.logs.push(p.message),
    );
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.diagnostics.get(p.uri) ?? [];
      list.push(p);
      this.diagnostics.set(p.uri, list);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && w.ok(p)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    this.conn.listen();
  }

  static async start(rootPath?: string): Promise<TestClient> {
    const c = new TestClient();
    await c.conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: rootPath ? uriOf(rootPath) : null,
      workspaceFolders: rootPath ? [{ uri: uriOf(rootPath), name: "root" }] : null,
      capabilities: {},
    });
    await c.conn.sendNotification(InitializedNotification.type, {});
    return c;
  }

  /** Resolves with the next diagnostics for `uri` (for `version` or later, when given). */
  nextDiagnostics(
    uri: string,
    version?: number,
    timeoutMs = 30_000,
  ): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no diagnostics for ${uri} (version ${version})`)),
        timeoutMs,
      );
      this.waiters.push({
        uri,
        ok: (p) => version === undefined || (p.version ?? 0) >= version,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  /** The latest diagnostics published for `uri`, if any. */
  latest(uri: string): Diagnostic[] | undefined {
    const list = this.diagnostics.get(uri);
    return list?.[list.length - 1]?.diagnostics;
  }

  async open(
    path: string,
    text = readFileSync(path, "utf8"),
  ): Promise<{ uri: string; text: string; diagnostics: Diagnostic[] }> {
    const uri = uriOf(path);
    this.versions.set(uri, 1);
    const next = this.nextDiagnostics(uri, 1);
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "mm", version: 1, text },
    });
    return { uri, text, diagnostics: (await next).diagnostics };
  }

  /** Replaces the whole text; resolves with the diagnostics for the new version. */
  async change(uri: string, text: string): Promise<Diagnostic[]> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const next = this.nextDiagnostics(uri, version);
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    return (await next).diagnostics;
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification(DidCloseTextDocumentNotification.type, {
      textDocument: { uri },
    });
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  async hoverText(uri: string, position: Position): Promise<string> {
    const h = await this.hover(uri, position);
    const c = h?.contents;
    return c && typeof c === "object" && "value" in c ? c.value : "";
  }

  async definition(uri: string, position: Position): Promise<Location[]> {
    const r = await this.conn.sendRequest(DefinitionRequest.type, {
      textDocument: { uri },
      position,
    });
    if (!r) return [];
    return (Array.isArray(r) ? r : [r]).map((l) =>
      "targetUri" in l ? { uri: l.targetUri, range: l.targetSelectionRange } : l,
    );
  }

  async references(
    uri: string,
    position: Position,
    includeDeclaration = true,
  ): Promise<Location[]> {
    return (
      (await this.conn.sendRequest(ReferencesRequest.type, {
        textDocument: { uri },
        position,
        context: { includeDeclaration },
      })) ?? []
    );
  }

  prepareRename(uri: string, position: Position) {
    return this.conn.sendRequest(PrepareRenameRequest.type, { textDocument: { uri }, position });
  }

  rename(uri: string, position: Position, newName: string): Promise<WorkspaceEdit | null> {
    return this.conn.sendRequest(RenameRequest.type, { textDocument: { uri }, position, newName });
  }

  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const r: CompletionItem[] | CompletionList | null = await this.conn.sendRequest(
      CompletionRequest.type,
      { textDocument: { uri }, position },
    );
    return !r ? [] : Array.isArray(r) ? r : r.items;
  }

  async symbols(uri: string): Promise<DocumentSymbol[]> {
    return ((await this.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) ??
      []) as DocumentSymbol[];
  }

  async inlayHints(uri: string): Promise<InlayHint[]> {
    return (
      (await this.conn.sendRequest(InlayHintRequest.type, {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: 100_000, character: 0 } },
      })) ?? []
    );
  }

  async formatting(uri: string): Promise<TextEdit[]> {
    return (
      (await this.conn.sendRequest(DocumentFormattingRequest.type, {
        textDocument: { uri },
        options: { tabSize: 2, insertSpaces: true },
      })) ?? []
    );
  }

  async stop(): Promise<number | null> {
    try {
      // A server that died answers nothing: do not wait for it.
      await Promise.race([this.conn.sendRequest(ShutdownRequest.type), this.exited]);
      await this.conn.sendNotification(ExitNotification.type);
    } catch {
      // already gone
    }
    const code = await Promise.race([
      this.exited,
      new Promise<null>((r) => setTimeout(() => r(null), 5000)),
    ]);
    this.conn.dispose();
    if (this.process.exitCode === null) this.process.kill();
    return code;
  }
}

/** Applies LSP text edits to a text (edits do not overlap). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (p: Position) =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce(
      (t, e) => t.slice(0, offset(e.range.start)) + e.newText + t.slice(offset(e.range.end)),
      text,
    );
}

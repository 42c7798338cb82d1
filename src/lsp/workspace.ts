// The server's state: open documents (through the overlay host), analyses cached until a file
// they read changes, programs for cross-file references, and the files of the workspace folders.
import type { WeightsReader } from "../check/init.js";
import {
  resolveProgram,
  MissingEntryError,
  type Module,
  type ModuleHost,
  type Program,
} from "../resolve/program.js";
import { analyze, type Analysis } from "./analysis.js";
import { OverlayHost } from "./host.js";
import { PathMap } from "./paths.js";
import { TextIndexes } from "./text-index.js";

/** What the command line gives the server: file access, the clock, where things are installed. */
export interface LspEnv {
  /** Reads files from disk; `std/...` maps to the installed stdlib (the CLI's `fileHost`). */
  readonly disk: ModuleHost & { readonly weights?: WeightsReader };
  /** The installed stdlib/ folder. */
  readonly stdlibDir: string;
  /** `file:` URI of docs/errors/CODE.md when installed. */
  errorPage(code: string): string | undefined;
  /** The `.mm` files under a folder (bounded), for references and rename across the workspace. */
  listMmFiles(folder: string): string[];
  /**
   * At most the last `maxBytes` of `relPath` (a run's metrics log) under the folder `specDir`,
   * decoded as UTF-8; undefined unless it is a regular file whose real path is inside the
   * folder's. Never throws, never blocks on a FIFO. Absent: hovers show no realised shares.
   */
  readRunLog?(specDir: string, relPath: string, maxBytes: number): string | undefined;
  now(): number;
}

interface Cached<T> {
  readonly value: T;
  readonly diskGeneration: number;
  /** Text of every file it read, to tell whether an open document changed since. */
  readonly texts: ReadonlyMap<string, string>;
}

export class Workspace {
  readonly host: OverlayHost;
  readonly paths: PathMap;
  readonly indexes = new TextIndexes();
  /** Workspace folders as file-system paths; the first is the one paths are relative to. */
  private folderList: string[] = [];

  get folders(): readonly string[] {
    return this.folderList;
  }

  set folders(list: readonly string[]) {
    this.folderList = [...list];
    this.paths.setRoot(list[0]);
  }
  private diskGeneration = 0;
  private readonly analyses = new Map<string, Cached<Analysis>>();
  private readonly programs = new Map<string, Cached<Program | undefined>>();

  constructor(readonly env: LspEnv) {
    this.paths = new PathMap(env.stdlibDir);
    this.host = new OverlayHost(env.disk, (p) => this.paths.fileOf(p));
  }

  /** Files on disk may have changed (watched-file events, opening or closing a document). */
  diskChanged(): void {
    this.diskGeneration++;
  }

  private valid<T>(c: Cached<T> | undefined): c is Cached<T> {
    if (!c || c.diskGeneration !== this.diskGeneration) return false;
    for (const [path, text] of c.texts)
      if (this.host.isOpen(path) && this.host.text(path) !== text) return false;
    return true;
  }

  /** The analysis of a file checked as the entry, fresh for what the editor shows now. */
  analysisOf(path: string): Analysis {
    const hit = this.analyses.get(path);
    if (this.valid(hit)) return hit.value;
    const value = analyze(path, this.host, () => this.env.now());
    this.analyses.set(path, {
      value,
      diskGeneration: this.diskGeneration,
      texts: textsOf(value.sources),
    });
    return value;
  }

  /** The analysis if it is cached and fresh, without running one. */
  cachedAnalysis(path: string): Analysis | undefined {
    const hit = this.analyses.get(path);
    return this.valid(hit) ? hit.value : undefined;
  }

  /** The files the last analysis of `path` read, fresh or not (to find what depends on a file). */
  lastSources(path: string): ReadonlyMap<string, unknown> | undefined {
    return this.analyses.get(path)?.texts;
  }

  forget(path: string): void {
    this.analyses.delete(path);
    this.programs.delete(path);
  }

  /** The resolved program of a file (no checking), for cross-file references. */
  programOf(path: string): Program | undefined {
    const a = this.cachedAnalysis(path);
    if (a) return a.program;
    const hit = this.programs.get(path);
    if (this.valid(hit)) return hit.value;
    let program: Program | undefined;
    try {
      program = resolveProgram(path, this.host).program;
    } catch (e) {
      if (!(e instanceof MissingEntryError)) throw e;
    }
    this.programs.set(path, {
      value: program,
      diskGeneration: this.diskGeneration,
      texts: textsOf(program?.sources ?? new Map()),
    });
    return program;
  }

  /**
   * Every module that could name a symbol called `name`: those of the given program, of the open
   * documents, and of the workspace's `.mm` files whose text contains the name.
   */
  modulesMentioning(name: string, program: Program | undefined): Module[] {
    const byPath = new Map<string, Module>();
    const addProgram = (p: Program | undefined) => {
      for (const m of p?.modules.values() ?? []) if (!byPath.has(m.path)) byPath.set(m.path, m);
    };
    addProgram(program);
    const candidates = new Set(this.host.openPaths());
    for (const folder of this.folders)
      for (const f of this.env.listMmFiles(folder))
        candidates.add(this.paths.pathOf(this.paths.uriOf(f)) ?? f);
    for (const path of candidates) {
      if (byPath.has(path)) continue;
      const text = this.host.text(path);
      if (text === undefined || !text.includes(name)) continue;
      addProgram(this.programOf(path));
    }
    return [...byPath.values()];
  }
}

function textsOf(sources: ReadonlyMap<string, { text: string }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of sources) out.set(k, v.text);
  return out;
}

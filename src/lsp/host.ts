// The language server's `ModuleHost`: open documents are served from memory (what the editor
// shows, saved or not), everything else from the disk host the command line passes in. Files of
// the installed standard library do not change while the server runs, so they are read once;
// parses are kept while a file's text stays the same, and an open document is parsed
// incrementally (incremental-parse.ts), so a keystroke re-parses the declaration it touched.
import type { WeightsReader } from "../check/init.js";
import type { ModuleHost, ReadResult, TokenizerIdsInfo } from "../resolve/program.js";
import type { SourceFile } from "../source/source-file.js";
import { parseSource, type ParseResult } from "../syntax/parse.js";
import { IncrementalParser } from "./incremental-parse.js";
import { isStdPath } from "./paths.js";

export class OverlayHost implements ModuleHost {
  private readonly open = new Map<string, string>();
  private readonly stdCache = new Map<string, ReadResult>();
  /** The last parse of each file, with the text it was made from. */
  private readonly parses = new Map<string, ParseResult>();
  /** Open documents' incremental parsers (dropped when the document closes). */
  private readonly incremental = new Map<string, IncrementalParser>();
  /**
   * The headers of `init` weights files, as `mmc check` reads them (bounded: the header only, at
   * most 64 MiB; no weights), so the editor reports the same missing and misshapen tensors.
   */
  readonly weights?: WeightsReader;

  /** `toDisk`: the file-system path of a resolver path (relative paths are the workspace's). */
  constructor(
    private readonly disk: ModuleHost & { readonly weights?: WeightsReader },
    private readonly toDisk: (path: string) => string,
  ) {
    const reader = disk.weights;
    // The reader names the files it opened; give the checker back the paths it asked for.
    const asAsked = <T extends { ok: boolean; message?: string }>(r: T, path: string): T => {
      const disk = this.toDisk(path);
      return r.ok || r.message === undefined || disk === path
        ? r
        : { ...r, message: r.message.split(disk).join(path) };
    };
    if (reader)
      this.weights = {
        header: (path, root) => asAsked(reader.header(this.toDisk(path), this.toDisk(root)), path),
        nameMap: (path, root) =>
          asAsked(reader.nameMap(this.toDisk(path), this.toDisk(root)), path),
      };
  }

  setOpen(path: string, text: string): void {
    this.open.set(path, text);
  }

  close(path: string): void {
    this.open.delete(path);
    this.incremental.delete(path);
  }

  isOpen(path: string): boolean {
    return this.open.has(path);
  }

  openPaths(): string[] {
    return [...this.open.keys()];
  }

  read(path: string): ReadResult {
    const text = this.open.get(path);
    if (text !== undefined) return { ok: true, text };
    if (!isStdPath(path)) return this.disk.read(this.toDisk(path));
    let cached = this.stdCache.get(path);
    if (!cached) this.stdCache.set(path, (cached = this.disk.read(path)));
    return cached;
  }

  parse(source: SourceFile): ParseResult {
    const hit = this.parses.get(source.path);
    if (hit && hit.source.text === source.text) return hit;
    let parsed: ParseResult;
    if (this.open.get(source.path) === source.text) {
      let parser = this.incremental.get(source.path);
      if (!parser) this.incremental.set(source.path, (parser = new IncrementalParser()));
      parsed = parser.parse(source);
    } else parsed = parseSource(source);
    this.parses.set(source.path, parsed);
    return parsed;
  }

  stdlibFile(module: string): string {
    return this.disk.stdlibFile(module);
  }

  tokenizerIds(path: string): TokenizerIdsInfo | undefined {
    return isStdPath(path) ? undefined : this.disk.tokenizerIds?.(this.toDisk(path));
  }

  /** Text of a module as the resolver would read it, or undefined when it cannot be read. */
  text(path: string): string | undefined {
    const r = this.read(path);
    return r.ok ? r.text : undefined;
  }
}

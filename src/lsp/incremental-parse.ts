// Incremental parsing for the language server: a keystroke re-parses the one declaration it
// touched. The text is lexed whole (cheap), cut into chunks at every top-level declaration
// keyword, and each chunk's declarations are parsed alone and kept by the chunk's text; a chunk
// whose text did not change reuses its declarations, moved to where the chunk now starts.
//
// The cut: chunk k runs from the end of the last token of declaration k-1 to the end of the last
// token of declaration k, so it holds the comments and `///` doc comments above its declaration
// (what the parser attaches as `doc`) and never a token of another declaration. A chunk's parse
// equals that declaration's part of a whole-file parse only when nothing is wrong, so this path
// is taken only when every chunk parses without a single diagnostic; otherwise (a lexical error,
// unbalanced brackets, a syntax error, a warning) the whole file is parsed as `mmc check` does,
// and its diagnostics and recovery are exactly the whole-file ones. test/lsp/incremental.test.ts
// checks both paths against whole-file parses over random edits.
import type { IToken } from "chevrotain";
import type { Declaration } from "../syntax/ast.js";
import { getLexer, parseSource, type ParseResult } from "../syntax/parse.js";
import { SourceFile } from "../source/source-file.js";

/** Token types that start a top-level declaration (tokens.ts: `keyword(word, true)`). */
const STARTS_DECLARATION = new Set([
  "Kw_import",
  "Kw_encoder",
  "Kw_connector",
  "Kw_llm",
  "Kw_moe",
  "Kw_model",
  "Kw_data",
  "Kw_train",
  "Kw_sweep",
]);
const OPENERS = new Set(["LCurly", "LBracket", "LParen"]);
const CLOSERS = new Set(["RCurly", "RBracket", "RParen"]);

interface Chunk {
  /** Declarations with spans relative to the chunk's start. */
  readonly relative: readonly Declaration[];
  /** The last placement handed out, reused while the chunk stays where it is. */
  at?: number;
  placed?: readonly Declaration[];
}

/** Statistics of the last parse, for the log and tests. */
export interface IncrementalStats {
  readonly chunks: number;
  /** Chunks parsed this time (the rest were reused). */
  readonly parsed: number;
  /** True when the whole file was parsed instead (something in it is wrong). */
  readonly whole: boolean;
}

/** One file's parses; `parse` returns what `parseSource` returns for the same text. */
export class IncrementalParser {
  /** Chunks of the last two texts, by chunk text (two, so that an undo finds its chunks). */
  private current = new Map<string, Chunk>();
  private previous = new Map<string, Chunk>();
  stats: IncrementalStats = { chunks: 0, parsed: 0, whole: true };

  parse(source: SourceFile): ParseResult {
    const cuts = chunkStarts(source.text);
    if (!cuts) return this.whole(source, 0);
    const next = new Map<string, Chunk>();
    const declarations: Declaration[] = [];
    let parsed = 0;
    for (let k = 0; k < cuts.length; k++) {
      const start = cuts[k]!;
      const text = source.text.slice(start, cuts[k + 1] ?? source.text.length);
      let chunk = next.get(text) ?? this.current.get(text) ?? this.previous.get(text);
      if (!chunk) {
        const r = parseSource(new SourceFile(source.path, text));
        if (r.diagnostics.length > 0) return this.whole(source, cuts.length);
        chunk = { relative: r.ast.declarations };
        parsed++;
      }
      next.set(text, chunk);
      for (const d of placed(chunk, start)) declarations.push(d);
    }
    this.previous = this.current;
    this.current = next;
    this.stats = { chunks: cuts.length, parsed, whole: false };
    return {
      source,
      ast: { path: source.path, declarations, span: source.span(0, source.text.length) },
      diagnostics: [],
    };
  }

  private whole(source: SourceFile, chunks: number): ParseResult {
    this.stats = { chunks, parsed: chunks, whole: true };
    return parseSource(source);
  }
}

/**
 * Where each chunk starts (the first at 0), or undefined when the text cannot be cut safely:
 * a lexical error, or brackets that close more than they open.
 */
export function chunkStarts(text: string): number[] | undefined {
  const lexed = getLexer().tokenize(text);
  if (lexed.errors.length > 0 || ((lexed.groups["errors"] as IToken[] | undefined)?.length ?? 0))
    return undefined;
  const starts = [0];
  let depth = 0;
  let previous: IToken | undefined;
  for (const t of lexed.tokens) {
    const name = t.tokenType.name;
    if (depth === 0 && previous && STARTS_DECLARATION.has(name))
      starts.push(previous.startOffset + previous.image.length);
    if (OPENERS.has(name)) depth++;
    else if (CLOSERS.has(name) && --depth < 0) return undefined;
    previous = t;
  }
  return starts;
}

function placed(chunk: Chunk, at: number): readonly Declaration[] {
  if (chunk.at !== at || !chunk.placed) {
    chunk.placed = at === 0 ? chunk.relative : (shift(chunk.relative, at) as Declaration[]);
    chunk.at = at;
  }
  return chunk.placed;
}

/** A copy of an AST fragment with every span moved by `delta` (the AST is plain data). */
function shift(node: unknown, delta: number): unknown {
  if (Array.isArray(node)) return node.map((x) => shift(x, delta));
  if (node === null || typeof node !== "object") return node;
  const o = node as Record<string, unknown>;
  if (typeof o["file"] === "string" && typeof o["start"] === "number" && "end" in o)
    return {
      file: o["file"],
      start: (o["start"] as number) + delta,
      end: (o["end"] as number) + delta,
    };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = shift(o[k], delta);
  return out;
}

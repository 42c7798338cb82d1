// The resolve stage: loads a file and everything it imports (the standard library and relative
// files), builds each module's scope, and reports missing files, import cycles, unknown or
// duplicate names. File access goes through a `ModuleHost` so this stage stays pure.
import { posix } from "node:path";
import { SourceFile, type Span } from "../source/source-file.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Declaration, SourceAst, StringValue } from "../syntax/ast.js";
import { parseSource, type ParseResult } from "../syntax/parse.js";
import { STD_MODULES } from "../components/registry.js";
import { checkReferences } from "./references.js";
import { pathProblem } from "./path-problem.js";

export type ReadResult =
  | { ok: true; text: string }
  /** `what` words the reason when it says more than the default (`is a character device, ...`). */
  | {
      ok: false;
      reason: "missing" | "unreadable" | "directory" | "not-a-file";
      what?: string;
    }
  /** `text` is decoded with replacement characters, for showing where the bad byte is. */
  | { ok: false; reason: "not-utf8"; offset: number; text: string; charOffset: number };

/** Everything the resolver needs from the outside world; the CLI implements it over the file system. */
export interface ModuleHost {
  read(path: string): ReadResult;
  /** The path of `stdlib/<name>.mm` for `std/<name>`. */
  stdlibFile(module: string): string;
  /**
   * Parses a file that was read; absent, `parseSource` is used. The language server keeps the
   * parses of files that did not change between checks (imports, the standard library).
   */
  parse?(source: SourceFile): ParseResult;
  /**
   * The ids a `bpe("...")` tokenizer file gives, for the checker to compare with `llm.vocab`;
   * undefined when the file cannot be read or is not a tokenizer.json (the run reports why).
   * Absent (a host without files), the check is skipped.
   */
  tokenizerIds?(path: string): TokenizerIdsInfo | undefined;
}

/** What the checker needs of a tokenizer.json (the runtime's `countTokenizerIds`). */
export interface TokenizerIdsInfo {
  /** Ids the tokenizer produces, special tokens mmc appends included. */
  readonly ids: number;
  /** The file's own ids (its largest plus one). */
  readonly inFile: number;
  /** The special tokens the file lacks (`bos`, `eos`, `pad`, `image`), appended after them. */
  readonly appended: readonly string[];
}

/** `unresolved`: an import that failed (already reported); uses of it are not reported again. */
export type SymbolKind = "kind" | "preset" | "model" | "data" | "train" | "sweep" | "unresolved";

export interface Sym {
  readonly name: string;
  readonly kind: SymbolKind;
  /** The module (file path or `std/...`) that declares it. */
  readonly module: string;
  /** The declaration, for everything but built-in component kinds. */
  readonly decl?: Declaration;
}

export interface Module {
  readonly path: string;
  /** `std/encoders` for standard-library modules, else the path. */
  readonly name: string;
  readonly source: SourceFile;
  readonly ast: SourceAst;
  /** Declarations of this module, by name (what it exports). */
  readonly declared: Map<string, Sym>;
  /** Names visible in this module: its declarations and its imports. */
  readonly scope: Map<string, Sym>;
}

export interface Program {
  readonly entry: Module;
  readonly modules: ReadonlyMap<string, Module>;
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export interface ResolveResult {
  readonly program?: Program;
  readonly diagnostics: Diagnostic[];
  /** Every file read, also when the entry itself could not be parsed into a program. */
  readonly sources: ReadonlyMap<string, SourceFile>;
}

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  readonly modules = new Map<string, Module>();
  readonly sources = new Map<string, SourceFile>();
  private readonly loading: string[] = [];

  constructor(private readonly host: ModuleHost) {}

  /** Loads, parses and resolves one module (memoised); undefined if it cannot be read. */
  load(path: string, name: string, importedAt?: StringValue): Module | undefined {
    const existing = this.modules.get(path);
    if (existing) return existing;
    const read = this.host.read(path);
    if (!read.ok) {
      this.reportUnreadable(path, read, importedAt);
      return undefined;
    }
    const source = new SourceFile(path, read.text);
    this.sources.set(path, source);
    const parsed = this.host.parse ? this.host.parse(source) : parseSource(source);
    // A loop, not push(...list): a spread of a huge list overflows the stack.
    for (const d of parsed.diagnostics) this.diagnostics.push(d);
    const module: Module = {
      path,
      name,
      source,
      ast: parsed.ast,
      declared: new Map(),
      scope: new Map(),
    };
    this.modules.set(path, module);
    this.loading.push(path);
    this.declare(module);
    this.importAll(module);
    this.loading.pop();
    return module;
  }

  private reportUnreadable(
    path: string,
    read: Exclude<ReadResult, { ok: true }>,
    at?: StringValue,
  ): void {
    if (read.reason === "not-utf8") {
      const source = new SourceFile(path, read.text);
      this.sources.set(path, source);
      this.diagnostics.push(
        diagnostic({
          code: "MM1006",
          message: `\`${path}\` is not valid UTF-8 (bad byte at offset ${read.offset})`,
          span: source.span(read.charOffset, read.charOffset + 1),
          label: "this byte is not UTF-8",
          ...(at ? { secondary: [{ span: at.span, message: "imported here" }] } : {}),
          help: "save the file as UTF-8; `.mm` files are UTF-8 text",
        }),
      );
      return;
    }
    const what =
      read.what ??
      (read.reason === "directory"
        ? "is a directory, not a file"
        : read.reason === "missing"
          ? "does not exist"
          : read.reason === "not-a-file"
            ? "is not a regular file"
            : "cannot be read");
    if (!at) throw new MissingEntryError(path, what);
    this.diagnostics.push(
      diagnostic({
        code: "MM2004",
        message: `imported file \`${at.value}\` ${what}`,
        span: at.span,
        label: `resolves to \`${path}\``,
        help:
          read.reason === "missing"
            ? at.value.startsWith("/")
              ? "check the path: an absolute import names the file from the root folder"
              : "check the path: relative imports start with `./` or `../` and are relative to the importing file"
            : "import a `.mm` file",
      }),
    );
  }

  private declare(module: Module): void {
    for (const decl of module.ast.declarations) {
      if (decl.kind === "import") continue;
      const kind: SymbolKind = decl.kind;
      this.bind(
        module,
        { name: decl.name.text, kind, module: module.name, decl },
        decl.name.span,
        true,
      );
    }
  }

  private bind(module: Module, sym: Sym, span: Span, isDeclaration: boolean): void {
    const previous = module.scope.get(sym.name);
    if (previous) {
      const prevSpan = bindingSpans.get(module)?.get(sym.name);
      const same = previous.module === sym.module && previous.name === sym.name && !isDeclaration;
      this.diagnostics.push(
        diagnostic({
          code: "MM2002",
          message: same
            ? `\`${sym.name}\` is imported twice`
            : `\`${sym.name}\` is declared more than once`,
          span,
          label: same ? "imported again here" : "declared again here",
          ...(prevSpan ? { secondary: [{ span: prevSpan, message: "first declared here" }] } : {}),
          help: same
            ? "remove the second import"
            : `rename one of them; names must be unique in a file`,
        }),
      );
      return;
    }
    module.scope.set(sym.name, sym);
    if (isDeclaration) module.declared.set(sym.name, sym);
    let spans = bindingSpans.get(module);
    if (!spans) bindingSpans.set(module, (spans = new Map()));
    spans.set(sym.name, span);
  }

  private importAll(module: Module): void {
    for (const decl of module.ast.declarations) {
      if (decl.kind !== "import") continue;
      const exports = this.exportsOf(module, decl.from);
      for (const n of decl.names) {
        const sym = exports?.get(n.text);
        if (!exports || !sym) {
          this.bind(
            module,
            { name: n.text, kind: "unresolved", module: decl.from.value },
            n.span,
            false,
          );
          if (!exports) continue;
          const hint = didYouMean(n.text, exports.keys());
          this.diagnostics.push(
            diagnostic({
              code: "MM2005",
              message: `\`${decl.from.value}\` has no export named \`${n.text}\``,
              span: n.span,
              label: "not found in that module",
              notes: [`\`${decl.from.value}\` exports ${listNames([...exports.keys()])}`],
              help: hint ?? `import one of the names it exports`,
            }),
          );
          continue;
        }
        this.bind(module, sym, n.span, false);
      }
    }
  }

  /** The exported names of an imported module, or undefined after reporting why not. */
  private exportsOf(importer: Module, spec: StringValue): Map<string, Sym> | undefined {
    if (spec.value.startsWith("std/")) {
      const kinds = STD_MODULES[spec.value];
      const file = this.host.stdlibFile(spec.value);
      // Read a std file's text once: later imports of the module find it loaded.
      const hasFile = this.modules.has(file) || this.host.read(file).ok;
      if (!kinds && !hasFile) {
        const hint = didYouMean(spec.value, [...Object.keys(STD_MODULES), ...STD_FILE_MODULES]);
        this.diagnostics.push(
          diagnostic({
            code: "MM2006",
            message: `there is no standard library module \`${spec.value}\``,
            span: spec.span,
            notes: [
              `the standard library has ${listNames([...new Set([...Object.keys(STD_MODULES), ...STD_FILE_MODULES])])}`,
            ],
            help: hint ?? "pick one of the modules listed above",
          }),
        );
        return undefined;
      }
      const out = new Map<string, Sym>();
      for (const k of kinds ?? []) out.set(k, { name: k, kind: "kind", module: spec.value });
      // A standard-library file imports its module's built-in kinds from itself.
      if (hasFile && file !== importer.path) {
        const m = this.loadChecked(file, spec.value, spec);
        if (m) for (const [k, v] of m.declared) out.set(k, v);
      }
      return out;
    }
    if (
      !spec.value.startsWith("./") &&
      !spec.value.startsWith("../") &&
      !spec.value.startsWith("/")
    ) {
      this.diagnostics.push(
        diagnostic({
          code: "MM2004",
          message: `cannot import \`${spec.value}\``,
          span: spec.span,
          label: "not a standard library module or a relative path",
          help: `write \`"./${spec.value}"\` for a file next to this one, or \`"std/..."\` for the standard library`,
        }),
      );
      return undefined;
    }
    const bad = pathProblem(spec, "the import path");
    if (bad) {
      this.diagnostics.push(bad);
      return undefined;
    }
    // An absolute import names the file itself; a relative one is relative to the importer.
    let target = posix.normalize(
      spec.value.startsWith("/")
        ? spec.value
        : posix.join(posix.dirname(importer.path), spec.value),
    );
    if (!target.endsWith(".mm")) target += ".mm";
    const m = this.loadChecked(target, target, spec);
    return m ? m.declared : undefined;
  }

  private loadChecked(path: string, name: string, spec: StringValue): Module | undefined {
    // Each import is loaded inside the one that names it: a chain of thousands of files would
    // run out of stack (exit 70). Real specs import a few files deep.
    if (this.loading.length >= MAX_IMPORT_DEPTH) {
      this.diagnostics.push(
        diagnostic({
          code: "MM2019",
          message: `imports are nested more than ${MAX_IMPORT_DEPTH} files deep`,
          span: spec.span,
          label: `file ${MAX_IMPORT_DEPTH + 1} of the chain`,
          notes: [`the chain starts at \`${this.loading[0] ?? ""}\``],
          help: "import the declarations from a file nearer the start of the chain",
        }),
      );
      return undefined;
    }
    const cycleStart = this.loading.indexOf(path);
    if (cycleStart !== -1) {
      const cycle = [...this.loading.slice(cycleStart), path].map((p) => `\`${p}\``).join(" -> ");
      this.diagnostics.push(
        diagnostic({
          code: "MM2003",
          message: `import cycle: ${cycle}`,
          span: spec.span,
          label: "this import closes the cycle",
          help: "move the shared declarations into a third file that both import",
        }),
      );
      return undefined;
    }
    return this.load(path, name, spec);
  }
}

/** How deep imports may nest (a file importing a file importing ...). */
export const MAX_IMPORT_DEPTH = 200;

/** Standard-library modules that exist only as `.mm` files (no built-in kinds). */
const STD_FILE_MODULES = ["std/mm1", "std/data"];

const bindingSpans = new WeakMap<Module, Map<string, Span>>();

function listNames(names: string[]): string {
  if (names.length === 0) return "nothing";
  const shown = names.slice(0, 12).map((n) => `\`${n}\``);
  return shown.join(", ") + (names.length > 12 ? `, and ${names.length - 12} more` : "");
}

/** Thrown when the file named on the command line cannot be read: a usage error, not a diagnostic. */
export class MissingEntryError extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path} ${what}`);
  }
}

export function resolveProgram(entryPath: string, host: ModuleHost): ResolveResult {
  const r = new Resolver(host);
  const entry = r.load(entryPath, entryPath);
  if (!entry) return { diagnostics: r.diagnostics, sources: r.sources };
  for (const m of r.modules.values()) for (const d of checkReferences(m)) r.diagnostics.push(d);
  return {
    program: { entry, modules: r.modules, sources: r.sources },
    diagnostics: r.diagnostics,
    sources: r.sources,
  };
}

// Go to definition, find references and rename, across the files a program loads (imports and
// `std/...`) and the other files of the workspace that import the declaring file. A symbol is
// identified by its declaring module and name, so the same declaration read by different entry
// files is one symbol.
import type { Module, Program, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import { KEYWORDS } from "../syntax/tokens.js";
import { BUILTIN_CALLEES, BUILTIN_WORDS } from "../resolve/builtins.js";
import { COMPONENT_KINDS, ENUM_WORDS } from "../components/registry.js";
import { locate } from "./locate.js";
import { isStdPath } from "./paths.js";
import { homeOf, lookup, resolvedImport, symKey } from "./semantics.js";
import { walkDeclarations } from "./walk.js";

/** The symbol named at an offset, with the span of the name. */
export function symbolAt(module: Module, offset: number): { sym: Sym; span: Span } | undefined {
  const hit = locate(module.ast, offset);
  if (hit?.t === "decl-name") {
    const sym = module.declared.get(hit.name.text);
    return sym && sym.decl === hit.decl ? { sym, span: hit.name.span } : undefined;
  }
  if (hit?.t === "ref") {
    const sym = lookup(module, hit.name);
    return sym ? { sym, span: hit.name.span } : undefined;
  }
  return undefined;
}

/** Where a symbol is declared: its name in its file; a built-in kind's line in its std file. */
export function definitionOf(
  program: Program,
  sym: Sym,
  stdlibFile: (module: string) => string,
): Span | undefined {
  if (sym.kind === "kind") {
    const file = stdlibFile(sym.module);
    const m = program.modules.get(file);
    for (const d of m?.ast.declarations ?? []) {
      if (d.kind !== "import") continue;
      const n = d.names.find((x) => x.text === sym.name);
      if (n) return n.span;
    }
    return m ? { file, start: 0, end: 0 } : undefined;
  }
  const home = homeOf(program, sym);
  if (!home || !sym.decl || sym.decl.kind === "import") return undefined;
  return sym.decl.name.span;
}

/** The module an `import ... from "X"` under the cursor loads. */
export function importTarget(
  program: Program,
  module: Module,
  offset: number,
  stdlibFile: (m: string) => string,
): Module | undefined {
  const hit = locate(module.ast, offset);
  if (hit?.t !== "import-from") return undefined;
  const spec = hit.decl.from.value;
  const path = spec.startsWith("std/") ? stdlibFile(spec) : resolvedImport(module, spec);
  return program.modules.get(path);
}

/** Every place in `modules` that names the symbol `key` (declaration first when included). */
export function referencesIn(
  modules: Iterable<Module>,
  key: string,
  includeDeclaration: boolean,
): Span[] {
  const out: Span[] = [];
  const seen = new Set<string>();
  const add = (s: Span) => {
    const k = `${s.file}:${s.start}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(s);
    }
  };
  for (const m of modules) {
    walkDeclarations(m.ast.declarations, {
      decl(d) {
        if (!includeDeclaration || d.kind === "import") return;
        const sym = m.declared.get(d.name.text);
        if (sym && sym.decl === d && symKey(sym) === key) add(d.name.span);
      },
      ref(name) {
        const sym = lookup(m, name);
        if (sym && symKey(sym) === key) add(name.span);
      },
    });
  }
  return out;
}

export class RenameRefused extends Error {}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a symbol cannot be renamed at all, or undefined. */
export function renameProblem(program: Program, sym: Sym): string | undefined {
  if (sym.kind === "kind")
    return `\`${sym.name}\` is a built-in component kind; it cannot be renamed`;
  const home = homeOf(program, sym);
  if (!home || sym.module.startsWith("std/") || isStdPath(home.path))
    return `\`${sym.name}\` is declared in the standard library (\`${home?.path ?? sym.module}\`); it cannot be renamed`;
  return undefined;
}

/** Checks a new name against the language and every scope the symbol is visible in. */
export function checkNewName(newName: string, modules: Iterable<Module>, key: string): void {
  if (!IDENTIFIER.test(newName))
    throw new RenameRefused(
      `\`${newName}\` is not a name: names are letters, digits and \`_\`, not starting with a digit`,
    );
  if ((KEYWORDS as readonly string[]).includes(newName))
    throw new RenameRefused(`\`${newName}\` is a keyword`);
  if (
    BUILTIN_CALLEES.has(newName) ||
    BUILTIN_WORDS.has(newName) ||
    ENUM_WORDS.has(newName) ||
    newName in COMPONENT_KINDS
  )
    throw new RenameRefused(`\`${newName}\` is a built-in name of the language; pick another`);
  for (const m of modules) {
    const visible = [...m.scope.values()].some((s) => symKey(s) === key);
    if (!visible) continue;
    const other = m.scope.get(newName);
    if (other && symKey(other) !== key)
      throw new RenameRefused(
        `\`${newName}\` is already ${m.declared.has(newName) ? "declared" : "imported"} in \`${m.path}\`; renaming would clash with it`,
      );
  }
}

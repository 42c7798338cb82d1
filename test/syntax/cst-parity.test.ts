// Differential test of the parser: mmc's parser builds the AST as it reads (src/syntax/parser.ts);
// the reference is its predecessor, the same grammar as a chevrotain CST parser whose tree a
// walker turns into the AST (test/syntax/reference/). On every spec in the repository and on
// thousands of mangled ones (where error recovery cuts rules short), both give the same
// declarations with the same spans, the same literal diagnostics, the same syntax errors at the
// same tokens and the same stray tokens.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Lexer, type IToken } from "chevrotain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { sortDiagnostics, type Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { SourceFile } from "../../src/source/source-file.js";
import { AstParts } from "../../src/syntax/ast-parts.js";
import { getLexer } from "../../src/syntax/parse.js";
import { parseTokens } from "../../src/syntax/parser.js";
import { ALL_TOKENS } from "../../src/syntax/tokens.js";
import { mutation, seedArb } from "./mangle-arbs.js";
import { parseTokensCst } from "./reference/cst-parser.js";
import { AstBuilder } from "./reference/cst-to-ast.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** The reference's lexer: full positions, which its CST node locations are made from. */
const fullLexer = new Lexer(ALL_TOKENS, { positionTracking: "full", skipValidations: true });

function docs(groups: Record<string, IToken[]>): IToken[] {
  return groups["docs"] ?? [];
}

const diag = (ds: readonly Diagnostic[]) =>
  sortDiagnostics(ds).map((d) => ({ code: d.code, message: d.message, labels: d.labels }));

function viaParser(text: string) {
  const source = new SourceFile("p.mm", text);
  const lexed = getLexer().tokenize(text);
  const r = parseTokens(lexed.tokens, new AstParts(source, docs(lexed.groups)));
  return {
    declarations: r.declarations,
    diagnostics: diag(r.diagnostics),
    errors: r.errors.map((e) => [e.name, e.message, e.token.startOffset, e.token.image]),
    strays: r.strays.map((t) => t.startOffset),
  };
}

function viaCst(text: string) {
  const source = new SourceFile("p.mm", text);
  const lexed = fullLexer.tokenize(text);
  const { cst, errors } = parseTokensCst(lexed.tokens);
  const builder = new AstBuilder(new AstParts(source, docs(lexed.groups)));
  const ast = builder.file(cst);
  const strays = (cst.children["Stray"] ?? []) as IToken[];
  return {
    declarations: ast.declarations,
    diagnostics: diag(builder.diagnostics),
    errors: errors.map((e) => [e.name, e.message, e.token.startOffset, e.token.image]),
    strays: strays.map((t) => t.startOffset),
  };
}

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === "node_modules" ? [] : specFiles(p);
    return f.endsWith(".mm") ? [p] : [];
  });
}

describe("the parser builds what the CST parser and its walker built", () => {
  test("on every spec in the repository", () => {
    const files = ["examples", "stdlib", "test"].flatMap((d) => specFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(150);
    let withErrors = 0;
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const mine = viaParser(text);
      expect(mine, f).toEqual(viaCst(text));
      if (mine.errors.length > 0) withErrors++;
    }
    // The golden cases include syntax errors: recovery is exercised, not only clean parses.
    expect(withErrors).toBeGreaterThan(2);
  });

  test("on mangled specs, where error recovery cuts rules short", () => {
    let recovered = 0;
    fc.assert(
      fc.property(seedArb, fc.array(mutation, { minLength: 1, maxLength: 5 }), (seed, muts) => {
        const text = muts.reduce((s, m) => m(s), seed);
        const mine = viaParser(text);
        expect(mine).toEqual(viaCst(text));
        if (mine.errors.length > 0) recovered++;
      }),
      { numRuns: 1500 },
    );
    expect(recovered).toBeGreaterThan(500);
  });

  test("on arbitrary short strings of the language's tokens", () => {
    const piece = fc.constantFrom(
      "model",
      "data",
      "train",
      "sweep",
      "encoder",
      "import",
      "from",
      "budget",
      "vary",
      "M",
      "x",
      "{",
      "}",
      "[",
      "]",
      "(",
      ")",
      ":",
      ",",
      ".",
      "=",
      "<=",
      "==",
      "-",
      "1",
      "45%",
      "1:2",
      '"s"',
      '"\\q"',
      "true",
      "connector",
      "llm",
      "12Q",
      "/// doc\n",
      "\n",
      " ",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join(" ");
        expect(viaParser(text)).toEqual(viaCst(text));
      }),
      { numRuns: 3000 },
    );
  });
});

// The TypeScript escapers, each checked by the TypeScript parser: a string literal parses (and
// evaluates) back to exactly its text, and no comment can be closed or cut short from inside.
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Project, VariableDeclarationKind } from "ts-morph";
import { describe, expect, test } from "vitest";
import {
  relativeUrl,
  tsDocText,
  tsIdentifier,
  tsKey,
  tsLineComment,
  tsString,
} from "../../src/codegen/escape.js";
import { decodeComment, hostile, UNSAFE_RAW } from "./hostile-strings.js";

function parse(text: string): ts.SourceFile {
  return ts.createSourceFile("x.ts", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** Syntax errors of a module, from the compiler's own transpiler. */
function syntaxErrors(text: string): string[] {
  const r = ts.transpileModule(text, {
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  return (r.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

/** Every comment in a text, as the scanner sees it. */
function comments(text: string): string[] {
  const scanner = ts.createScanner(
    ts.ScriptTarget.ES2022,
    false,
    ts.LanguageVariant.Standard,
    text,
  );
  const out: string[] = [];
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan())
    if (k === ts.SyntaxKind.SingleLineCommentTrivia || k === ts.SyntaxKind.MultiLineCommentTrivia)
      out.push(scanner.getTokenText());
  return out;
}

const runs = { numRuns: 200 };

describe("tsString", () => {
  test("parses and evaluates back to exactly the string, as one statement", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const lit = tsString(s);
        const file = parse(`const x = ${lit};\nconst y = 1;\n`);
        expect(syntaxErrors(file.text)).toEqual([]);
        expect(file.statements).toHaveLength(2);
        const init = (file.statements[0] as ts.VariableStatement).declarationList.declarations[0]!
          .initializer!;
        expect(ts.isStringLiteral(init)).toBe(true);
        expect((init as ts.StringLiteral).text).toBe(s);
        expect(new Function(`return ${lit};`)()).toBe(s);
        expect(lit).not.toMatch(UNSAFE_RAW);
        expect(lit).not.toMatch(/[\n\r]/);
      }),
      runs,
    );
  });

  test("survives ts-morph's code writer, which misreads a quote after a backslash", () => {
    // The writer tracks strings and comments itself; a literal that fooled it made it add a
    // comment closer after the statement (seen with a data root of `*\`).
    const project = new Project({ useInMemoryFileSystem: true });
    const check = (s: string): void => {
      const f = project.createSourceFile("x.ts", "", { overwrite: true });
      f.addVariableStatements([
        {
          declarationKind: VariableDeclarationKind.Const,
          declarations: [{ name: "x", initializer: `{ a: [${tsString(s)}, ${tsString(s)}] }` }],
        },
        {
          declarationKind: VariableDeclarationKind.Const,
          declarations: [{ name: "y", initializer: "1" }],
          docs: ["after"],
        },
      ]);
      const text = f.getFullText();
      expect(syntaxErrors(text), JSON.stringify(s)).toEqual([]);
      expect(parse(text).statements).toHaveLength(2);
    };
    for (const s of ["*\\", "/*\\", "a\\", "\\\\", "x/*y\\"]) check(s);
    fc.assert(fc.property(hostile, check), { numRuns: 100 });
  });

  test("ordinary strings read as JSON writes them", () => {
    expect(tsString("data/synth/caption-{0000..0003}.tar")).toBe(
      '"data/synth/caption-{0000..0003}.tar"',
    );
    expect(tsString('a"b\\c\n')).toBe('"a\\"b\\x5Cc\\n"');
    expect(tsString("\0" + "1")).toBe('"\\u00001"');
    expect(tsString("\u2028\ud800😀")).toBe('"\\u2028\\uD800😀"');
  });
});

describe("tsLineComment", () => {
  test("stays one comment on one line and decodes back to the text", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const c = tsLineComment(s);
        const text = `const a = 1;\n${c}\nconst b = 2;\n`;
        expect(syntaxErrors(text)).toEqual([]);
        expect(parse(text).statements).toHaveLength(2);
        expect(comments(text)).toEqual([c]);
        expect(c).not.toMatch(UNSAFE_RAW);
        expect(c).not.toMatch(/[\n\r]/);
        expect(decodeComment(c.slice(3))).toBe(s);
      }),
      runs,
    );
  });
});

describe("tsDocText", () => {
  test("can never close the block, keeps its lines, and decodes back to the text", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const body = tsDocText(s);
        expect(body).not.toContain("*/");
        const block = `/**\n${body
          .split("\n")
          .map((l) => ` * ${l}`)
          .join("\n")}\n */`;
        const text = `${block}\nconst a = 1;\n`;
        expect(syntaxErrors(text)).toEqual([]);
        expect(parse(text).statements).toHaveLength(1);
        expect(comments(text)).toEqual([block]);
        expect(body).not.toMatch(UNSAFE_RAW);
        expect(body).not.toMatch(/\r/);
        expect(decodeComment(body)).toBe(s);
      }),
      runs,
    );
  });

  test("a closer written at a seam is broken too", () => {
    expect(tsDocText("ok */ x")).toBe("ok *\\/ x");
    expect(tsDocText("**//")).toBe("**\\//");
    expect(decodeComment(tsDocText("a\\*/"))).toBe("a\\*/");
  });
});

describe("identifiers and keys", () => {
  test("identifiers are checked, reserved words renamed", () => {
    expect(tsIdentifier("Tiny")).toBe("Tiny");
    expect(tsIdentifier("default")).toBe("default_");
    expect(tsIdentifier("eval")).toBe("eval_");
    expect(() => tsIdentifier("a b")).toThrow(/not an identifier/);
    expect(() => tsIdentifier("x*/")).toThrow(/not an identifier/);
    expect(() => tsIdentifier("")).toThrow(/not an identifier/);
  });

  test("a key that is not an identifier becomes a string literal", () => {
    fc.assert(
      fc.property(hostile, (k) => {
        const file = parse(`const o = { ${tsKey(k)}: 1 };`);
        expect(syntaxErrors(file.text)).toEqual([]);
        const o = new Function(`return { ${tsKey(k)}: 1 };`)() as Record<string, number>;
        expect(Object.keys(o)).toEqual([k]);
      }),
      runs,
    );
  });
});

describe("relativeUrl", () => {
  test("resolves to the folder it names, whatever the folder is called", () => {
    const name = hostile.map((s) =>
      // A folder name: no `/`, no NUL, no lone surrogate (file names reach Node as UTF-8).
      s.replace(/[/\0]|\p{Cs}/gu, "").replace(/^\.{0,2}$/, "x"),
    );
    fc.assert(
      fc.property(name, name, (a, b) => {
        const rel = `../${a}/${b}`;
        const url = new URL(`${relativeUrl(rel)}/`, "file:///base/out/x.js");
        expect(fileURLToPath(url)).toBe(`/base/${a}/${b}/`);
        expect(url.search).toBe("");
        expect(url.hash).toBe("");
      }),
      runs,
    );
  });
});

// The Python escapers (for a PyTorch target): one generated module holding every random string as
// a string literal, a comment and a docstring, read back by Python's own parser and tokenizer in
// one call; and, where no Python is installed, by a small independent decoder.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { pyComment, pyDocstring, pyIdentifier, pyString } from "../../src/codegen/escape-python.js";
import { decodeComment, FRAGMENTS, hostile, UNSAFE_RAW } from "./hostile-strings.js";

const PYTHON = "/usr/bin/python3";
const samples = [
  ...FRAGMENTS,
  FRAGMENTS.join(""),
  ...fc.sample(hostile, { numRuns: 400, seed: 9 }),
];

/** Decodes a Python literal written by pyString or pyDocstring (escapes they use, and no others). */
function decodePy(lit: string): string {
  const triple = lit.startsWith('"""');
  const q = triple ? 3 : 1;
  const body = lit.slice(q, -q);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"' && !triple) throw new Error("raw quote in a string literal");
    if (c === '"' && (body[i + 1] === '"' || i === 0 || i === body.length - 1))
      throw new Error("raw quote touching a quote or an end");
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = body[i + 1] ?? "";
    const simple: Record<string, string> = { "\\": "\\", '"': '"', n: "\n", r: "\r", t: "\t" };
    const width = { x: 2, u: 4, U: 8 }[next];
    if (simple[next] !== undefined) {
      out += simple[next];
      i++;
    } else if (width !== undefined) {
      const hex = body.slice(i + 2, i + 2 + width);
      if (!/^[0-9a-f]+$/.test(hex) || hex.length !== width) throw new Error(`bad \\${next}`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + width;
    } else throw new Error(`unexpected escape \\${next}`);
  }
  return out;
}

describe("Python escapers", () => {
  test("decode back to the text and hold no raw line break or control (independent decoder)", () => {
    for (const s of samples) {
      const lit = pyString(s);
      expect(decodePy(lit)).toBe(s);
      expect(lit).not.toMatch(UNSAFE_RAW);
      expect(lit).not.toMatch(/[\n\r]/);
      const doc = pyDocstring(s);
      expect(decodePy(doc)).toBe(s);
      expect(doc).not.toMatch(UNSAFE_RAW);
      expect(doc.slice(3, -3)).not.toContain('"""');
      const c = pyComment(s);
      expect(c).not.toMatch(UNSAFE_RAW);
      expect(c).not.toMatch(/[\n\r]/);
      expect(decodeComment(c.slice(2))).toBe(s);
    }
  });

  test("identifiers are checked, keywords renamed", () => {
    expect(pyIdentifier("tiny")).toBe("tiny");
    expect(pyIdentifier("lambda")).toBe("lambda_");
    expect(pyIdentifier("None")).toBe("None_");
    expect(() => pyIdentifier("x-y")).toThrow(/not an identifier/);
    expect(() => pyIdentifier('x"')).toThrow(/not an identifier/);
  });

  test.skipIf(!existsSync(PYTHON))("Python parses the module as written, values exact", () => {
    const lines: string[] = [];
    samples.forEach((s, i) => {
      lines.push(`${pyIdentifier(`s${i}`)} = ${pyString(s)}`, pyComment(s));
      lines.push(`def ${pyIdentifier(`d${i}`)}():`, `    ${pyDocstring(s)}`, "    return 0");
    });
    const dir = mkdtempSync(join(tmpdir(), "mmc-py-"));
    const file = join(dir, "module.py");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const reader = [
      "import ast, io, json, sys, tokenize",
      "src = open(sys.argv[1], encoding='utf-8').read()",
      "tree = ast.parse(src)",
      "out = {'stmts': [], 'strings': [], 'docs': [], 'comments': []}",
      "for n in tree.body:",
      "    if isinstance(n, ast.Assign):",
      "        out['stmts'].append('assign ' + n.targets[0].id)",
      "        out['strings'].append(n.value.value)",
      "    elif isinstance(n, ast.FunctionDef):",
      "        out['stmts'].append('def ' + n.name + ' ' + str(len(n.body)))",
      "        out['docs'].append(ast.get_docstring(n, clean=False))",
      "    else:",
      "        out['stmts'].append(type(n).__name__)",
      "for t in tokenize.generate_tokens(io.StringIO(src).readline):",
      "    if t.type == tokenize.COMMENT: out['comments'].append(t.string)",
      "print(json.dumps(out, ensure_ascii=True))",
    ].join("\n");
    const out = JSON.parse(
      execFileSync(PYTHON, ["-c", reader, file], { encoding: "utf8", maxBuffer: 1 << 26 }),
    ) as { stmts: string[]; strings: string[]; docs: string[]; comments: string[] };
    expect(out.stmts).toEqual(samples.flatMap((_, i) => [`assign s${i}`, `def d${i} 2`]));
    expect(out.strings).toEqual(samples);
    expect(out.docs).toEqual(samples);
    expect(out.comments.map((c) => decodeComment(c.slice(2)))).toEqual(samples);
  });
});

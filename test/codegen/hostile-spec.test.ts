// Property test: random hostile text in every user-text position of a spec (doc comments on every
// declaration kind, string fields, data paths, `field:`, the checkpoint folder, an imported file,
// and the spec's own file and folder names) never changes the generated program: its syntax tree
// is node for node that of a clean compile, and the text round-trips.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generate } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import { composeModel } from "../../src/components/model.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { safetensorsBytes, writeFixture } from "../init/hf-fixtures.js";
import { decodeComment, hostile, UNSAFE_RAW } from "./hostile-strings.js";
import { mmDoc, mmString, readDoc } from "./mm-text.js";

interface Texts {
  /** Doc comments, one per declaration (only models' reach generated code today). */
  docs: Record<string, string>;
  field: string;
  /** Path tails: each sits under a fixed folder, so it stays inside the spec's folder. */
  paths: Record<
    "caption" | "text" | "heldout" | "synthesize" | "tokenizer" | "checkpoint" | "root" | "init",
    string
  >;
  /** The spec's folder, file and imported file are named `d<name>`, `f<name>.mm`, `l<name>.mm`. */
  name: string;
}

const DOCS = [
  "enc",
  "conn",
  "llm",
  "model",
  "variant",
  "data",
  "train",
  "train2",
  "sweep",
  "libLlm",
  "libModel",
];

/** The parameters of the imported file's `LibLM`, named as mmc's checkpoints name them. */
const LIB_WEIGHTS = (() => {
  const r = composeModel({
    llm: { kind: "Decoder", config: { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } },
  });
  if (!r.ok) throw new Error("LibLM does not compose");
  return safetensorsBytes(
    r.manifest.map((w) => ({ name: `param.${w.name}`, shape: w.shape })),
    1,
  );
})();

function specText(t: Texts): { main: string; lib: string } {
  const d = (k: string): string => mmDoc(t.docs[k] ?? "");
  const p = t.paths;
  const main = `import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"
import { LibModel } from ${mmString(`./l${t.name}.mm`)}

${d("enc")}encoder Enc = ViT { patch: 8, width: 32, depth: 1, heads: 2 }
${d("conn")}connector Conn = AvgPool { tokens: 4 }
${d("llm")}llm Lm = Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 }
${d("model")}model M { image: Image[3, 32, 32]
  vision: Enc
  connector: Conn
  llm: Lm }
${d("variant")}model V = M { connector.tokens: 16 }
${d("data")}data D {
  caption: 50% webdataset(${mmString(`caption/${p.caption}.tar`)})
  text: 50% jsonl(${mmString(`text/${p.text}.jsonl`)}, field: ${mmString(t.field)})
  heldout: webdataset(${mmString(`heldout/${p.heldout}.tar`)})
  synthesize: ${mmString(`synth/${p.synthesize}`)}
  tokenizer: bpe(${mmString(`tok/${p.tokenizer}.json`)})
  roots: [${mmString(`extra/${p.root}`)}, ${mmString(`/abs/${p.root}`)}]
  resize: bicubic, fit: pad
}
${d("train")}train t {
  model: M, data: D, steps: 2, batch: 1, sequence: 32
  checkpoint: { every: 1, dir: ${mmString(`runs/${p.checkpoint}`)} }
}
${d("train2")}train t2 = t { model: LibModel }
${d("sweep")}sweep s {
  base: t { steps: 1 }
  vary model.connector: [AvgPool { tokens: 4 }, AvgPool { tokens: 16 }]
  report: [loss]
}
`;
  const lib = `import { Decoder } from "std/llm"
${d("libLlm")}llm LibLM = Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 }
${d("libModel")}model LibModel {
  init: safetensors(${mmString(`weights/${t.paths.init}.safetensors`)})
  llm: LibLM
}
`;
  return { main, lib };
}

interface Compiled {
  folder: string;
  spec: string;
  lib: string;
  files: Map<string, string>;
}

let root: string;
let counter = 0;
const cwd = process.cwd();

/** Writes the spec under `root` and compiles it in-process, from `root` (paths are relative). */
async function compile(t: Texts): Promise<Compiled> {
  const caseDir = join(root, `case-${counter++}`);
  const folder = join(caseDir, `d${t.name}`);
  mkdirSync(folder, { recursive: true });
  const { main, lib } = specText(t);
  writeFileSync(join(folder, `f${t.name}.mm`), main);
  writeFileSync(join(folder, `l${t.name}.mm`), lib);
  // LibModel's `init`: every parameter of LibLM in mmc's layout (the checker reads its header)
  writeFixture(join(folder, `weights/${t.paths.init}.safetensors`), LIB_WEIGHTS);
  process.chdir(caseDir);
  try {
    const spec = `d${t.name}/f${t.name}.mm`;
    const result = checkSpec(spec);
    expect(hasErrors(result.diagnostics), JSON.stringify(result.diagnostics)).toBe(false);
    const generated = await generate(result.checked!, result.sources, spec, "out");
    return {
      folder,
      spec,
      lib: `d${t.name}/l${t.name}.mm`,
      files: new Map(generated.map((g) => [g.name, g.text])),
    };
  } finally {
    process.chdir(cwd);
  }
}

function syntaxErrors(text: string): string[] {
  const r = ts.transpileModule(text, {
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  return (r.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

function parse(name: string, text: string): ts.SourceFile {
  return ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** Every node's kind in order, with identifiers and numbers spelled out; strings left out. */
function shape(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    let s = ts.SyntaxKind[n.kind]!;
    if (ts.isIdentifier(n) || ts.isNumericLiteral(n)) s += ` ${n.text}`;
    out.push(s);
    n.forEachChild(visit);
  };
  visit(sf);
  return out;
}

/** The top-level statements: kind and the names they declare or import. */
function statements(sf: ts.SourceFile): string[] {
  return sf.statements.map((s) => {
    const kind = ts.SyntaxKind[s.kind]!;
    if (ts.isVariableStatement(s))
      return `${kind} ${s.declarationList.declarations.map((d) => d.name.getText()).join(",")}`;
    if (ts.isFunctionDeclaration(s)) return `${kind} ${s.name?.text}`;
    if (ts.isImportDeclaration(s)) return `${kind} ${s.getText()}`;
    return kind;
  });
}

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

/** A comment's text with its markers off and escapes decoded. */
function commentText(c: string): string {
  if (c.startsWith("//")) return decodeComment(c.replace(/^\/\/ ?/, ""));
  const inner = c.slice(3, -2);
  if (!inner.includes("\n")) return decodeComment(inner.trim());
  const lines = inner.split("\n").slice(1, -1);
  return decodeComment(lines.map((l) => l.replace(/^\s*\* ?/, "")).join("\n"));
}

/** Prettier drops white space at the end of a comment's lines; compare without it. */
function trimLineEnds(s: string): string {
  return s.replace(/[ \t]+(?=\n|$)/g, "");
}

/** String literal values by the property they initialise, and `join(SPEC_DIR, "...")` tails. */
function stringsByProperty(sf: ts.SourceFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (k: string, v: string): void => void out.set(k, [...(out.get(k) ?? []), v]);
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name)) {
      const v = n.initializer;
      if (ts.isStringLiteral(v)) add(n.name.text, v.text);
      if (ts.isArrayLiteralExpression(v))
        for (const e of v.elements) if (ts.isStringLiteral(e)) add(n.name.text, e.text);
      if (ts.isCallExpression(v) && v.expression.getText() === "join") {
        const [base, tail] = v.arguments;
        if (base?.getText() === "SPEC_DIR" && tail && ts.isStringLiteral(tail))
          add(`join ${n.name.text}`, tail.text);
      }
    }
    n.forEachChild(visit);
  };
  visit(sf);
  return out;
}

/** The `new URL("...", import.meta.url)` of `SPEC_DIR`, as the generated code would resolve it. */
function specDir(data: ts.SourceFile, dataFile: string): string {
  let lit: string | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isNewExpression(n) && n.expression.getText() === "URL") {
      const a = n.arguments?.[0];
      if (a && ts.isStringLiteral(a)) lit = a.text;
    }
    n.forEachChild(visit);
  };
  visit(data);
  return fileURLToPath(new URL(lit!, pathToFileURL(dataFile)));
}

const clean: Texts = {
  docs: Object.fromEntries(DOCS.map((k) => [k, "x"])),
  field: "x",
  paths: {
    caption: "x",
    text: "x",
    heldout: "x",
    synthesize: "x",
    tokenizer: "x",
    checkpoint: "x",
    root: "x",
    init: "x",
  },
  name: "x",
};

/** C0 and C1 controls: a path in a spec may not hold them (MM2017, its own golden cases). */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Direction controls: raw in a comment they are an error (MM1007, its own golden cases). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A file or folder name: no `/`, NUL or lone surrogate (the OS cannot hold them), 120 bytes, and
 * no control character (the imported file's path holds the names).
 */
const fileName = hostile.map((s) => {
  let n = s.replace(/[/\0]|\p{Cs}/gu, "").replace(CONTROLS, "");
  while (Buffer.byteLength(n) > 120) n = [...n].slice(0, -1).join("");
  return n;
});
/** A path tail: as hostile, but no `.` (so no `..` climbs out of the spec's folder). */
const pathTail = hostile.map((s) => s.replace(/\./g, "").replace(CONTROLS, ""));

/** A doc comment: raw text of a UTF-8 file, so a lone surrogate is U+FFFD (strings escape it). */
const docText = hostile.map((s) => s.replace(/\p{Cs}/gu, "\ufffd").replace(BIDI, ""));

const texts: fc.Arbitrary<Texts> = fc.record({
  docs: fc.record(Object.fromEntries(DOCS.map((k) => [k, docText]))),
  field: hostile,
  paths: fc.record({
    caption: pathTail,
    text: pathTail,
    heldout: pathTail,
    synthesize: pathTail,
    tokenizer: pathTail,
    checkpoint: pathTail,
    root: pathTail,
    init: pathTail,
  }),
  name: fileName,
});

/**
 * Cases found before (a name ending in white space then a line break, now white space then a
 * line separator: a line break in a path is MM2017) and the issue's attack.
 */
const known: Texts = {
  docs: Object.fromEntries(
    DOCS.map((k) => [
      k,
      'x */ const pwn = (await import("node:child_process")).execSync("touch pwned"); /*',
    ]),
  ),
  field: '"; pwn(); "',
  paths: {
    caption: "a\\b",
    text: '"`${x}`',
    heldout: "\u2028",
    synthesize: "%2e%2e",
    tokenizer: "*/",
    checkpoint: "1\u2066",
    root: "#?",
    init: '*/ ${"`"}',
  },
  name: " \u2028",
};

let reference: Compiled;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "mmc-hostile-"));
  reference = await compile(clean);
});

afterAll(() => process.chdir(cwd));

describe("hostile text in every user-text position", () => {
  test("the clean spec compiles to the files the checks below expect", () => {
    expect([...reference.files.keys()].sort()).toEqual([
      "data.ts",
      "models.ts",
      "package.json",
      "train-t.ts",
      "train-t2.ts",
    ]);
    const models = comments(reference.files.get("models.ts")!).map(commentText);
    // The imported model reaches models.ts (as the model of `t2`) with its doc and its file.
    expect(models.some((c) => c.includes(`declared at ${reference.lib}:`))).toBe(true);
  });

  test("never changes the generated syntax tree, and round-trips", async () => {
    await fc.assert(
      fc.asyncProperty(texts, async (t) => {
        const got = await compile(t);
        expect([...got.files.keys()].sort()).toEqual([...reference.files.keys()].sort());
        for (const [name, text] of got.files) {
          expect(text, name).not.toMatch(UNSAFE_RAW);
          if (!name.endsWith(".ts")) continue;
          const want = reference.files.get(name)!;
          expect(syntaxErrors(text), name).toEqual([]);
          const sf = parse(name, text);
          const ref = parse(name, want);
          expect(statements(sf), name).toEqual(statements(ref));
          expect(shape(sf), name).toEqual(shape(ref));
          expect(comments(text).length, name).toBe(comments(want).length);
          // The header names the spec as given, in a comment.
          expect(commentText(comments(text)[0]!)).toContain(`from ${got.spec}: `);
        }

        const models = comments(got.files.get("models.ts")!).map((c) =>
          trimLineEnds(commentText(c)),
        );
        for (const k of ["model", "variant", "libModel"])
          expect(
            models.some((c) => c.includes(trimLineEnds(readDoc(t.docs[k]!)))),
            k,
          ).toBe(true);
        expect(models.some((c) => c.includes(trimLineEnds(`declared at ${got.spec}:`)))).toBe(true);
        expect(models.some((c) => c.includes(trimLineEnds(`declared at ${got.lib}:`)))).toBe(true);

        const dataFile = join(got.folder, "..", "out", "data.ts");
        const data = parse("data.ts", got.files.get("data.ts")!);
        expect(resolve(specDir(data, dataFile))).toBe(got.folder);
        const strings = stringsByProperty(data);
        expect(strings.get("field")).toContain(t.field);
        // The data block's words reach the program as escaped strings too.
        expect(strings.get("resize")).toEqual(["bicubic"]);
        expect(strings.get("fit")).toEqual(["pad"]);
        const at = (p: string): string => resolve(got.folder, p);
        expect((strings.get("path") ?? []).map(at).sort()).toEqual(
          [
            `caption/${t.paths.caption}.tar`,
            `text/${t.paths.text}.jsonl`,
            `heldout/${t.paths.heldout}.tar`,
            `tok/${t.paths.tokenizer}.json`,
          ]
            .map(at)
            .sort(),
        );

        const [relativeRoot, absoluteRoot] = strings.get("roots") ?? [];
        expect(at(relativeRoot!)).toBe(at(`extra/${t.paths.root}`));
        expect(absoluteRoot).toBe(posix.normalize(`/abs/${t.paths.root}`));

        const train = stringsByProperty(parse("train-t.ts", got.files.get("train-t.ts")!));
        expect(train.get("join synthesize")?.map(at)).toEqual([at(`synth/${t.paths.synthesize}`)]);
        expect(train.get("join dir")?.map(at)).toEqual([at(`runs/${t.paths.checkpoint}`)]);
        // the imported model's pretrained weights, in the entry of the train that uses it
        const train2 = stringsByProperty(parse("train-t2.ts", got.files.get("train-t2.ts")!));
        expect(train2.get("join path")?.map(at)).toEqual([
          at(`weights/${t.paths.init}.safetensors`),
        ]);
        expect(train.get("source")?.[0]).toMatch(
          new RegExp(`^${got.spec.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}:\\d+$`),
        );
      }),
      { numRuns: 20, examples: [[known]] },
    );
  });
});

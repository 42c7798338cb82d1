// Hostile text in every user-text position that reaches model.py and train.py (doc comments of
// every preset role and of models, variants and an imported model; the spec's folder, file and
// imported file names, which reach comments, `source` locations and SPEC_FILE; a part's `init`
// weights file and name map; an earlier train's checkpoint folder that `init: <train>` reads; the
// `freeze` paths) never changes the generated program: Python's own parser (one batched call)
// gives the syntax tree of a clean compile, node for node, with as many comments, and every string
// reads back as the text it came from.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import { composeModel } from "../../src/components/model.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { decodeComment, hostile, UNSAFE_RAW } from "../codegen/hostile-strings.js";
import { safetensorsBytes, writeFixture } from "../init/hf-fixtures.js";
import { anyPython, runPython } from "./python.js";
import { mmDoc, mmString, readDoc } from "../codegen/mm-text.js";

const DOCS = ["enc", "conn", "llm", "experts", "model", "variant", "libLlm", "libModel"] as const;
/** The docs model.py holds: the entry file's presets and models (imported ones are not emitted). */
const EMITTED = ["enc", "conn", "llm", "experts", "model", "variant"] as const;

interface Texts {
  docs: Record<(typeof DOCS)[number], string>;
  /** The spec's folder, file and imported file are named `d<name>`, `f<name>.mm`, `l<name>.mm`. */
  name: string;
}

function specText(t: Texts): { main: string; lib: string } {
  const d = (k: (typeof DOCS)[number]): string => mmDoc(t.docs[k]);
  const main = `import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder, MoE } from "std/llm"
import { LibModel } from ${mmString(`./l${t.name}.mm`)}

${d("enc")}encoder Enc = ViT { patch: 8, width: 32, depth: 1, heads: 2 }
${d("conn")}connector Conn = AvgPool { tokens: 4 }
${d("llm")}llm Lm = Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 }
${d("experts")}moe Experts = MoE { experts: 2, top_k: 1 }
${d("model")}model M { image: Image[3, 32, 32]
  vision: Enc
  connector: Conn { init: safetensors(${mmString(`w${t.name}.safetensors`)}, map: ${mmString(`m${t.name}.json`)}) }
  llm: Lm }
${d("variant")}model V = M { connector.tokens: 16 }
model UsesLib = LibModel { llm.depth: 2 }
data D {
  text: 100% jsonl("text.jsonl", field: "text")
  tokenizer: bytes
}
train t0 { model: M, data: D, steps: 1, batch: 2, sequence: 64, checkpoint: { every: 1, dir: ${mmString(`runs/${t.name}`)} } }
train t1 { model: M, data: D, steps: 1, batch: 2, sequence: 64, init: t0, freeze: [vision, "llm.layers.0"] }
`;
  const lib = `import { Decoder } from "std/llm"
${d("libLlm")}llm LibLM = Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 }
${d("libModel")}model LibModel { llm: LibLM }
`;
  return { main, lib };
}

interface Compiled {
  texts: Texts;
  spec: string;
  lib: string;
  file: string;
  text: string;
  train: string;
  trainText: string;
}

/** The connector's tensors, for its `init` file (under names of the map's choosing). */
const CONNECTOR = (() => {
  const r = composeModel({
    vision: { kind: "ViT", config: { patch: 8, width: 32, depth: 1, heads: 2 } },
    connector: { kind: "AvgPool", config: { tokens: 4 } },
    llm: { kind: "Decoder", config: { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } },
    image: [3, 32, 32],
  } as Parameters<typeof composeModel>[0]);
  if (!r.ok) throw new Error("the connector does not compose");
  const own = r.manifest.filter((w) => w.name.startsWith("connector."));
  const names = Object.fromEntries(
    own.map((w, i) => [w.name.slice("connector.".length), `tensor ${i}`]),
  );
  const bytes = safetensorsBytes(
    own.map((w, i) => ({ name: `tensor ${i}`, shape: w.shape })),
    1,
  );
  return { names, bytes };
})();

interface Read {
  shape: string[];
  strings: {
    doc: string[];
    source: string[];
    base: string[];
    path: string[];
    map: string[];
    root: string[];
    dir: string[];
    spec: string[];
    freeze: string[][];
  };
  spec_file: string;
  comments: string[];
}

let root: string;
let counter = 0;
const cwd = process.cwd();

/** Writes the spec under `root` and compiles it in-process, from its case folder. */
async function compile(t: Texts): Promise<Compiled> {
  const caseDir = join(root, `case-${counter++}`);
  const folder = join(caseDir, `d${t.name}`);
  mkdirSync(folder, { recursive: true });
  const { main, lib } = specText(t);
  writeFileSync(join(folder, `f${t.name}.mm`), main);
  writeFileSync(join(folder, `l${t.name}.mm`), lib);
  // the connector's `init` (the checker reads its header) and its name map
  writeFixture(join(folder, `w${t.name}.safetensors`), CONNECTOR.bytes);
  writeFileSync(join(folder, `m${t.name}.json`), JSON.stringify(CONNECTOR.names));
  process.chdir(caseDir);
  try {
    const spec = `d${t.name}/f${t.name}.mm`;
    const result = checkSpec(spec);
    expect(hasErrors(result.diagnostics), JSON.stringify(result.diagnostics)).toBe(false);
    writeFiles("out", await generatePytorch(result.checked!, result.sources, spec, "out"));
    const file = join(caseDir, "out", "model.py");
    const train = join(caseDir, "out", "train.py");
    return {
      texts: t,
      spec,
      lib: `d${t.name}/l${t.name}.mm`,
      file,
      text: readFileSync(file, "utf8"),
      train,
      trainText: readFileSync(train, "utf8"),
    };
  } finally {
    process.chdir(cwd);
  }
}

/**
 * A file or folder name: no `/`, NUL or lone surrogate (the OS cannot hold them), 120 bytes, and
 * no C0/C1 control character (the import path holds the name, and a path may not: MM2017).
 */
const fileName = hostile.map((s) => {
  let n = s.replace(/[/\0]|\p{Cs}/gu, "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "");
  while (Buffer.byteLength(n) > 120) n = [...n].slice(0, -1).join("");
  return n;
});
/**
 * A doc comment: raw text of a UTF-8 file, so a lone surrogate is U+FFFD; never empty (an empty
 * doc is no doc, and the entry has no `doc` key).
 */
// Direction controls raw in a comment are an error (MM1007, its own golden cases).
const docText = hostile.map(
  (s) =>
    s
      .replace(/\p{Cs}/gu, "\ufffd")
      .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "") || "x",
);
const texts: fc.Arbitrary<Texts> = fc.record({
  docs: fc.record(
    Object.fromEntries(DOCS.map((k) => [k, docText])) as Record<
      (typeof DOCS)[number],
      fc.Arbitrary<string>
    >,
  ),
  name: fileName,
});

const clean: Texts = {
  docs: Object.fromEntries(DOCS.map((k) => [k, "x"])) as Texts["docs"],
  name: "x",
};

/** The issue's attack on Python: close the string or docstring, run code, comment out the rest. */
const known: Texts = {
  docs: Object.fromEntries(
    DOCS.map((k) => [k, '"""\nimport os; os.system("touch pwned") #\\" \' \u2028 \r\n x'] as const),
  ) as Texts["docs"],
  name: ' \u2028"; import os #',
};

const python = anyPython();
const cases: Compiled[] = [];
let read: Record<string, Read> = {};

describe.skipIf(python === undefined)("hostile text in model.py", () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "mmc-hostile-py-"));
    for (const t of [clean, known, ...fc.sample(texts, { numRuns: 24, seed: 17 })])
      cases.push(await compile(t));
    const out = join(root, "read.json");
    runPython(python!, [
      join(import.meta.dirname, "read_python.py"),
      out,
      ...cases.flatMap((c) => [c.file, c.train]),
    ]);
    read = JSON.parse(readFileSync(out, "utf8")) as typeof read;
  }, 600_000);

  afterAll(() => process.chdir(cwd));

  test("the clean spec's model.py carries the text the checks below look for", () => {
    const r = read[cases[0]!.file]!;
    expect(r.strings.doc.sort()).toEqual(Array(EMITTED.length).fill("x"));
    expect(r.spec_file).toBe("dx/fx.mm");
    expect(r.strings.source.some((s) => s.startsWith("dx/lx.mm:"))).toBe(true);
  });

  test("the clean spec's train.py carries the stage, freeze and init text", () => {
    const r = read[cases[0]!.train]!;
    expect(r.strings.dir).toContain("runs/x");
    expect(r.strings.spec).toEqual(["fx.mm"]);
    expect(r.strings.freeze).toEqual([["vision", "llm.layers.0"]]);
    expect(r.strings.path).toContain("wx.safetensors");
    expect(r.strings.map).toContain("mx.json");
  });

  test("train.py: the same syntax tree, and init, stage and freeze text round-trips", () => {
    const ref = read[cases[0]!.train]!;
    for (const c of cases.slice(1)) {
      const r = read[c.train]!;
      const what = JSON.stringify(c.texts);
      expect(c.trainText, what).not.toMatch(UNSAFE_RAW);
      expect(r.shape, what).toEqual(ref.shape);
      expect(r.comments.length, what).toBe(ref.comments.length);
      // the earlier train's folder (as `checkpoint.dir` and as `init`'s), and the spec's name
      const runs = posix.relative(".", posix.join("runs", c.texts.name)) || ".";
      expect(r.strings.dir.filter((x) => x === runs).length, what).toBe(
        ref.strings.dir.filter((x) => x === "runs/x").length,
      );
      expect(r.strings.spec, what).toEqual([`f${c.texts.name}.mm`]);
      expect(r.strings.freeze, what).toEqual(ref.strings.freeze);
      // the part's `init` file and name map, in every model entry that has them
      const paths = ref.strings.path.filter((x) => x === "wx.safetensors").length;
      expect(paths, what).toBeGreaterThan(0);
      expect(r.strings.path.filter((x) => x === `w${c.texts.name}.safetensors`).length, what).toBe(
        paths,
      );
      expect(r.strings.map.filter((x) => x === `m${c.texts.name}.json`).length, what).toBe(
        ref.strings.map.filter((x) => x === "mx.json").length,
      );
    }
  });

  test("never changes the syntax tree, and every string and comment round-trips", () => {
    const ref = read[cases[0]!.file]!;
    for (const c of cases.slice(1)) {
      const r = read[c.file]!;
      const what = JSON.stringify(c.texts);
      expect(c.text, what).not.toMatch(UNSAFE_RAW);
      expect(r.shape, what).toEqual(ref.shape);
      expect(r.comments.length, what).toBe(ref.comments.length);
      expect(r.spec_file, what).toBe(c.spec);
      const comments = r.comments.map((x) => decodeComment(x.replace(/^# ?/, "")));
      expect(comments[0], what).toContain(`from ${c.spec}: `);
      expect(r.strings.doc.sort(), what).toEqual(
        EMITTED.map((k) => readDoc(c.texts.docs[k])).sort(),
      );
      for (const s of r.strings.source)
        expect(s.startsWith(`${c.spec}:`) || s.startsWith(`${c.lib}:`), `${what} ${s}`).toBe(true);
      expect(
        r.strings.source.some((s) => s.startsWith(`${c.lib}:`)),
        what,
      ).toBe(true);
      expect(r.strings.path, what).toContain(`w${c.texts.name}.safetensors`);
      expect(r.strings.map, what).toContain(`m${c.texts.name}.json`);
    }
  });
});

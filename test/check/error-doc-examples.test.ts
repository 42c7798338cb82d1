// The `## Example` of every docs/errors page reproduces its own code, so the pages stay true as the
// checker changes. Examples may leave out the standard imports, and may import `./small.mm`, a
// small model, data mixture and train that this test provides. Target codes (MM6xxx) are checked
// as `mmc compile --target pytorch` checks.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkTarget } from "../../src/codegen/pytorch/target.js";
import { allCodes, TARGET_CODES } from "../../src/diagnostics/codes.js";
import { checkFile } from "../../src/pipeline.js";
import type { ModuleHost } from "../../src/resolve/program.js";
import { ROOT } from "./spec-files.js";

const STD_IMPORTS = [
  'import { ViT } from "std/encoders"',
  'import { AvgPool, AttnPool, CAbstractor, MLPProjector } from "std/connectors"',
  'import { Decoder, MoE } from "std/llm"',
].join("\n");

/** What `import { ... } from "./small.mm"` in an example refers to. */
const SMALL = `${STD_IMPORTS}
model Small {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 128, depth: 4, heads: 4 }
  connector: CAbstractor { tokens: 16 }
  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4, context: 512 }
}
data Synthetic {
  caption: 50% webdataset("data/caption-{0000..0003}.tar")
  interleaved: 50% jsonl("data/interleaved.jsonl")
  images_per_sequence: 4
}
train small {
  model: Small
  data: Synthetic
  steps: 300, batch: 8, sequence: 256
}
`;

/** Names an example uses without declaring them, declared here (only when it does not declare them). */
const CONTEXT: Readonly<Record<string, string>> = {
  Tiny: "model Tiny {\n  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4 }\n}",
  Text: 'data Text {\n  text: jsonl("data/text.jsonl", field: "text")\n}',
};

/** Codes about the contents of a weights file or name map: their golden cases (test/golden/init/) hold the files. */
const WEIGHT_FILE_CODES = [
  "MM9004",
  "MM9005",
  "MM9006",
  "MM9007",
  "MM9008",
  "MM9009",
  "MM9010",
  "MM9011",
  "MM9013",
  "MM9014",
];

/**
 * Codes whose example is not one UTF-8 file (bytes that are not UTF-8, a cycle of two files) or
 * cannot be shown whole on the page (an invisible direction override, a chain of 201 presets).
 * Their golden cases cover them.
 */
const NOT_REPRODUCIBLE = new Set(["MM1006", "MM1007", "MM2003", "MM2019", ...WEIGHT_FILE_CODES]);

function exampleOf(code: string): string | undefined {
  const page = readFileSync(join(ROOT, "docs", "errors", `${code}.md`), "utf8");
  return /## Example\n\n```mm\n([^]*?)\n```/.exec(page)?.[1];
}

function buildFile(example: string): string {
  if (/^import /m.test(example)) return example;
  const uses = (n: string) =>
    new RegExp(`\\b${n}\\b`).test(example) &&
    !new RegExp(`^(model|data|train)\\s+${n}\\b`, "m").test(example);
  const extra = Object.entries(CONTEXT)
    .filter(([n]) => uses(n))
    .map(([, d]) => d);
  return [STD_IMPORTS, ...extra, example].join("\n\n");
}

function codesOf(text: string, target: boolean): string[] {
  const path = "memory/example.mm";
  const host: ModuleHost & { weights: typeof fileHost.weights } = {
    weights: fileHost.weights,
    read: (p) =>
      p === path
        ? { ok: true, text }
        : p === "memory/small.mm"
          ? { ok: true, text: SMALL }
          : fileHost.read(p),
    stdlibFile: (m) => fileHost.stdlibFile(m),
  };
  const r = checkFile(path, host);
  const found = target && r.checked ? checkTarget(r.checked, "pytorch") : [];
  return [...r.diagnostics, ...found].map((d) => d.code);
}

const TARGET = new Set(TARGET_CODES.map((c) => c.code));

describe("docs/errors examples reproduce their code", () => {
  const codes = allCodes()
    .map((c) => c.code)
    .filter((c) => !NOT_REPRODUCIBLE.has(c));
  test.each(codes)("%s", (code) => {
    const example = exampleOf(code);
    expect(example, `docs/errors/${code}.md has no example`).toBeDefined();
    expect(codesOf(buildFile(example!), TARGET.has(code))).toContain(code);
  });
});

// Generated identifiers: names that collide with what the generated files import or declare
// (`tf`, `SPEC_DIR`, `join`, `config`), with another model's companions (`A` and `AParams`), with
// a train's own model (`TModel`), or that are reserved words still give a module tsc accepts.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { mmc } from "../cli/run-mmc.js";
import { typecheck } from "./typecheck.js";

const SPEC = `import { Decoder } from "std/llm"
model tf { llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } }
model A { llm: Decoder { vocab: 260, width: 32, depth: 2, heads: 2, context: 64 } }
model AParams { llm: Decoder { vocab: 260, width: 32, depth: 3, heads: 2, context: 64 } }
model TModel { llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } }
model default { llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } }
data config {
  text: 100% jsonl("text.jsonl", field: "text")
  heldout: webdataset("held.tar")
}
data SPEC_DIR { text: 100% jsonl("text.jsonl") }
data join { text: 100% jsonl("text.jsonl") }
train t { model: A { llm.depth: 4 }, data: config, steps: 2, batch: 1, sequence: 32 }
train u { model: tf, data: SPEC_DIR, steps: 2, batch: 1, sequence: 32 }
train v { model: AParams, data: join, steps: 2, batch: 1, sequence: 32 }
`;

test("colliding names get distinct identifiers and the output type-checks", () => {
  const dir = mkdtempSync(join(tmpdir(), "mmc-names-"));
  writeFileSync(join(dir, "names.mm"), SPEC);
  const out = join(dir, "out");
  const r = mmc(["compile", join(dir, "names.mm"), "-o", out]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const files = readdirSync(out).filter((f) => f.endsWith(".ts"));
  expect(typecheck(out, files)).toBe("");
  const exported = (f: string): string[] =>
    [...readFileSync(join(out, f), "utf8").matchAll(/^export (?:const|function) (\w+)/gm)].map(
      (m) => m[1]!,
    );
  expect(exported("data.ts")).toEqual([
    "SPEC_DIR",
    "config_2",
    "config_2Heldout",
    "SPEC_DIR_2",
    "join_2",
  ]);
  expect(exported("models.ts").filter((n) => !/(Params|Embed|Forward|Loss|Code)$/.test(n))).toEqual(
    ["tf_2", "A", "AParams_2", "TModel", "default_", "TModel_2"],
  );
  // Each train keeps the name the checker reported for it; only the constants moved.
  expect(readFileSync(join(out, "train-u.ts"), "utf8")).toContain('name: "u",');
});

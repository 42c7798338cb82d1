// The runtime has no forward pass of its own: it runs each model's generated code. Runtime tests
// get that code here, emitted by the compiler's own `emitModels` for the test's model and
// imported, so they exercise exactly what `mmc compile` writes for a spec with that model.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Project } from "ts-morph";
import type { CheckedModel } from "../../src/check/ir.js";
import { emitModels } from "../../src/codegen/emit-models.js";
import { composeModel, type ModelInput } from "../../src/components/model.js";
import { MultimodalModel, type ModelCode } from "../../src/runtime/model.js";

const RUNTIME = resolve(import.meta.dirname, "../../src/runtime/index.ts");
const cache = new Map<string, Promise<ModelCode>>();
let dir: string | undefined;
let files = 0;

/** The TypeScript text of `model`'s generated models module (exporting `CaseCode`). */
function emitText(model: CheckedModel, runtimeImport: string): string {
  const plan = emitModels([{ constName: "Case", model }], {
    sourcePath: "case.mm",
    outDir: ".",
    runtimeImport,
    locate: () => "case.mm:1",
    version: "test",
  });
  return new Project({ useInMemoryFileSystem: true })
    .createSourceFile(plan.name, { statements: plan.statements })
    .getFullText();
}

async function emit(model: CheckedModel): Promise<ModelCode> {
  const text = emitText(model, RUNTIME);
  dir ??= mkdtempSync(join(tmpdir(), "mmc-code-"));
  const file = join(dir, `models-${files++}.ts`);
  writeFileSync(file, text);
  const mod = (await import(pathToFileURL(file).href)) as { CaseCode: ModelCode };
  return mod.CaseCode;
}

/** The checked model of a model with these parts (named `Case`). */
function caseModel(input: ModelInput): CheckedModel {
  const summary = composeModel(input);
  if (!summary.ok) throw new Error(summary.problems.map((p) => p.message).join("; "));
  return {
    name: "Case",
    span: { file: "case.mm", start: 0, end: 0 },
    ...(input.image ? { image: input.image } : {}),
    parts: input,
    summary,
    spans: {},
  };
}

/** The generated forward pass (`<Model>Code` of models.ts) of a model with these parts. */
export function generatedCode(input: ModelInput): Promise<ModelCode> {
  const key = JSON.stringify(input);
  let code = cache.get(key);
  if (code === undefined) {
    code = emit(caseModel(input));
    cache.set(key, code);
  }
  return code;
}

/**
 * The generated models module's TypeScript text for a model with these parts (it exports
 * `CaseCode` and imports only the runtime, from the source tree): for a page bundled elsewhere.
 */
export function generatedCodeText(input: ModelInput): string {
  return emitText(caseModel(input), RUNTIME);
}

/** The generated forward pass of a model the checker built (from a spec). */
export function checkedModelCode(model: CheckedModel): Promise<ModelCode> {
  return emit(model);
}

/** The model built from `input` with its generated forward pass. */
export async function buildModel(
  input: ModelInput,
  seed: number,
): Promise<{ model: MultimodalModel; code: ModelCode }> {
  return { model: MultimodalModel.fromInput(input, seed), code: await generatedCode(input) };
}

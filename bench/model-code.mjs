// The generated forward pass of a model input, for the benchmarks: the runtime has no forward pass
// of its own, so this emits the model's models.ts with the compiler (dist/codegen), transpiles it
// and imports it against dist/runtime, as `mmc run` does with a spec.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Project, ts } from "ts-morph";
import { emitModels } from "../dist/codegen/emit-models.js";
import { composeModel } from "../dist/components/model.js";

const RUNTIME = new URL("../dist/runtime/index.js", import.meta.url).href;

/**
 * The JavaScript text of `input`'s generated models module (it exports `BenchCode`), importing
 * the runtime from `runtimeImport`.
 */
export function modelCodeText(input, runtimeImport = RUNTIME) {
  const summary = composeModel(input);
  if (!summary.ok) throw new Error(summary.problems.map((p) => p.message).join("; "));
  const model = {
    name: "Bench",
    span: { file: "bench.mm", start: 0, end: 0 },
    ...(input.image ? { image: input.image } : {}),
    parts: input,
    summary,
    spans: {},
  };
  const plan = emitModels([{ constName: "Bench", model }], {
    sourcePath: "bench.mm",
    outDir: ".",
    runtimeImport,
    locate: () => "bench.mm:1",
    version: "bench",
  });
  const text = new Project({ useInMemoryFileSystem: true })
    .createSourceFile(plan.name, { statements: plan.statements })
    .getFullText();
  return ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

/** The runtime's entry as a file path (a bundler's import, where a file: URL is not one). */
export const RUNTIME_PATH = fileURLToPath(RUNTIME);

/** `{ embed, forward, loss }` of `input` (a ModelInput), generated as `mmc compile` writes it. */
export async function modelCode(input) {
  const js = modelCodeText(input);
  const file = join(mkdtempSync(join(tmpdir(), "mmc-bench-")), "models.mjs");
  writeFileSync(file, js);
  return (await import(pathToFileURL(file).href)).BenchCode;
}

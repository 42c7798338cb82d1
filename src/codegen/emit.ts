// Code generation: the checked program becomes readable TypeScript, built as ts-morph structures
// and formatted with prettier. Pure: it returns file names and texts; the CLI writes them. Output
// is deterministic (no dates, no absolute paths); all user text goes through escape.ts.
import { Project, StructureKind, type CodeBlockWriter } from "ts-morph";
import type { CheckedProgram } from "../check/ir.js";
import { emitData } from "./emit-data.js";
import { emitModels } from "./emit-models.js";
import { planNames } from "./emit-names.js";
import { header, type EmitOptions, type FilePlan, type GeneratedFile } from "./emit-shared.js";
import { emitTrain } from "./emit-train.js";

export type { EmitOptions, GeneratedFile } from "./emit-shared.js";

/** A blank line between the imports and the code, as a reader expects (prettier keeps one). */
function withBlankAfterImports(statements: FilePlan["statements"]): FilePlan["statements"] {
  const i = statements.findIndex(
    (s) => typeof s !== "object" || s.kind !== StructureKind.ImportDeclaration,
  );
  return i < 0
    ? statements
    : [...statements.slice(0, i), (w: CodeBlockWriter) => w.blankLine(), ...statements.slice(i)];
}

export async function emitProgram(p: CheckedProgram, o: EmitOptions): Promise<GeneratedFile[]> {
  const names = planNames(p);
  const files: FilePlan[] = [
    emitModels(names.models, o),
    emitData(names, o),
    ...p.trains.map((t) => emitTrain(t, names, o)),
  ];
  const project = new Project({ useInMemoryFileSystem: true });
  const prettier = await import("prettier");
  const out: GeneratedFile[] = [];
  // The generated code is ES modules (top-level await, import.meta).
  out.push({
    name: "package.json",
    text: `${JSON.stringify({ private: true, type: "module" }, null, 2)}\n`,
  });
  for (const { name, what, statements } of files) {
    // One structure, printed and parsed once (see FilePlan).
    const structure = { statements: withBlankAfterImports(statements) };
    const f = project.createSourceFile(name, structure, { overwrite: true });
    // The header goes above the imports: generated files say so in their first line.
    const text = await prettier.format(header(o, what) + f.getFullText(), {
      parser: "typescript",
      printWidth: 100,
    });
    out.push({ name, text });
  }
  return out;
}

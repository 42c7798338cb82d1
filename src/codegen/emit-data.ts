// data.ts: `SPEC_DIR` (the spec's folder, found from `import.meta.url`, so the code runs from any
// folder) and one `DataSpec` per mixture used, with its held-out source.
import type { CheckedSource } from "../check/ir.js";
import { posix } from "node:path";
import { tsLineComment, tsString } from "./escape.js";
import type { NamePlan } from "./emit-names.js";
import {
  exportConst,
  fromSpec,
  importDecl,
  runtimeModule,
  specDirFromOut,
  type EmitOptions,
  type FilePlan,
} from "./emit-shared.js";

function sourceLiteral(o: EmitOptions, s: CheckedSource): string {
  const parts = [
    `name: ${tsString(s.name)}`,
    `kind: ${tsString(s.kind)}`,
    `format: ${tsString(s.format)}`,
    `path: ${tsString(fromSpec(o, s.path))}`,
    ...(s.field !== undefined ? [`field: ${tsString(s.field)}`] : []),
    `weight: ${s.weight}`,
  ];
  return `{ ${parts.join(", ")} }`;
}

export function emitData(names: NamePlan, o: EmitOptions): FilePlan {
  const statements: FilePlan["statements"] = [
    importDecl("node:url", ["fileURLToPath"]),
    importDecl(runtimeModule(o), ["DataSpec"], true),
    exportConst(
      "SPEC_DIR",
      undefined,
      `fileURLToPath(new URL(${tsString(specDirFromOut(o))}, import.meta.url))`,
      `The folder of ${posix.basename(o.sourcePath)}: data paths are relative to it, so this code runs from any folder.`,
    ),
  ];
  for (const d of names.data) {
    const constName = names.dataConst.get(d.name)!;
    const tokenizer =
      d.tokenizer.kind === "bytes"
        ? '{ kind: "bytes" }'
        : `{ kind: "bpe", path: ${tsString(fromSpec(o, d.tokenizer.path))} }`;
    // Absolute roots are kept as written; relative ones are made relative to the spec's folder.
    const roots = d.roots
      ? `roots: [${d.roots.map((r) => tsString(r.absolute ? r.path : fromSpec(o, r.path))).join(", ")}],`
      : "";
    const sources = d.sources.map(
      (s) =>
        `${tsLineComment(`${Number((s.weight * 100).toFixed(4))}% ${s.kind}`)}\n${sourceLiteral(o, s)},`,
    );
    statements.push(
      exportConst(
        constName,
        "DataSpec",
        `{
          name: ${tsString(d.name)},
          baseDir: SPEC_DIR,
          sources: [
            ${sources.join("\n")}
          ],
          weighting: ${tsString(d.weighting)},
          imagesPerSequence: ${d.imagesPerSequence},
          tokenizer: ${tokenizer},
          ${roots}
          ${d.resize ? `resize: ${tsString(d.resize)},` : ""}
          ${d.fit ? `fit: ${tsString(d.fit)},` : ""}
        }`,
        `\`data ${d.name}\`: ${d.sources.map((s) => `${s.name} ${Number((s.weight * 100).toFixed(2))}%`).join(", ")}.`,
      ),
    );
    if (d.heldout)
      statements.push(
        exportConst(
          `${constName}Heldout`,
          "DataSpec",
          `{ ...${constName}, name: ${tsString(`${d.name} (held out)`)}, sources: [${sourceLiteral(o, d.heldout)}] }`,
          `Held-out captions of \`data ${d.name}\`, for evaluation only.`,
        ),
      );
  }
  return { name: "data.ts", what: "the data mixtures", statements };
}

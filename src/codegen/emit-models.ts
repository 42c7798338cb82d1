// models.ts: one `ModelInput` per model (the part configs as written, a comment per part with its
// shape, parameters, inferred fields and `.mm` line), its exact parameter count, and its loss.
import { StructureKind, type StatementStructures } from "ts-morph";
import type { Config, ConfigValue } from "../components/types.js";
import { tsDocText, tsLineComment, tsString } from "./escape.js";
import { count, numberLiteral, valueLiteral } from "./literals.js";
import type { NamedModel } from "./emit-names.js";
import {
  exportConst,
  importDecl,
  runtimeModule,
  where,
  type EmitOptions,
  type FilePlan,
} from "./emit-shared.js";

export function emitModels(named: readonly NamedModel[], o: EmitOptions): FilePlan {
  const statements: FilePlan["statements"] = [
    importDecl(runtimeModule(o), [
      "tf",
      "crossEntropy",
      "decoderForward",
      "emptyMoeStats",
      "moeAuxLoss",
      "shiftTargets",
    ]),
    importDecl(
      runtimeModule(o),
      ["LossParts", "ModelBatch", "ModelInput", "MultimodalModel"],
      true,
    ),
  ];
  for (const n of named) statements.push(...emitModel(n, o));
  return { name: "models.ts", what: "the models", statements };
}

function emitModel(
  { constName: name, model: m }: NamedModel,
  o: EmitOptions,
): StatementStructures[] {
  const s = m.summary;
  const lines: string[] = ["{"];
  if (m.image)
    lines.push(
      `  ${tsLineComment(`Image[${m.image.join(", ")}]  (${where(o, m.spans.image)})`)}`,
      `  image: [${m.image.join(", ")}],`,
    );
  if (m.tiles)
    lines.push(
      `  ${tsLineComment(`tiles: up to ${s.encoderPasses - (m.tiles.overview ? 1 : 0)} crops${m.tiles.overview ? " and an overview" : ""} of ${s.tokensPerCrop} tokens per image  (${where(o, m.spans.tiles)})`)}`,
      `  tiles: { grids: [${m.tiles.grids.map((g) => `{ cols: ${g.cols}, rows: ${g.rows} }`).join(", ")}], overview: ${m.tiles.overview} },`,
    );
  for (const part of ["vision", "connector", "llm"] as const) {
    const input = m.parts[part];
    const sum = s.parts[part];
    if (!input || !sum) continue;
    const shape =
      part === "llm"
        ? `logits [${sum.output.tokens}, ${sum.output.width}]`
        : `[${sum.output.tokens}, ${sum.output.width}] per image`;
    const inferred = Object.entries(sum.inferred).map(
      ([k, from]) => `${k} = ${valueLiteral(lookup(sum.config, k))} from ${from.replace(/`/g, "")}`,
    );
    lines.push(
      `  ${tsLineComment(`${sum.kind} -> ${shape}; ${count(sum.params)} parameters  (${where(o, m.spans[part])})`)}`,
      ...(inferred.length ? [`  ${tsLineComment(`inferred: ${inferred.join(", ")}`)}`] : []),
      `  ${part}: { kind: ${tsString(input.kind)}, config: ${valueLiteral(input.config)} },`,
    );
  }
  lines.push("}");
  const llm = s.parts.llm;
  const moe = llm.config["moe"];
  const image = s.parts.connector
    ? `, with the ${s.imageTokens} image tokens of each image at its slots (${s.parts.vision?.kind} -> ${s.parts.connector.kind})`
    : "";
  return [
    exportConst(
      name,
      "ModelInput",
      lines.join("\n"),
      [
        `\`model ${m.name}\`${m.base ? ` (a variant of \`${m.base}\`)` : ""}, declared at ${where(o, m.span)}.`,
        ...(m.doc ? ["", m.doc] : []),
        "",
        `${count(s.params)} parameters (${count(s.activeParams)} active per token)${s.imageTokens ? `; ${s.imageTokens} image tokens per image` : ""}; ` +
          `${count(s.flopsPerToken)} forward FLOPs per text token.`,
      ].join("\n"),
    ),
    exportConst(
      `${name}Params`,
      undefined,
      numberLiteral(s.params),
      `The checker's exact parameter count of \`${m.name}\`; the runtime checks the built model against it.`,
    ),
    {
      kind: StructureKind.Function,
      isExported: true,
      name: `${name}Loss`,
      parameters: [
        { name: "model", type: "MultimodalModel" },
        { name: "batch", type: "ModelBatch" },
      ],
      returnType: "LossParts",
      docs: [
        tsDocText(`The forward pass and loss of \`model ${m.name}\` for B sequences of T tokens.`),
      ],
      statements: [
        "const stats = emptyMoeStats();",
        tsLineComment(`[B*T, ${llm.config["width"]}]: token embeddings${image}`),
        "const x = model.embed(batch);",
        tsLineComment(
          `[B*T, ${llm.output.width}]: logits over the vocabulary (${llm.kind}, ${llm.config["depth"]} blocks${typeof moe === "object" ? ", with experts" : ""})`,
        ),
        'const logits = decoderForward(model.params.scope("llm"), model.llm, x, batch.batchSize, batch.sequence, stats);',
        "// [B*T]: each position predicts the next token; only text targets count",
        "const { targets, mask } = shiftTargets(batch);",
        "// []: mean cross-entropy over the text targets",
        'const ce = crossEntropy(logits, tf.tensor1d(targets, "int32"), tf.tensor1d(mask));',
        typeof moe === "object"
          ? "// []: plus the weighted MoE load-balance and router z-losses"
          : "// []: no experts, so no auxiliary losses",
        "const total = tf.add(ce, moeAuxLoss(model.llm, stats)) as tf.Scalar;",
        "return { total, crossEntropy: ce, moe: stats };",
      ],
    },
  ];
}

/** A dotted path into a config: `moe.hidden`. */
function lookup(config: Config, path: string): ConfigValue | undefined {
  let v: ConfigValue | undefined = config;
  for (const k of path.split(".")) {
    if (v === undefined || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Config)[k];
  }
  return v;
}
